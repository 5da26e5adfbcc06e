// Hostile and odd files, in the real extension host, beyond the limits test/integration/context.test.ts
// covers (huge, binary, outside the workspace, escaping symlinks, missing): invalid UTF-8, bytes that
// are not text at all, names carrying newlines, Markdown and HTML, and permission denied.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import { fileProblem } from '../../src/host/context/reader';
import type { AttachResult } from '../../src/host/context/service';
import { RecordingView, emulator, marathon, messageRequests } from './helpers';

const TMP = 'files-tmp';

suite('Odd and hostile files', function () {
  this.timeout(30_000);
  let api: MarathonApi;
  let view: RecordingView;
  let conversationId: string;
  const root = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  const write = (name: string, content: string | Uint8Array): vscode.Uri => {
    const full = path.join(root(), TMP, name);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
    return vscode.Uri.file(full);
  };
  const refusal = (result: AttachResult): { reason: string; message: string } => {
    assert.ok(!result.ok, `expected a refusal, got ${JSON.stringify(result)}`);
    return result.problem;
  };
  /** The user message blocks of the last request the emulator received. */
  const lastUserBlocks = async (): Promise<string[]> => {
    const last = (await messageRequests()).at(-1);
    const user = [...(last?.body.messages ?? [])].reverse().find((message) => message.role === 'user');
    return (user?.content ?? []).map((block) => String(block.text ?? ''));
  };

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    await emulator('reset', {});
    view = new RecordingView(api);
    await api.controller.newConversation();
    conversationId = (await api.controller.activeSession()).id;
  });

  teardown(async () => {
    view.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(path.join(root(), TMP), { recursive: true, force: true });
  });

  test('a text file with a few invalid UTF-8 bytes attaches, the bad bytes shown as U+FFFD', async () => {
    const bytes = Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from(' au lait\nna'), Buffer.from([0xc3, 0x28]), Buffer.from('ve\n')]);
    const result = await api.context.attachUri(conversationId, write('latin1.txt', bytes));
    assert.ok(result.ok, JSON.stringify(result));
    await api.controller.send('What does this file say?');
    const block = (await lastUserBlocks()).find((text) => text.includes('latin1.txt'));
    assert.ok(block?.includes('caf\uFFFD au lait'), block);
    assert.equal(view.of('chat/done').at(-1)?.item.kind, 'assistant', 'the request with it was valid');
  });

  test('bytes that are mostly not UTF-8 (no NUL byte) are refused as binary, with a clear message', async () => {
    const noise = Buffer.alloc(4096);
    for (let i = 0; i < noise.length; i++) {
      noise[i] = 0x80 + ((i * 73) % 127) + 1; // high bytes only: never NUL, rarely valid UTF-8
    }
    const problem = refusal(await api.context.attachUri(conversationId, write('archive.dat', noise)));
    assert.equal(problem.reason, 'binary');
    assert.match(problem.message, /archive\.dat is a binary file; Marathon attaches only text/);
  });

  test('file names with a newline, Markdown or HTML attach as plain names: one line in the request, inert in the export', async () => {
    const names = ['notes\n# Injected heading.md', '[click](javascript:alert(1)).md', '<img src=x onerror=alert(1)>.ts', '**bold** `tick` _em_.txt'];
    for (const name of names) {
      const result = await api.context.attachUri(conversationId, write(name, `content of ${JSON.stringify(name)}\n`));
      assert.ok(result.ok, `${JSON.stringify(name)}: ${JSON.stringify(result)}`);
    }
    const chips = view.of('attachments/didChange').at(-1)?.chips ?? [];
    assert.deepEqual(chips.map((chip) => chip.label).sort(), names.map((name) => `${TMP}/${name}`).sort(), 'the chips show the names as they are (the webview renders them as text)');
    await api.controller.send('Look at these files');
    const blocks = (await lastUserBlocks()).filter((text) => text.startsWith('<file'));
    assert.equal(blocks.length, names.length);
    for (const block of blocks) {
      const opening = block.split('\n')[0]!;
      assert.match(opening, /^<file path="[^"<>\n]*"( [a-z]+="[^"<>\n]*")*>$/, `the opening tag stays one well-formed line: ${opening}`);
    }
    await api.controller.exportConversation();
    const exported = vscode.window.activeTextEditor?.document.getText() ?? '';
    const attachedLine = exported.split('\n').find((line) => line.startsWith('_Attached:'));
    assert.ok(attachedLine, exported);
    assert.ok(!exported.split('\n').some((line) => line.startsWith('# Injected heading')), 'a newline in a name does not start a heading in the export');
    for (const name of names) {
      assert.ok(attachedLine.includes(name.replace(/\n/g, ' ')), `the export names ${JSON.stringify(name)} on one line`);
    }
    assert.ok(attachedLine.includes('``'), 'a name with a backtick gets a longer code fence');
  });

  test('permission denied is said in words', async () => {
    const denied = Object.assign(new Error("EACCES: permission denied, open '/x/secret.txt'"), { code: 'EACCES' });
    assert.deepEqual(fileProblem(denied, 'secret.txt'), { reason: 'unreadable', message: 'secret.txt could not be read: permission denied.' });
    const eperm = Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' });
    assert.equal(fileProblem(eperm, 'locked.txt').message, 'locked.txt could not be read: permission denied.');
    if (process.getuid?.() !== 0) {
      // Where the tests do not run as root, a real unreadable file too.
      const locked = write('locked.txt', 'secret');
      fs.chmodSync(locked.fsPath, 0o000);
      assert.match(refusal(await api.context.attachUri(conversationId, locked)).message, /permission denied/);
    }
  });
});
