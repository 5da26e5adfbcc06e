// `npm run bench [-- --quick]`: measures what long sessions cost. Every figure is measured in this run;
// ratios compare figures of the same run, because these machines are noisy. Prints a table and writes
// bench/results.json. Exits non-zero only when a scenario breaks, never because a target is missed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, ensureSetup, freePort, freshWorkspace, run, startCodeServer, startEmulator, stopAll, workbenchUrl } from './harness.mjs';

const quick = process.argv.includes('--quick');
const PROVIDERS = ['anthropic', 'bedrock', 'vertex', 'foundry'];
// `--only size,providers,activation` runs some parts (size, engine, webview, providers, activation, ui).
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? new Set((process.argv[onlyIndex + 1] ?? '').split(',')) : undefined;
const wanted = (part) => only === undefined || only.has(part);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-'));
const figures = [];
const failures = [];

function figure(scenario, name, value, unit, max) {
  const entry = { scenario, name, value, unit };
  if (max !== undefined) {
    entry.target = `≤ ${max}`;
    entry.pass = value <= max;
  }
  figures.push(entry);
}

/** Runs a bench child that writes { figures, failures } to a JSON file. */
function child(script, args, env = {}) {
  const out = path.join(scratch, `${path.basename(script, '.js')}.json`);
  const result = spawnSync(process.execPath, [...(script.endsWith('engine.js') ? ['--expose-gc'] : []), path.join(ROOT, script), ...args, out, ...(quick ? ['--quick'] : [])], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (!fs.existsSync(out)) {
    failures.push(`${script}: exited with ${result.status} without results`);
    return;
  }
  const parsed = JSON.parse(fs.readFileSync(out, 'utf8'));
  figures.push(...parsed.figures);
  failures.push(...parsed.failures);
}

function sizes() {
  const kb = (file) => Math.round(fs.statSync(path.join(ROOT, file)).size / 102.4) / 10;
  figure('size', 'extension bundle (minified)', kb('dist/extension.js'), 'KB', 600);
  // The .vsix holds every platform bundle; only the chosen one is ever loaded (see the providers figures).
  figure('size', 'webview bundle (minified)', kb('dist/webview/main.js'), 'KB', 300);
  figure('size', '.vsix package', kb('marathon.vsix'), 'KB', 1536);
}

/** Activation inside real extension hosts (a fresh one per run), and Enter-to-request latency in the UI. */
async function inVsCode(emulatorUrl) {
  ensureSetup();
  const activationFile = path.join(scratch, 'activation.json');
  const port = await freePort(Number(process.env.E2E_PORT) || 8690);
  const serverUrl = await startCodeServer({
    port,
    stateDir: path.join(ROOT, '.vscode-test', `bench-${port}`),
    folder: path.join(ROOT, 'sample-workspace'),
    env: { MARATHON_DEMO_URL: emulatorUrl, MARATHON_BENCH_OUT: activationFile, ANTHROPIC_API_KEY: '' },
  });
  const runs = quick ? 3 : 5;
  // The same runs once per provider (a workspace setting): activation must not load any platform client.
  for (let i = 0; wanted('activation') && i < runs * PROVIDERS.length; i++) {
    const provider = PROVIDERS[i % PROVIDERS.length];
    const folder = freshWorkspace(`bench-${port}-${i}`);
    const settingsFile = path.join(folder, '.vscode', 'settings.json');
    const existing = fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, 'utf8')) : {};
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    fs.writeFileSync(settingsFile, JSON.stringify({ ...existing, 'marathon.provider': provider }, null, 2));
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-chr-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 120_000);
      void page.exposeFunction('codeAutomationLog', () => undefined);
      void page.exposeFunction('codeAutomationExit', () => {
        clearTimeout(timer);
        resolve();
      });
      void page.goto(workbenchUrl(serverUrl, folder, { testsPath: path.join(ROOT, 'out', 'test', 'bench', 'exthost.js') }));
    });
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  if (fs.existsSync(activationFile)) {
    const { activationMs, totalMs } = JSON.parse(fs.readFileSync(activationFile, 'utf8'));
    const medianOf = (values) => {
      const sorted = [...values].sort((a, b) => a - b);
      return Math.round(sorted[Math.floor(sorted.length / 2)] * 10) / 10;
    };
    figure('activation', `activate() in the extension host (median of ${activationMs.length})`, medianOf(activationMs), 'ms', 20);
    figure('activation', 'activation as the extension host sees it (loading the bundle, creating the context, activate())', medianOf(totalMs), 'ms');
    const { byProvider = {} } = JSON.parse(fs.readFileSync(activationFile, 'utf8'));
    for (const provider of PROVIDERS) {
      const entry = byProvider[provider];
      if (!entry) {
        failures.push(`activation: no figure for marathon.provider = ${provider}`);
        continue;
      }
      figure('activation', `activate() with marathon.provider = ${provider} (median of ${entry.activationMs.length})`, medianOf(entry.activationMs), 'ms', 20);
      if (entry.lazyLoaded.length > 0) {
        failures.push(`activation with ${provider} loaded ${entry.lazyLoaded.join(', ')}; activation must load no engine or platform bundle`);
      }
    }
  } else if (wanted('activation')) {
    failures.push('activation: no figure was written by the extension host');
  }
  if (!wanted('ui')) {
    return;
  }
  const folder = freshWorkspace(`bench-${port}-ui`);
  child('out/test/bench/ui.js', [], { MARATHON_WORKBENCH_URL: workbenchUrl(serverUrl, folder), MARATHON_EMULATOR_URL: emulatorUrl });
}

function table() {
  const rows = figures.map((entry) => [
    entry.scenario,
    entry.name,
    `${entry.value} ${entry.unit}`.trim(),
    entry.target ? `${entry.target}` : '',
    entry.pass === undefined ? '' : entry.pass ? 'pass' : 'MISS',
  ]);
  const widths = [0, 1, 2, 3, 4].map((column) => Math.max(...rows.map((row) => row[column].length), 6));
  const line = (row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ');
  console.log('\n' + line(['scenario', 'figure', 'value', 'target', '']));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) {
    console.log(line(row));
  }
}

async function main() {
  const started = Date.now();
  if (run('node', ['esbuild.js', '--production']) !== 0) {
    process.exit(1);
  }
  // Type errors are the test suite's business; tsc still emits the benchmark code.
  if (run('npx', ['tsc', '-p', 'tsconfig.json']) !== 0) {
    console.warn('tsc reported errors; measuring anyway.');
  }
  if (!wanted('size')) {
    // skipped
  } else if (run('npx', ['vsce', 'package', '--no-dependencies', '--out', 'marathon.vsix'], { stdio: 'ignore' }) !== 0) {
    failures.push('size: vsce package failed');
  } else {
    sizes();
  }
  const emulatorUrl = await startEmulator();
  if (wanted('engine')) {
    child('out/test/bench/engine.js', [emulatorUrl]);
  }
  if (wanted('webview')) {
    child('out/test/bench/webview.js', []);
  }
  if (wanted('providers')) {
    child('out/test/bench/providers.js', []);
  }
  try {
    if (wanted('activation') || wanted('ui')) {
      await inVsCode(emulatorUrl);
    }
  } catch (error) {
    failures.push(`vscode: ${error instanceof Error ? error.message : String(error)}`);
  }
  stopAll();
  // The tests run against the development build; leave one behind.
  run('node', ['esbuild.js'], { stdio: 'ignore' });

  table();
  const machine = { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version, quick, seconds: Math.round((Date.now() - started) / 1000) };
  console.log(`\n${machine.cores} cores (${machine.cpu}), Node ${machine.node}, ${quick ? 'quick' : 'full'} run in ${machine.seconds} s`);
  fs.mkdirSync(path.join(ROOT, 'bench'), { recursive: true });
  // A partial run (`--only`) writes its own file, leaving the full run's figures in place.
  fs.writeFileSync(path.join(ROOT, 'bench', only ? 'results.partial.json' : 'results.json'), JSON.stringify({ machine, figures, failures }, null, 2) + '\n');
  console.log(`Wrote bench/${only ? 'results.partial.json' : 'results.json'}`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} scenario(s) broke:\n${failures.join('\n')}`);
    process.exit(1);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
}

main().catch((error) => {
  console.error(error);
  stopAll();
  process.exit(1);
});
