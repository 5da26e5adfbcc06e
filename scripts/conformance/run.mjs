// The MCP conformance stage: every client scenario of @modelcontextprotocol/conformance against
// Marathon's MCP client (out/test/conformance/client.js), offline (the runner starts its own local test
// servers), with the known-failures baseline test/conformance/baseline.yml. Prints a score per scenario;
// a scenario counts as passed when the runner accepts it (passed, or failed as the baseline expects).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNNER = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const PRELOAD = path.join(ROOT, 'scripts', 'conformance', 'node20.mjs');
const BASELINE = path.join(ROOT, 'test', 'conformance', 'baseline.yml');
const CLIENT = `node ${path.join(ROOT, 'out', 'test', 'conformance', 'client.js')}`;
const PARALLEL = 3;

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, RUNNER, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk.toString()));
    child.stderr.on('data', (chunk) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** Names listed under "Client scenarios" by `conformance list`. */
export async function clientScenarios() {
  const { output } = await run(['list']);
  const section = output.split(/Client scenarios[^\n]*\n/)[1] ?? '';
  return [...section.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]);
}

/** The baseline's client entries. */
export function baseline() {
  const text = fs.existsSync(BASELINE) ? fs.readFileSync(BASELINE, 'utf8') : '';
  const client = text.split(/^client:\s*$/m)[1] ?? '';
  return new Set([...client.matchAll(/^\s+-\s+(\S+)/gm)].map((match) => match[1]));
}

function score(dir) {
  const checks = [];
  const walk = (folder) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.name === 'checks.json') {
        checks.push(...JSON.parse(fs.readFileSync(full, 'utf8')));
      }
    }
  };
  if (fs.existsSync(dir)) {
    walk(dir);
  }
  const counted = checks.filter((check) => check.status !== 'INFO');
  return { passed: counted.filter((check) => check.status === 'SUCCESS').length, total: counted.length };
}

/** Runs every client scenario; returns one result per scenario. */
export async function runConformance(log = console.log) {
  const scenarios = await clientScenarios();
  if (scenarios.length === 0) {
    throw new Error('the conformance runner listed no client scenarios');
  }
  const expected = baseline();
  const results = [];
  const queue = [...scenarios];
  const workers = Array.from({ length: PARALLEL }, async () => {
    for (let scenario = queue.shift(); scenario !== undefined; scenario = queue.shift()) {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-conformance-'));
      const { code, output } = await run(['client', '--command', CLIENT, '--scenario', scenario, '--expected-failures', BASELINE, '-o', out]);
      const { passed, total } = score(out);
      fs.rmSync(out, { recursive: true, force: true });
      const known = expected.has(scenario);
      const result = { scenario, ok: code === 0, known, passed, total };
      results.push(result);
      log(`conformance ${scenario.padEnd(44)} ${String(passed).padStart(2)}/${String(total).padEnd(2)} checks  ${code === 0 ? (known ? 'known failure (baseline)' : 'passed') : 'FAILED'}`);
      if (code !== 0) {
        log(output.split('\n').slice(-15).join('\n'));
      }
    }
  });
  await Promise.all(workers);
  return results.sort((a, b) => a.scenario.localeCompare(b.scenario));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = await runConformance();
  const failed = results.filter((result) => !result.ok).length;
  const known = results.filter((result) => result.ok && result.known).length;
  console.log(`conformance: ${results.length - failed - known} passed, ${failed} failed, ${known} skipped (known failures)`);
  process.exit(failed > 0 ? 1 : 0);
}
