// Runs the same integration suite under desktop VS Code (Electron) where it can be downloaded:
// `npm run test:electron`. The default runner is code-server (`npm test`).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { startEmulator } from '../emulator/server';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..', '..');
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-electron-'));
  fs.cpSync(path.join(root, 'sample-workspace'), workspace, { recursive: true });
  const emulator = await startEmulator();
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(__dirname, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
      extensionTestsEnv: { MARATHON_DEMO_URL: emulator.url, MARATHON_RETRY_BASE_MS: '50', MARATHON_IDLE_TIMEOUT_MS: '4000', ANTHROPIC_API_KEY: '' },
    });
  } finally {
    await emulator.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
