// The chat view's host side: per-view bootstraps, search hits that open at the message, the editor tab.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import type { ToWebview } from '../../src/shared/protocol';
import { emulator, marathon } from './helpers';

function recorder(): { messages: ToWebview[]; post: (message: ToWebview) => void } {
  const messages: ToWebview[] = [];
  return { messages, post: (message) => messages.push(message) };
}

function bootstraps(messages: ToWebview[]): Array<Extract<ToWebview, { type: 'state/bootstrap' }>> {
  return messages.filter((message): message is Extract<ToWebview, { type: 'state/bootstrap' }> => message.type === 'state/bootstrap');
}

suite('Chat view host', () => {
  let api: MarathonApi;

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    await emulator('reset', {});
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a view that (re)loads is bootstrapped alone; the others keep their state', async () => {
    await api.controller.viewState(); // the session is open, as it is once any view has loaded
    const first = recorder();
    const second = recorder();
    const detachFirst = api.controller.attachView(first.post);
    const detachSecond = api.controller.attachView(second.post);
    try {
      await api.controller.handle({ type: 'webview/ready' }, first.post);
      assert.equal(bootstraps(first.messages).length, 1);
      assert.equal(bootstraps(second.messages).length, 0);
    } finally {
      detachFirst.dispose();
      detachSecond.dispose();
    }
  });

  test('a search hit in another conversation opens it with the item to focus', async () => {
    await api.controller.newConversation();
    await api.controller.send('The word is quince, remember it');
    const target = (await api.controller.viewState()).active;
    const hit = target.items.find((item) => item.kind === 'user');
    assert.ok(hit, 'the message is in the conversation');
    await api.controller.newConversation();
    const view = recorder();
    const detach = api.controller.attachView(view.post);
    try {
      await api.controller.handle({ type: 'search/query', query: 'quince' });
      const results = view.messages.find((message): message is Extract<ToWebview, { type: 'search/results' }> => message.type === 'search/results');
      assert.ok(results?.hits.some((candidate) => candidate.itemId === hit.id && candidate.conversationId === target.id), 'the search finds it');
      await api.controller.handle({ type: 'conversation/switch', id: target.id, focusItemId: hit.id });
      const opened = bootstraps(view.messages).at(-1);
      assert.equal(opened?.state.active.id, target.id);
      assert.equal(opened?.focusItemId, hit.id);
      // A hit in the conversation already shown is focused too.
      await api.controller.handle({ type: 'conversation/switch', id: target.id, focusItemId: hit.id });
      assert.equal(bootstraps(view.messages).at(-1)?.focusItemId, hit.id);
    } finally {
      detach.dispose();
    }
  });

  test('Open Chat in Editor shows one chat tab, connected to the same conversation', async () => {
    await vscode.commands.executeCommand('marathon.openInEditor');
    await vscode.commands.executeCommand('marathon.openInEditor');
    const chatTabs = () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('marathon.chatPanel'));
    const deadline = Date.now() + 5000;
    while (chatTabs().length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(chatTabs().length, 1, 'one chat tab, however often it is asked for');
  });
});
