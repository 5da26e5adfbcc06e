// `npm start`: builds Marathon, starts the demo emulator when no API key is set, opens it in a real
// VS Code (code-server) with the sample workspace, and prints the URL. Ctrl+C stops everything.
// The VS Code profile (conversations, settings, layout) is kept between runs under .vscode-test/start;
// `npm start -- --clean` starts from a fresh one.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, ensureSetup, freePort, run, startCodeServer, startEmulator, workbenchUrl } from './harness.mjs';

async function main() {
  if (run('node', ['esbuild.js']) !== 0 || run('npx', ['tsc', '-p', 'tsconfig.json']) !== 0) {
    process.exit(1);
  }
  ensureSetup();
  const env = {};
  if (process.env.ANTHROPIC_API_KEY) {
    console.log('Using ANTHROPIC_API_KEY: Marathon talks to the real Messages API.');
  } else {
    env.MARATHON_DEMO_URL = await startEmulator();
    console.log(`No ANTHROPIC_API_KEY: Marathon uses the bundled demo emulator at ${env.MARATHON_DEMO_URL} (not Claude).`);
  }
  const port = await freePort(Number(process.env.MARATHON_PORT) || 8620);
  const folder = path.join(ROOT, 'sample-workspace');
  const stateDir = path.join(ROOT, '.vscode-test', 'start');
  const fresh = process.argv.includes('--clean');
  const kept = !fresh && fs.existsSync(path.join(stateDir, 'user-data'));
  console.log(kept ? 'Keeping the VS Code profile of the last run (conversations, settings); `npm start -- --clean` starts fresh.' : 'Starting with a fresh VS Code profile.');
  const serverUrl = await startCodeServer({ port, stateDir, folder, env, fresh });
  console.log('\nMarathon is running in VS Code. Open this URL in your browser:\n');
  console.log(`  ${workbenchUrl(serverUrl, folder)}\n`);
  console.log('Press Ctrl+C to stop.');
  // Stay up until Ctrl+C; the harness stops the emulator and code-server on exit.
  await new Promise(() => undefined);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
