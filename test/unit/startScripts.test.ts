// `npm start`'s scripts: the VS Code profile is kept between runs unless asked for a clean one, and the
// long first install says that it is at work.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Runs `prepareProfile` of scripts/harness.mjs (an ES module) in a child Node. */
function prepareProfile(stateDir: string, options: object): void {
  const script = `import { prepareProfile } from ${JSON.stringify(path.join(ROOT, 'scripts', 'harness.mjs'))}; prepareProfile(${JSON.stringify(stateDir)}, ${JSON.stringify(options)}); process.exit(0);`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
}

suite('npm start scripts', () => {
  let dir: string;
  setup(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-profile-'));
  });
  teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the profile (conversations, the user\'s settings) survives a restart, and a clean start wipes it', () => {
    const state = path.join(dir, 'start');
    prepareProfile(state, { fresh: false });
    const settingsFile = path.join(state, 'user-data', 'User', 'settings.json');
    const written = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    assert.equal(written['workbench.startupEditor'], 'none', 'the defaults are written the first time');
    // What a session leaves: a conversation in workspace storage and a setting the user changed.
    const conversation = path.join(state, 'user-data', 'User', 'workspaceStorage', 'abc', 'marathon-dev.marathon', 'c1.jsonl');
    fs.mkdirSync(path.dirname(conversation), { recursive: true });
    fs.writeFileSync(conversation, '{"type":"user"}\n');
    fs.writeFileSync(settingsFile, JSON.stringify({ ...written, 'marathon.model': 'claude-opus-5-5', 'workbench.startupEditor': 'welcomePage' }));

    prepareProfile(state, { fresh: false });
    assert.equal(fs.readFileSync(conversation, 'utf8'), '{"type":"user"}\n', 'the conversation is kept');
    const again = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>;
    assert.equal(again['marathon.model'], 'claude-opus-5-5');
    assert.equal(again['workbench.startupEditor'], 'welcomePage', "the user's value wins over the default");
    assert.equal(again['telemetry.telemetryLevel'], 'off');

    prepareProfile(state, { fresh: true });
    assert.equal(fs.existsSync(conversation), false, '--clean starts from nothing');
    assert.equal((JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as Record<string, unknown>)['marathon.model'], undefined);
  });

  test('a long install prints its progress while it runs and keeps its exit code', () => {
    const log = path.join(dir, 'install.log');
    const ok = spawnSync('sh', [path.join(ROOT, 'scripts', 'e2e', 'with-progress.sh'), 'installing', log, 'sh', '-c', 'echo fetching; sleep 1; echo compiling; sleep 2'], {
      env: { ...process.env, MARATHON_PROGRESS_SECONDS: '1' },
      encoding: 'utf8',
    });
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /installing: \d+ s · (fetching|compiling)/, 'a progress line while it runs');
    assert.match(ok.stdout, /installing: done in \d+ s/);
    const failed = spawnSync('sh', [path.join(ROOT, 'scripts', 'e2e', 'with-progress.sh'), 'installing', log, 'sh', '-c', 'exit 3'], { encoding: 'utf8' });
    assert.equal(failed.status, 3);
  });
});
