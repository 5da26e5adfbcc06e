// `npm run bench` child: what choosing a provider costs on first use, in a fresh Node process per
// provider (so nothing is cached): loading the engine bundle, then building the chosen platform's client,
// which loads that platform's bundle and no other. Writes { figures, failures } to the path it is given.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BUNDLES = ['engine', 'bedrock', 'vertex', 'foundry', 'mcp'];
const PROVIDERS = ['anthropic', 'bedrock', 'vertex', 'foundry'] as const;

/** The script one fresh process runs: time each load, then list the Marathon bundles it holds. */
function probeScript(provider: string): string {
  return `
const path = require('node:path');
const dist = ${JSON.stringify(path.join(ROOT, 'dist'))};
const t0 = performance.now();
const engine = require(path.join(dist, 'engine.js'));
const engineMs = performance.now() - t0;
const configs = {
  bedrock: { provider: 'bedrock', region: 'us-east-1', auth: { kind: 'awsChain' } },
  vertex: { provider: 'vertex', region: 'global', projectId: 'bench-project', auth: { kind: 'googleAdc' } },
  foundry: { provider: 'foundry', resource: 'bench', auth: { kind: 'foundryApiKey', apiKey: 'bench-key' } },
};
(async () => {
  const t1 = performance.now();
  if (configs[${JSON.stringify(provider)}]) {
    await engine.createPlatformClient(configs[${JSON.stringify(provider)}]);
  } else {
    await engine.createClient({ apiKey: 'bench-key', baseURL: 'http://127.0.0.1:9' });
  }
  const clientMs = performance.now() - t1;
  const loaded = Object.keys(require.cache).filter((file) => path.dirname(file) === dist).map((file) => path.basename(file, '.js'));
  process.stdout.write(JSON.stringify({ engineMs, clientMs, loaded }));
})();
`;
}

function main(): void {
  const out = process.argv[2];
  if (!out) {
    throw new Error('usage: providers.js <out.json>');
  }
  const quick = process.argv.includes('--quick');
  const runs = quick ? 3 : 7;
  const figures: Array<{ scenario: string; name: string; value: number; unit: string; target?: string; pass?: boolean }> = [];
  const failures: string[] = [];
  const kb = (name: string) => Math.round(fs.statSync(path.join(ROOT, 'dist', `${name}.js`)).size / 102.4) / 10;
  for (const name of BUNDLES) {
    figures.push({ scenario: 'size', name: `${name} bundle (loaded on first use)`, value: kb(name), unit: 'KB' });
  }
  // Google's client reads Application Default Credentials when it is built: a placeholder user
  // credential (never used, nothing is sent) stands in for `gcloud auth application-default login`.
  const adc = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-adc-')), 'adc.json');
  fs.writeFileSync(adc, JSON.stringify({ type: 'authorized_user', client_id: 'bench', client_secret: 'bench', refresh_token: 'bench' }));
  const env = { ...process.env, AWS_EC2_METADATA_DISABLED: 'true', GOOGLE_APPLICATION_CREDENTIALS: adc };
  for (const provider of PROVIDERS) {
    const samples: number[] = [];
    for (let i = 0; i < runs; i++) {
      const result = spawnSync(process.execPath, ['-e', probeScript(provider)], { cwd: ROOT, encoding: 'utf8', env });
      if (result.status !== 0) {
        failures.push(`providers: first use on ${provider} failed: ${result.stderr.slice(0, 400)}`);
        break;
      }
      const { engineMs, clientMs, loaded } = JSON.parse(result.stdout) as { engineMs: number; clientMs: number; loaded: string[] };
      samples.push(engineMs + clientMs);
      const expected = provider === 'anthropic' ? ['engine'] : ['engine', provider];
      if ([...loaded].sort().join() !== [...expected].sort().join()) {
        failures.push(`providers: first use on ${provider} loaded ${loaded.join(', ')}, expected only ${expected.join(', ')}`);
      }
    }
    if (samples.length > 0) {
      const median = [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)]!;
      figures.push({ scenario: 'providers', name: `first request on ${provider}: engine + ${provider === 'anthropic' ? 'no platform bundle' : `${provider} bundle only`} (median of ${samples.length})`, value: Math.round(median * 10) / 10, unit: 'ms' });
    }
  }
  fs.rmSync(path.dirname(adc), { recursive: true, force: true });
  fs.writeFileSync(out, JSON.stringify({ figures, failures }));
}

main();
