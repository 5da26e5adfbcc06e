// Restricted Mode in a real untrusted workspace: `npm test` starts a second code-server with workspace
// trust on (scripts/test.mjs, stage "restricted"), where this suite alone runs. Marathon chats and reads,
// but applies, inserts, edits and runs nothing, even with auto-approve on and a model that asks anyway.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import { RecordingView, emulator, marathon, messageRequests, setConfig } from './helpers';

const untrusted = process.env.MARATHON_EXPECT_UNTRUSTED === '1';

// Registered only in the untrusted window, so the trusted run neither runs nor counts it.
if (untrusted) {
  suite('Untrusted workspace (Restricted Mode)', function () {
    this.timeout(60_000);
    let api: MarathonApi;
    let view: RecordingView;
    let warnings: string[];
    let original: typeof vscode.window.showWarningMessage;
    const root = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const target = (): string => path.join(root(), 'src', 'restricted.ts');
    const ORIGINAL = 'export const untouched = true;\n';

    suiteSetup(async () => {
      api = await marathon();
      original = vscode.window.showWarningMessage;
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (message: string, ...rest: unknown[]) => {
        warnings.push(message);
        return (original as (...args: unknown[]) => Thenable<unknown>)(message, ...rest);
      };
    });

    suiteTeardown(() => {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    });

    setup(async () => {
      warnings = [];
      await emulator('reset', {});
      fs.mkdirSync(path.dirname(target()), { recursive: true });
      fs.writeFileSync(target(), ORIGINAL);
      view = new RecordingView(api);
      await api.controller.newConversation();
      view.clear();
    });

    teardown(async () => {
      view.dispose();
      await setConfig('mode', undefined);
      await setConfig('agent.autoApproveReadOnly', undefined);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    test('the workspace is untrusted and Marathon says so to the view; chatting still works', async () => {
      assert.equal(vscode.workspace.isTrusted, false);
      const state = await api.controller.viewState();
      assert.equal(state.workspaceTrusted, false);
      await api.controller.send('Explain this project');
      assert.equal(view.of('chat/done').at(-1)?.item.kind, 'assistant');
    });

    test('Apply is refused with a message: no diff, no write', async () => {
      await api.controller.handle({ type: 'code/apply', code: 'export const untouched = false;\n', language: 'ts', path: 'src/restricted.ts' });
      assert.equal(api.proposals.pending, 0, 'no proposal was opened');
      const diffs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => tab.input instanceof vscode.TabInputTextDiff);
      assert.equal(diffs.length, 0, 'no diff editor');
      assert.equal(fs.readFileSync(target(), 'utf8'), ORIGINAL);
      assert.ok(warnings.some((message) => /Apply is off in Restricted Mode/.test(message)), JSON.stringify(warnings));
    });

    test('Insert at cursor is refused with a message: the editor is not changed', async () => {
      const document = await vscode.workspace.openTextDocument(target());
      await vscode.window.showTextDocument(document);
      await api.controller.handle({ type: 'code/insert', code: 'inserted();' });
      assert.equal(document.getText(), ORIGINAL);
      assert.equal(document.isDirty, false);
      assert.ok(warnings.some((message) => /Insert is off in Restricted Mode/.test(message)), JSON.stringify(warnings));
    });

    test('agent mode offers only tools that look, and refuses edits and commands the model asks for anyway, even with auto-approve on', async () => {
      await setConfig('mode', 'agent');
      await setConfig('agent.autoApproveReadOnly', true);
      const conversationId = (await api.controller.viewState()).active.id;
      await api.controller.handle({ type: 'tools/setAutoApprove', scope: 'conversation', on: true });
      const marker = path.join(root(), 'pwned-by-agent');
      await emulator('script', {
        replies: [
          {
            text: 'Let me look, then change things.',
            toolUse: [
              { id: 'toolu_read', name: 'read_file', input: { path: 'src/restricted.ts' } },
              { id: 'toolu_edit', name: 'edit_file', input: { path: 'src/restricted.ts', old_text: 'true', new_text: 'false' } },
              { id: 'toolu_run', name: 'run_command', input: { command: `touch ${JSON.stringify(marker)}` } },
            ],
          },
          {
            text: 'I could only read.',
            expectToolResult: [
              { toolUseId: 'toolu_read', includes: 'untouched', isError: false },
              { toolUseId: 'toolu_edit', includes: 'Restricted Mode', isError: true },
              { toolUseId: 'toolu_run', includes: 'Restricted Mode', isError: true },
            ],
          },
        ],
      });
      await api.controller.send('Flip the flag and touch a file');
      const [first] = await messageRequests();
      const offered = ((first?.body.tools as Array<{ name: string }> | undefined) ?? []).map((tool) => tool.name);
      assert.ok(offered.includes('read_file'), `tools offered: ${offered.join(', ')}`);
      assert.ok(!offered.includes('edit_file') && !offered.includes('run_command'), `tools offered: ${offered.join(', ')}`);
      const { expectations } = await emulator<{ expectations: Array<{ ok: boolean; message: string }> }>('expectations');
      assert.ok(expectations.length === 3 && expectations.every((check) => check.ok), JSON.stringify(expectations));
      assert.equal(fs.existsSync(marker), false, 'the command did not run');
      assert.equal(fs.readFileSync(target(), 'utf8'), ORIGINAL, 'the file was not edited');
      assert.equal(api.proposals.pending, 0);
      assert.equal(conversationId, (await api.controller.viewState()).active.id);
    });
  });
}
