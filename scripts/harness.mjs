// Shared by `npm start` and `npm test`: one-time machine setup, the emulator, and code-server.
// Every process started here runs in its own process group and is stopped with it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CODE_SERVER = path.join(ROOT, '.vscode-test', 'code-server', 'node_modules', '.bin', 'code-server');

/** Installs chromium, ripgrep, libkrb5-dev (as root) and code-server 4.100.3 into .vscode-test when missing. */
export function ensureSetup() {
  const result = spawnSync('sh', [path.join(ROOT, 'scripts', 'e2e', 'setup.sh')], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new Error('Setup failed: see the message above.');
  }
}

export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

export async function freePort(preferred) {
  const tryPort = (port) =>
    new Promise((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(undefined));
      server.listen(port, '127.0.0.1', () => {
        const { port: chosen } = server.address();
        server.close(() => resolve(chosen));
      });
    });
  return (preferred && (await tryPort(preferred))) || tryPort(0);
}

const children = new Set();

/** Starts a detached process group; `stopAll` kills every group started here. */
function startGroup(command, args, options) {
  const child = spawn(command, args, { cwd: ROOT, detached: true, ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function stopAll() {
  for (const child of children) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  children.clear();
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    stopAll();
    process.exit(130);
  });
}
process.on('exit', stopAll);

/** Starts the bundled Messages API emulator; resolves with its URL. */
export function startEmulator(extraArgs = []) {
  const child = startGroup(process.execPath, [path.join(ROOT, 'out', 'test', 'emulator', 'cli.js'), ...extraArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error('The emulator did not start within 15 s.')), 15_000);
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
      if (match) {
        clearTimeout(timer);
        child.stdout.resume();
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`The emulator exited early (code ${code}).`)));
  });
}

/**
 * What the extension host needs to reach the emulator's cloud platforms the way the platforms' own
 * tools sign in: the emulator's AWS test account in the environment (the AWS chain's first link), its
 * metadata server as Google's (Application Default Credentials' last link), and nothing of this
 * machine's own AWS, gcloud or IMDS sign-in.
 */
export function platformTestEnv(emulatorUrl) {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-cloud-'));
  return {
    AWS_ACCESS_KEY_ID: 'AKIAMARATHONTEST0001',
    AWS_SECRET_ACCESS_KEY: 'marathon/emulator/secret/access/key/0001',
    AWS_REGION: 'us-east-1',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: path.join(empty, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(empty, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_BEARER_TOKEN_BEDROCK: '',
    // Bedrock's client reads its endpoint here when `marathon.bedrock.baseUrl` is empty (as a VPC
    // endpoint would be set), so the e2e test needs no setting besides what Select Provider writes.
    ANTHROPIC_BEDROCK_BASE_URL: emulatorUrl,
    GCE_METADATA_HOST: new URL(emulatorUrl).host,
    METADATA_SERVER_DETECTION: 'assume-present',
    CLOUDSDK_CONFIG: path.join(empty, 'gcloud'),
    GOOGLE_APPLICATION_CREDENTIALS: '',
    ANTHROPIC_FOUNDRY_API_KEY: '',
  };
}

/**
 * Lays out a code-server profile under `stateDir`: user data, extensions and code-server's own files.
 * `fresh` wipes it first (tests, `npm start -- --clean`); otherwise conversations, settings and
 * layout from the last run stay, and the user's settings win over the defaults written here.
 */
export function prepareProfile(stateDir, { fresh = true, settings = {}, workspaceTrust = false } = {}) {
  if (fresh) {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
  const settingsFile = path.join(stateDir, 'user-data', 'User', 'settings.json');
  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.mkdirSync(path.join(stateDir, 'extensions'), { recursive: true });
  let kept = {};
  if (!fresh && fs.existsSync(settingsFile)) {
    try {
      kept = JSON.parse(fs.readFileSync(settingsFile, 'utf8'));
    } catch {
      // VS Code writes JSON with comments only if the user typed them; keep the file as it is then.
      return;
    }
  }
  const userSettings = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    // With `workspaceTrust`, the folder opens untrusted (Restricted Mode), without the startup prompt.
    'security.workspace.trust.enabled': workspaceTrust,
    ...(workspaceTrust ? { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' } : {}),
    'chat.disableAIFeatures': true,
    'git.openRepositoryInParentFolders': 'never',
    'workbench.sideBar.location': 'left',
    // The emulator's port would otherwise pop up "Your application running on port … is available".
    'remote.autoForwardPorts': false,
    ...settings,
    ...kept,
  };
  fs.writeFileSync(settingsFile, JSON.stringify(userSettings, null, 2));
}

/**
 * Starts code-server on 127.0.0.1 with the profile under `stateDir` (fresh unless `fresh: false`).
 * `env` reaches the extension host (code-server passes its environment on).
 */
export async function startCodeServer({ port, stateDir, folder, env = {}, settings = {}, workspaceTrust = false, fresh = true }) {
  prepareProfile(stateDir, { fresh, settings, workspaceTrust });
  const config = path.join(stateDir, 'config.yaml');
  fs.writeFileSync(config, '');
  const log = fs.openSync(path.join(stateDir, 'server.log'), 'w');
  startGroup(
    CODE_SERVER,
    [
      '--config', config,
      '--user-data-dir', path.join(stateDir, 'user-data'),
      '--extensions-dir', path.join(stateDir, 'extensions'),
      '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none',
      '--disable-telemetry',
      '--disable-update-check',
      ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
      folder,
    ],
    {
      stdio: ['ignore', log, log],
      // Keep code-server's own files inside the state folder instead of ~/.config and ~/.local/share.
      env: { ...process.env, XDG_DATA_HOME: path.join(stateDir, 'xdg-data'), XDG_CONFIG_HOME: path.join(stateDir, 'xdg-config'), ...env },
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) {
        return url;
      }
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      throw new Error(`code-server did not answer on ${url}; see ${path.join(stateDir, 'server.log')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A URL that opens `folder` with Marathon loaded unpackaged (and optionally its integration tests). */
export function workbenchUrl(serverUrl, folder, { testsPath } = {}) {
  const authority = new URL(serverUrl).host;
  const remote = (p) => `vscode-remote://${authority}${path.resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(ROOT)]];
  if (testsPath) {
    payload.push(['extensionTestsPath', remote(testsPath)]);
  }
  return `${serverUrl}/?folder=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A fresh copy of the sample workspace for one run. */
export function freshWorkspace(name) {
  const target = path.join(ROOT, '.vscode-test', 'workspaces', name);
  fs.rmSync(target, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'sample-workspace'), target, { recursive: true });
  return target;
}
