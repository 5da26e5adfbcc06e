import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import { EXTENSION_ID, RecordingView, emulator, emulatorUrl, marathon, messageRequests, setConfig } from './helpers';

suite('Marathon in a real extension host', () => {
  let api: MarathonApi;
  let view: RecordingView;

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    await emulator('reset', {});
    view = new RecordingView(api);
    await api.controller.newConversation();
    view.clear();
  });

  teardown(async () => {
    view.dispose();
    await setConfig('apiBaseUrl', undefined);
    await setConfig('compaction.triggerTokens', undefined);
    await setConfig('model', undefined);
    await vscode.commands.executeCommand('marathon.clearApiKey');
  });

  test('activates only on demand and registers its commands', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    // Only the chat editor tab's restore after a reload; everything else activates implicitly.
    assert.deepEqual((extension.packageJSON as { activationEvents?: string[] }).activationEvents, ['onWebviewPanel:marathon.chatPanel']);
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['marathon.newConversation', 'marathon.setApiKey', 'marathon.clearApiKey', 'marathon.stop', 'marathon.showLog']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });

  test('a fresh install uses the default model and compacts at 150,000 tokens', () => {
    const config = vscode.workspace.getConfiguration('marathon');
    assert.equal(config.get('model'), 'claude-sonnet-5-5');
    assert.equal(config.get('compaction.triggerTokens'), 150000);
  });

  test('streams an answer from the demo backend with threshold compaction on from the first request', async () => {
    const state = await api.controller.viewState();
    assert.equal(state.backend.kind, 'demo');
    await api.controller.send('Hello from the integration test');
    const deltas = view.of('chat/delta');
    assert.ok(deltas.length > 0, 'the answer streamed in deltas');
    const done = view.of('chat/done').at(-1);
    assert.ok(done && done.item.kind === 'assistant' && done.item.status === 'done');
    assert.equal(deltas.map((delta) => delta.text).join(''), done.item.kind === 'assistant' ? done.item.text : '');
    const [request] = await messageRequests();
    assert.ok(request, 'one request reached the emulator');
    assert.ok(request.betas.includes('compact-2026-01-12'));
    const edits = (request.body.context_management as { edits: Array<Record<string, unknown>> }).edits;
    assert.equal(edits[0]?.type, 'compact_20260112');
    assert.deepEqual(edits[0]?.trigger, { type: 'input_tokens', value: 150000 });
  });

  test('a follow-up turn carries the whole previous response back', async () => {
    await api.controller.send('First question');
    const first = view.of('chat/done').at(-1)!;
    await api.controller.send('Second question');
    const requests = await messageRequests();
    assert.equal(requests.length, 2);
    const messages = requests[1]!.body.messages!;
    assert.deepEqual(messages.map((message) => message.role), ['user', 'assistant', 'user']);
    const replayed = messages[1]!.content.map((block) => block.text).join('');
    assert.equal(replayed, first.item.kind === 'assistant' ? first.item.text : '');
  });

  test('an empty message is refused with a hint and sends nothing', async () => {
    await api.controller.send('   ');
    assert.ok(view.of('notice/show').some((notice) => /Type a message/.test(notice.message)));
    assert.equal((await messageRequests()).length, 0);
  });

  test('a trigger below the API minimum is raised to 50,000', async () => {
    await setConfig('compaction.triggerTokens', 1000);
    const state = await api.controller.viewState();
    assert.equal(state.meter.triggerTokens, 50000);
    await api.controller.send('Check the trigger');
    const [request] = await messageRequests();
    const edits = (request!.body.context_management as { edits: Array<{ trigger: { value: number } }> }).edits;
    assert.equal(edits[0]!.trigger.value, 50000);
  });

  test('a rejected key is not stored and says why', async () => {
    await setConfig('apiBaseUrl', emulatorUrl());
    const saved = await vscode.commands.executeCommand<boolean>('marathon.setApiKey', 'sk-bad-key');
    assert.equal(saved, false);
    assert.equal((await api.controller.viewState()).backend.kind, 'demo');
  });

  test('a valid key is stored in secret storage and used for requests, then cleared', async () => {
    await setConfig('apiBaseUrl', emulatorUrl());
    const saved = await vscode.commands.executeCommand<boolean>('marathon.setApiKey', 'sk-ant-integration-key');
    assert.equal(saved, true);
    const state = await api.controller.viewState();
    assert.deepEqual([state.backend.kind, state.backend.keySource], ['api', 'secretStorage']);
    await api.controller.send('Use my key');
    const [request] = await messageRequests();
    assert.equal(request!.apiKey, 'sk-ant-integration-key');
    await vscode.commands.executeCommand('marathon.clearApiKey');
    assert.equal((await api.controller.viewState()).backend.kind, 'demo');
  });

  test('a 401 during a turn shows a Set API Key error and keeps the message', async () => {
    await setConfig('apiBaseUrl', emulatorUrl());
    await emulator('faults', { faults: [{ kind: 'http', status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' }] });
    await api.controller.send('This will be refused');
    const failed = view.of('chat/failed').at(-1);
    assert.ok(failed && failed.error.kind === 'error');
    assert.equal(failed.error.kind === 'error' && failed.error.errorKind, 'auth');
    const state = await api.controller.viewState();
    assert.ok(state.active.items.some((item) => item.kind === 'user' && item.text === 'This will be refused'), 'the user message is kept');
  });

  test('an unreachable base URL gives a connection error and keeps the message', async () => {
    await setConfig('apiBaseUrl', emulatorUrl());
    await vscode.commands.executeCommand('marathon.setApiKey', 'sk-ant-unreachable');
    await setConfig('apiBaseUrl', 'http://127.0.0.1:9');
    await api.controller.send('Nobody is listening');
    const failed = view.of('chat/failed').at(-1);
    assert.ok(failed && failed.error.kind === 'error' && failed.error.errorKind === 'connection', JSON.stringify(failed));
    assert.ok(failed.error.kind === 'error' && failed.error.retryable);
    const state = await api.controller.viewState();
    assert.ok(state.active.items.some((item) => item.kind === 'user' && item.text === 'Nobody is listening'));
  });

  test('a demo backend that stopped says so, with no API base URL advice in the error or the retry notices', async () => {
    const demoUrl = process.env.MARATHON_DEMO_URL;
    // As when the emulator npm start runs has gone: nothing listens at the demo address.
    process.env.MARATHON_DEMO_URL = 'http://127.0.0.1:9';
    try {
      assert.equal((await api.controller.viewState()).backend.kind, 'demo');
      await api.controller.send('Is the demo still there?');
    } finally {
      process.env.MARATHON_DEMO_URL = demoUrl;
    }
    const failed = view.of('chat/failed').at(-1);
    assert.ok(failed && failed.error.kind === 'error' && failed.error.errorKind === 'connection', JSON.stringify(failed));
    const shown = [failed.error.kind === 'error' ? failed.error.message : '', ...view.of('notice/show').map((notice) => notice.message)];
    assert.match(shown[0]!, /demo backend at http:\/\/127\.0\.0\.1:9/);
    for (const message of shown) {
      assert.doesNotMatch(message, /apiBaseUrl|API base URL|`/, message);
    }
  });

  test('overloaded responses are retried and the answer arrives', async () => {
    await emulator('faults', { faults: [{ kind: 'http', status: 529, errorType: 'overloaded_error', message: 'Overloaded', retryAfter: 0 }] });
    await api.controller.send('Try again please');
    assert.ok(view.of('notice/show').some((notice) => /Retrying/.test(notice.message)));
    assert.equal(view.of('chat/done').at(-1)?.item.kind, 'assistant');
    assert.equal((await messageRequests()).length, 2);
  });

  test('Stop cancels a long answer and keeps what arrived, marked as stopped', async () => {
    const sending = api.controller.send('Tell me a long story');
    const deadline = Date.now() + 10_000;
    while (view.of('chat/delta').length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await vscode.commands.executeCommand('marathon.stop');
    await sending;
    const done = view.of('chat/done').at(-1)!;
    assert.equal(done.item.kind === 'assistant' && done.item.status, 'stopped');
    assert.ok(done.item.kind === 'assistant' && done.item.text.length > 0);
    assert.equal(view.of('chat/failed').length, 0, 'stopping is not an error');
  });

  test('every message of an answer names its request; a stop naming an earlier request is ignored, one naming it stops it', async () => {
    const conversationId = (await api.controller.activeSession()).id;
    await api.controller.handle({ type: 'chat/send', requestId: 'r-first', conversationId, text: 'A short question' });
    const sending = api.controller.handle({ type: 'chat/send', requestId: 'r-long', conversationId, text: 'Tell me a long story' });
    const longDeltas = () => view.of('chat/delta').filter((delta) => delta.requestId === 'r-long').length;
    const waitForDeltas = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (longDeltas() < count && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await waitForDeltas(3);
    assert.equal((await api.controller.viewState()).requestId, 'r-long', 'a view that loads now can name the answer to stop');
    await api.controller.handle({ type: 'chat/cancel', requestId: 'r-first' });
    const afterStaleStop = longDeltas();
    await waitForDeltas(afterStaleStop + 3);
    assert.ok(longDeltas() >= afterStaleStop + 3, 'the answer goes on after a stop that names an earlier request');
    await api.controller.handle({ type: 'chat/cancel', requestId: 'r-long' });
    await sending;
    const started = view.of('chat/started').map((message) => message.requestId);
    assert.deepEqual(started, ['r-first', 'r-long']);
    const done = view.of('chat/done');
    assert.deepEqual(done.map((message) => message.requestId), ['r-first', 'r-long']);
    const last = done.at(-1)!.item;
    assert.equal(last.kind === 'assistant' && last.status, 'stopped', 'the stop naming the answer stopped it');
  });

  test('a message for a conversation that is no longer the open one is refused and its text goes back', async () => {
    const earlier = (await api.controller.activeSession()).id;
    await api.controller.newConversation();
    view.clear();
    await api.controller.handle({ type: 'chat/send', requestId: 'r-stale', conversationId: earlier, text: 'Meant for the other one' });
    const refused = view.of('chat/refused').at(-1);
    assert.equal(refused?.requestId, 'r-stale');
    assert.equal(refused?.draft, 'Meant for the other one');
    assert.equal(view.of('chat/started').length, 0, 'nothing was sent');
    assert.equal((await messageRequests()).length, 0);
  });
});
