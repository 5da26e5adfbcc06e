// The API key and bad settings, in the real extension host. A full session with a known key (stored
// with Set API Key, sent to the emulator, through faults, a compaction, an error and an export) must
// leave the key in none of: the log files (every channel of this window), the files Marathon wrote, the
// messages posted to the webview, the export. Bad settings get a clear warning and a safe value.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import { RecordingView, emulator, emulatorUrl, marathon, messageRequests, setConfig } from './helpers';

/** Files under `folder` (recursively) whose bytes contain `needle`, with the number of hits in each. */
function filesContaining(folder: string, needle: string): { files: number; hits: Array<{ file: string; count: number }> } {
  const hits: Array<{ file: string; count: number }> = [];
  let files = 0;
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.isFile()) {
        files++;
        const count = fs.readFileSync(full).toString('latin1').split(needle).length - 1;
        if (count > 0) {
          hits.push({ file: full, count });
        }
      }
    }
  };
  walk(folder);
  return { files, hits };
}

async function until(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

suite('Secrets and settings', function () {
  this.timeout(60_000);
  let api: MarathonApi;
  let view: RecordingView;

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    await emulator('reset', {});
    view = new RecordingView(api);
  });

  teardown(async () => {
    view.dispose();
    for (const key of ['apiBaseUrl', 'model', 'maxTokens', 'compaction.triggerTokens', 'compaction.keepRecentTurns', 'thinking', 'thinkingBudgetTokens', 'effort']) {
      await setConfig(key, undefined);
    }
    await vscode.commands.executeCommand('marathon.clearApiKey');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a full session with a known key leaves it in no log, file, webview message or export', async () => {
    const key = `sk-ant-api03-marathon-secret-${randomBytes(12).toString('hex')}`;
    await setConfig('apiBaseUrl', emulatorUrl());
    await setConfig('compaction.triggerTokens', 50_000);
    await emulator('config', { tokenMultiplier: 60 });
    assert.equal(await vscode.commands.executeCommand<boolean>('marathon.setApiKey', key), true, 'the key is stored');
    await api.controller.newConversation();
    const state = await api.controller.viewState();
    assert.deepEqual([state.backend.kind, state.backend.keySource], ['api', 'secretStorage']);

    // Turns through retries, an interrupted answer and its Retry, threshold and on-demand compaction,
    // a refused request, and the export.
    await emulator('faults', { faults: [{ kind: 'http', status: 529, errorType: 'overloaded_error' }] });
    await api.controller.send(`First question ${'about the code '.repeat(40)}`);
    await emulator('faults', { faults: [{ kind: 'drop', afterDeltas: 2 }] });
    await api.controller.send(`Second question ${'about the tests '.repeat(40)}`);
    await api.controller.handle({ type: 'chat/retry', requestId: 'test-retry', conversationId: (await api.controller.activeSession()).id });
    for (let turn = 3; turn <= 6; turn++) {
      await api.controller.send(`Question ${turn} ${'and the build '.repeat(60)}`);
    }
    await api.controller.compactNow();
    await emulator('faults', { faults: [{ kind: 'http', status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' }] });
    await api.controller.send('This one is refused');
    await api.controller.exportConversation();
    const exported = vscode.window.activeTextEditor?.document;
    assert.ok(exported && exported.languageId === 'markdown', 'the export opened');
    const exportText = exported.getText();
    assert.ok(exportText.includes('First question'), 'the export holds the conversation');

    // The key was really used: the emulator received it with every request.
    const requests = await messageRequests();
    assert.ok(requests.length >= 8 && requests.every((request) => request.apiKey === key), 'every request carried the key');
    assert.ok(view.of('chat/item').some((message) => message.item.kind === 'compaction'), 'the session compacted');
    assert.ok(view.of('chat/failed').some((message) => message.error.kind === 'error' && message.error.errorKind === 'auth'));

    // Let the log channel and the index reach the disk.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const webviewHits = JSON.stringify(view.messages).split(key).length - 1;
    const exportHits = exportText.split(key).length - 1;
    const logsRoot = path.resolve(api.paths.logs, '..', '..');
    const logs = filesContaining(logsRoot, key);
    const storage = filesContaining(api.paths.storage, key);
    const globalStorage = filesContaining(api.paths.globalStorage, key);
    const marathonLog = path.join(api.paths.logs, 'Marathon.log');
    assert.ok(fs.existsSync(marathonLog) && fs.readFileSync(marathonLog, 'utf8').includes('[Auth] API key stored'), 'the Marathon log was searched');
    const figures = {
      webviewMessages: view.messages.length,
      webviewHits,
      exportHits,
      logFiles: logs.files,
      logHits: logs.hits.length,
      storageFiles: storage.files + globalStorage.files,
      storageHits: storage.hits.length + globalStorage.hits.length,
    };
    console.log(`      secret figures: ${JSON.stringify(figures)}`);
    assert.equal(webviewHits, 0, 'the key reached the webview');
    assert.equal(exportHits, 0, 'the key is in the export');
    assert.deepEqual(logs.hits, [], 'the key is in a log');
    assert.deepEqual([...storage.hits, ...globalStorage.hits], [], 'the key is in a file Marathon wrote');
    assert.ok(storage.files > 0, 'the conversation files were searched');
    // The search itself works: it finds what is there.
    assert.ok(filesContaining(logsRoot, '[Auth] API key stored').hits.length > 0, 'the log search finds log lines');
    assert.ok(filesContaining(api.paths.conversations, 'First question').hits.length > 0, 'the file search finds conversation text');
  });

  test('bad settings get a warning that names the setting, and a safe value', async () => {
    const warnings: string[] = [];
    const original = vscode.window.showWarningMessage;
    // Marathon and this test share the extension's API object, so its warnings pass through here.
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (message: string, ...rest: unknown[]) => {
      warnings.push(message);
      return (original as (...args: unknown[]) => Thenable<unknown>)(message, ...rest);
    };
    try {
      const cases: Array<{ key: string; value: unknown; warning: RegExp }> = [
        { key: 'compaction.triggerTokens', value: -5, warning: /marathon\.compaction\.triggerTokens — -5 is below the API's minimum of 50000; using 50000/ },
        { key: 'model', value: 'claude sonnet; rm -rf /', warning: /marathon\.model — "claude sonnet; rm -rf \/" is not a model id; using claude-sonnet-5-5/ },
        { key: 'apiBaseUrl', value: 'htp:/not a url', warning: /marathon\.apiBaseUrl — "htp:\/not a url" is not an http\(s\) URL; using the default endpoint/ },
        { key: 'maxTokens', value: -100, warning: /marathon\.maxTokens — -100 is not a positive whole number; using the model's default/ },
        { key: 'thinking', value: 'deep', warning: /marathon\.thinking — "deep" is not one of adaptive, budget, off; using adaptive/ },
        { key: 'effort', value: 'ultra', warning: /marathon\.effort — "ultra" is not one of default, low, medium, high, xhigh, max; using the model's default/ },
      ];
      for (const { key, value, warning } of cases) {
        await setConfig(key, value);
        await until(() => warnings.some((message) => warning.test(message)), `the warning for ${key}`);
      }
      const log = fs.readFileSync(path.join(api.paths.logs, 'Marathon.log'), 'utf8');
      for (const { key } of cases) {
        assert.ok(log.includes(`[Settings] marathon.${key}:`), `the log names marathon.${key}`);
      }
      // The safe values are what the next request uses.
      await api.controller.newConversation();
      const state = await api.controller.viewState();
      assert.equal(state.meter.triggerTokens, 50_000);
      assert.equal(state.model, 'claude-sonnet-5-5');
      await api.controller.send('Which settings apply?');
      const [request] = await messageRequests();
      assert.equal(request?.body.max_tokens, 64_000, "the model's default output cap");
      assert.deepEqual(request?.body.thinking, { type: 'adaptive', display: 'summarized', block_binding: { prefix_mismatch_behavior: 'drop_block' } });
      assert.equal(request?.body.output_config, undefined, "the model's default effort");
      assert.equal(request?.body.model, 'claude-sonnet-5-5');
      assert.equal(view.of('chat/done').at(-1)?.item.kind, 'assistant');
      // A malformed base URL with a stored key falls back to the default endpoint rather than a broken one.
      await vscode.commands.executeCommand('marathon.setApiKey', 'sk-ant-settings-test');
      assert.equal((await api.controller.viewState()).backend.baseUrl, undefined);
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    }
  });

  test('the thinking and effort settings change what the next request carries, and a fallback says so once', async () => {
    await setConfig('apiBaseUrl', emulatorUrl());
    await vscode.commands.executeCommand('marathon.setApiKey', 'sk-ant-thinking-settings');
    await api.controller.newConversation();
    view.clear();
    // Set API Key checks the key with a request of its own.
    const before = (await messageRequests()).length;
    await setConfig('effort', 'low');
    await api.controller.send('First, with low effort');
    await setConfig('effort', 'max');
    await setConfig('maxTokens', 32_000);
    await api.controller.send('Then with max effort');
    // Sonnet 5.5 always thinks: "off" falls back to adaptive, with one notice however many turns follow.
    await setConfig('thinking', 'off');
    await api.controller.send('Thinking off, once');
    await api.controller.send('Thinking off, twice');
    // A model that takes a budget.
    await setConfig('model', 'claude-sonnet-4-6');
    await setConfig('thinking', 'budget');
    await setConfig('thinkingBudgetTokens', 4096);
    await setConfig('effort', 'default');
    await api.controller.send('With a budget');
    const requests = (await messageRequests()).slice(before);
    assert.equal(requests.length, 5, JSON.stringify(requests.map((request) => [request.body.model, request.body.max_tokens, request.body.thinking, request.body.messages?.length])));
    const binding = { prefix_mismatch_behavior: 'drop_block' };
    assert.deepEqual(requests[0]!.body.output_config, { effort: 'low' });
    assert.deepEqual(requests[0]!.body.thinking, { type: 'adaptive', display: 'summarized', block_binding: binding });
    assert.equal(requests[0]!.body.max_tokens, 64_000);
    assert.ok(requests.every((request) => request.betas.includes('thinking-binding-controls-2026-08-01')), 'every request carries the binding beta');
    assert.deepEqual(requests[1]!.body.output_config, { effort: 'max' });
    assert.equal(requests[1]!.body.max_tokens, 32_000);
    assert.deepEqual(requests[2]!.body.thinking, { type: 'adaptive', display: 'summarized', block_binding: binding });
    assert.deepEqual(requests[4]!.body.thinking, { type: 'enabled', budget_tokens: 4096, display: 'summarized', block_binding: binding });
    assert.equal(requests[4]!.body.output_config, undefined, 'the default effort is left out');
    const notices = view.of('notice/show').map((notice) => notice.message);
    assert.equal(notices.filter((message) => /claude-sonnet-5-5 always thinks/.test(message)).length, 1, notices.join(' | '));
    assert.equal(view.of('chat/failed').length, 0, 'no request failed');
  });

  test('an unknown model is named in a clear error with Open Settings, and the message is kept', async () => {
    await setConfig('model', 'claude-imaginary-9');
    await api.controller.newConversation();
    view.clear();
    // What the real API answers for a model it does not know.
    await emulator('faults', { faults: [{ kind: 'http', status: 404, errorType: 'not_found_error', message: 'model: claude-imaginary-9' }] });
    await api.controller.send('Hello unknown model');
    const failure = view.of('chat/failed').at(-1)?.error;
    assert.ok(failure && failure.kind === 'error', 'an error is shown');
    assert.equal(failure.errorKind, 'invalidRequest');
    assert.match(failure.message, /Not found \(404\): model: claude-imaginary-9\. Check the model \(marathon\.model\)/);
    const state = await api.controller.viewState();
    assert.ok(state.active.items.some((item) => item.kind === 'user' && item.text === 'Hello unknown model'), 'the message is kept');
  });
});
