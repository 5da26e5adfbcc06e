// Workspace context on request, in the real extension host: commands, code actions, the @ picker,
// every attachment kind, every limit, and pinned files re-sent after a compaction.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import type { AttachResult } from '../../src/host/context/service';
import type { AttachmentChip, ToWebview } from '../../src/shared/protocol';
import { RecordingView, emulator, marathon, messageRequests, setConfig } from './helpers';

const TMP = 'ctx-tmp';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

function write(relative: string, content: string | Uint8Array): vscode.Uri {
  const full = path.join(workspaceRoot(), relative);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, content);
  return vscode.Uri.file(full);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(50);
  }
}

function problemOf(result: AttachResult | undefined): string {
  assert.ok(result && !result.ok, `expected a refusal, got ${JSON.stringify(result)}`);
  return result.problem.reason;
}

/** The text blocks of the user message in the last request the emulator received. */
async function lastUserBlocks(): Promise<string[]> {
  const requests = await messageRequests();
  const last = requests.at(-1);
  assert.ok(last, 'a request reached the emulator');
  const user = [...(last.body.messages ?? [])].reverse().find((message) => message.role === 'user');
  assert.ok(user, 'the request has a user message');
  return user.content.map((block) => String(block.text ?? ''));
}

suite('Workspace context on request', () => {
  let api: MarathonApi;
  let view: RecordingView;
  let conversationId: string;
  let diagnostics: vscode.DiagnosticCollection;
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-outside-'));

  const chips = (): AttachmentChip[] => view.of('attachments/didChange').filter((message) => message.conversationId === conversationId).at(-1)?.chips ?? [];

  suiteSetup(async () => {
    api = await marathon();
    diagnostics = vscode.languages.createDiagnosticCollection('marathon-test');
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'outside the workspace\n');
  });

  suiteTeardown(() => {
    diagnostics.dispose();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  setup(async () => {
    await emulator('reset', {});
    view = new RecordingView(api);
    await api.controller.newConversation();
    conversationId = (await api.controller.activeSession()).id;
    view.clear();
  });

  teardown(async () => {
    view.dispose();
    diagnostics.clear();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setConfig('context.maxFileBytes', undefined);
    fs.rmSync(path.join(workspaceRoot(), TMP), { recursive: true, force: true });
  });

  test('registers the context commands', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['marathon.addFileToChat', 'marathon.addSelectionToChat', 'marathon.explainSelection', 'marathon.fixProblem', 'marathon.showConversations', 'marathon.exportConversation', 'marathon.compactNow']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });

  test('Add File to Chat shows a chip; the next message carries the file, delimited with its path', async () => {
    const uri = write(`${TMP}/hello.ts`, 'export const greeting = "hello from the workspace";\n');
    const [result] = await vscode.commands.executeCommand<AttachResult[]>('marathon.addFileToChat', uri);
    assert.ok(result?.ok, JSON.stringify(result));
    const [chip] = chips();
    assert.equal(chip?.label, `${TMP}/hello.ts`);
    assert.equal(chip?.kind, 'file');
    assert.ok((chip?.tokens ?? 0) > 5, 'the chip shows an estimated size');
    assert.equal(chip?.pending, true);
    await api.controller.send('What does this file export?');
    const blocks = await lastUserBlocks();
    assert.equal(blocks.length, 2, 'the attachment, then the typed text');
    assert.match(blocks[0]!, new RegExp(`^<file path="${TMP}/hello.ts" language="typescript">\\nexport const greeting = "hello from the workspace";\\n</file>$`));
    assert.equal(blocks[1], 'What does this file export?');
    assert.deepEqual(chips(), [], 'the chip leaves the prompt with the message');
    const state = await api.controller.viewState();
    const user = state.active.items.find((item) => item.kind === 'user');
    assert.equal(user?.kind === 'user' && user.attachments?.[0]?.label, `${TMP}/hello.ts`, 'the message shows what was attached');
  });

  test('Add File to Chat on a folder attaches its listing', async () => {
    write(`${TMP}/tree/a.ts`, 'a');
    write(`${TMP}/tree/sub/b.ts`, 'b');
    api.context.fileIndex().invalidate();
    const [result] = await vscode.commands.executeCommand<AttachResult[]>('marathon.addFileToChat', vscode.Uri.file(path.join(workspaceRoot(), TMP, 'tree')));
    assert.ok(result?.ok, JSON.stringify(result));
    assert.equal(chips()[0]?.kind, 'folder');
    await api.controller.send('Here is the folder');
    const [listing] = await lastUserBlocks();
    assert.equal(listing, `<folder path="${TMP}/tree" files="2">\nsub/\n  b.ts\na.ts\n</folder>`);
  });

  test('Add Selection to Chat attaches the selected lines with their range', async () => {
    const uri = write(`${TMP}/sel.ts`, 'line one\nline two\nline three\nline four\n');
    const editor = await vscode.window.showTextDocument(uri);
    editor.selection = new vscode.Selection(1, 0, 2, 10);
    const result = await vscode.commands.executeCommand<AttachResult>('marathon.addSelectionToChat');
    assert.ok(result?.ok, JSON.stringify(result));
    assert.equal(chips()[0]?.label, `${TMP}/sel.ts:2-3`);
    await api.controller.send('Look at this');
    const [selection] = await lastUserBlocks();
    assert.equal(selection, `<selection path="${TMP}/sel.ts" language="typescript" lines="2-3">\nline two\nline three\n</selection>`);
  });

  test('Explain Selection sends the selection with a request to explain it', async () => {
    const uri = write(`${TMP}/explain.py`, 'def add(a, b):\n    return a + b\n');
    const editor = await vscode.window.showTextDocument(uri);
    editor.selection = new vscode.Selection(0, 0, 1, 16);
    const result = await vscode.commands.executeCommand<AttachResult>('marathon.explainSelection');
    assert.ok(result?.ok);
    const [selection, prompt] = await lastUserBlocks();
    assert.match(selection!, /^<selection path="ctx-tmp\/explain.py" language="python" lines="1-2">\ndef add\(a, b\):\n {4}return a \+ b\n<\/selection>$/);
    assert.match(prompt!, /^Explain this code/);
    const done = view.of('chat/done').at(-1);
    assert.ok(done && done.item.kind === 'assistant' && done.item.status === 'done', 'the chat answered');
  });

  test('Fix This Problem sends the diagnostic, the code around it and the path, asking for a diff', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => (i === 14 ? 'const total: number = "oops";' : `const v${i} = ${i};`));
    const uri = write(`${TMP}/broken.ts`, lines.join('\n') + '\n');
    const diagnostic = new vscode.Diagnostic(new vscode.Range(14, 6, 14, 11), "Type 'string' is not assignable to type 'number'.", vscode.DiagnosticSeverity.Error);
    diagnostic.source = 'ts';
    diagnostic.code = 2322;
    diagnostics.set(uri, [diagnostic]);
    const result = await vscode.commands.executeCommand<AttachResult>('marathon.fixProblem', uri, diagnostic);
    assert.ok(result?.ok, JSON.stringify(result));
    const [problem, prompt] = await lastUserBlocks();
    assert.match(problem!, /<problem path="ctx-tmp\/broken.ts" line="15" column="7" severity="error" source="ts 2322" language="typescript">/);
    assert.match(problem!, /Type 'string' is not assignable to type 'number'\./);
    assert.match(problem!, />15 \| const total: number = "oops";/);
    assert.match(problem!, / 5 \| const v4 = 4;/, 'ten lines of context before');
    assert.match(problem!, /25 \| const v24 = 24;/, 'and after');
    assert.match(prompt!, /^Fix this problem in ctx-tmp\/broken.ts \(line 15\)/);
    assert.match(prompt!, /```diff/);
  });

  test('Fix This Problem from the palette fixes the problem at the cursor', async () => {
    const uri = write(`${TMP}/cursor.ts`, 'let a = 1;\nlet b = ;\n');
    diagnostics.set(uri, [new vscode.Diagnostic(new vscode.Range(1, 8, 1, 9), 'Expression expected.', vscode.DiagnosticSeverity.Error)]);
    const editor = await vscode.window.showTextDocument(uri);
    editor.selection = new vscode.Selection(1, 2, 1, 2);
    const result = await vscode.commands.executeCommand<AttachResult>('marathon.fixProblem');
    assert.ok(result?.ok);
    const [problem] = await lastUserBlocks();
    assert.match(problem!, /Expression expected\./);
  });

  test('the lightbulb offers Fix with Marathon on a diagnostic and Explain or Ask on a selection', async () => {
    // Plain text: no language server joins in, so only Marathon's actions are computed.
    const uri = write(`${TMP}/actions.txt`, 'const x: number = "no";\nconst y = 2;\n');
    await vscode.window.showTextDocument(uri);
    const range = new vscode.Range(0, 6, 0, 7);
    diagnostics.set(uri, [new vscode.Diagnostic(range, 'Type mismatch', vscode.DiagnosticSeverity.Error)]);
    const atProblem = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range);
    const fix = atProblem.find((action) => action.title === 'Fix with Marathon');
    assert.ok(fix, `actions: ${atProblem.map((action) => action.title).join(', ')}`);
    assert.equal(fix.kind?.value, vscode.CodeActionKind.QuickFix.value);
    assert.equal(fix.command?.command, 'marathon.fixProblem');
    const selection = new vscode.Range(1, 0, 1, 12);
    const onSelection = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, selection);
    const titles = onSelection.map((action) => action.title);
    assert.ok(titles.includes('Explain with Marathon'), titles.join(', '));
    assert.ok(titles.includes('Ask Marathon about this'), titles.join(', '));
    assert.ok(!titles.includes('Fix with Marathon'), 'no fix where there is no problem');
    const empty = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, new vscode.Range(1, 3, 1, 3));
    assert.ok(!empty.some((action) => action.title.includes('Marathon')), 'nothing on an empty selection without a problem');
  });

  test('Ask Marathon about this attaches the selection from the code action', async () => {
    const uri = write(`${TMP}/ask.ts`, 'const answer = 42;\n');
    await vscode.window.showTextDocument(uri);
    const result = await vscode.commands.executeCommand<AttachResult>('marathon.addSelectionToChat', uri, new vscode.Range(0, 6, 0, 12));
    assert.ok(result?.ok);
    assert.equal(chips()[0]?.label, `${TMP}/ask.ts:1`);
  });

  test('the @ picker finds files by fuzzy name, answering with the query id until done', async () => {
    await api.controller.handle({ type: 'context/query', queryId: 41, query: 'invntry' });
    const results = view.of('context/results').filter((message) => message.queryId === 41);
    const final = results.at(-1);
    assert.ok(final?.done, 'the last batch says the list is complete');
    const hit = final.items.find((item) => item.kind === 'file' && item.label === 'src/inventory.ts');
    assert.ok(hit, JSON.stringify(final.items.map((item) => item.label)));
    assert.ok((hit.matches?.length ?? 0) > 0, 'matched characters are reported for highlighting');
    // An empty query lists the special items first.
    await api.controller.handle({ type: 'context/query', queryId: 42, query: '' });
    const specials = view.of('context/results').filter((message) => message.queryId === 42).at(-1)!.items.map((item) => item.id);
    for (const id of ['problems', 'terminal', 'git']) {
      assert.ok(specials.includes(id), `${id} in ${specials.join(', ')}`);
    }
  });

  test('the @ picker leaves out .gitignore, files.exclude and search.exclude matches', async () => {
    write(`${TMP}/.gitignore`, 'ignored-by-git.txt\n');
    write(`${TMP}/ignored-by-git.txt`, 'x');
    write(`${TMP}/hidden-by-files-exclude.txt`, 'x');
    write(`${TMP}/hidden-by-search-exclude.txt`, 'x');
    write(`${TMP}/visible-control.txt`, 'x');
    const files = vscode.workspace.getConfiguration('files');
    const search = vscode.workspace.getConfiguration('search');
    await files.update('exclude', { '**/hidden-by-files-exclude.txt': true }, vscode.ConfigurationTarget.Workspace);
    await search.update('exclude', { '**/hidden-by-search-exclude.txt': true }, vscode.ConfigurationTarget.Workspace);
    try {
      api.context.fileIndex().invalidate();
      const labels = async (queryId: number, query: string) => {
        await api.controller.handle({ type: 'context/query', queryId, query });
        return view.of('context/results').filter((message) => message.queryId === queryId).at(-1)!.items.map((item) => item.label);
      };
      assert.ok((await labels(51, 'visible-control')).includes(`${TMP}/visible-control.txt`));
      assert.ok(!(await labels(52, 'ignored-by-git')).some((label) => label.includes('ignored-by-git')), '.gitignore is honoured');
      assert.ok(!(await labels(53, 'hidden-by-files-exclude')).some((label) => label.includes('hidden-by-files')), 'files.exclude is honoured');
      assert.ok(!(await labels(54, 'hidden-by-search-exclude')).some((label) => label.includes('hidden-by-search')), 'search.exclude is honoured');
    } finally {
      await files.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
      await search.update('exclude', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('picking an item in the webview attaches it; the chip can be removed', async () => {
    write(`${TMP}/picked.md`, '# Picked\n');
    await api.controller.handle({ type: 'context/attach', itemId: `file:0:${TMP}/picked.md` });
    const [chip] = chips();
    assert.equal(chip?.label, `${TMP}/picked.md`);
    assert.equal(chip?.pinnable, true);
    await api.controller.handle({ type: 'attachments/remove', id: chip.id });
    assert.deepEqual(chips(), []);
  });

  test('open editors, workspace problems and a file’s problems attach as their own kinds', async () => {
    const a = write(`${TMP}/open-a.ts`, 'export const a = 1;\n');
    const b = write(`${TMP}/open-b.ts`, 'export const b = 2;\n');
    await vscode.window.showTextDocument(a, { preview: false });
    await vscode.window.showTextDocument(b, { preview: false });
    diagnostics.set(a, [new vscode.Diagnostic(new vscode.Range(0, 0, 0, 6), 'Something is off', vscode.DiagnosticSeverity.Warning)]);
    for (const itemId of ['editors', 'problems', `problems:${a.toString()}`]) {
      const result = await api.context.attachItem(conversationId, itemId);
      assert.ok(result.ok, `${itemId}: ${JSON.stringify(result)}`);
    }
    assert.deepEqual(chips().map((chip) => chip.kind), ['editors', 'problems', 'problems']);
    await api.controller.send('Context please');
    const [editors, workspaceProblems, fileProblems] = await lastUserBlocks();
    assert.match(editors!, /^<editors count="2">/);
    assert.match(editors!, /export const a = 1;/);
    assert.match(editors!, /export const b = 2;/);
    assert.match(workspaceProblems!, /<problem path="ctx-tmp\/open-a.ts" line="1" column="1" severity="warning"[^>]*>\nSomething is off/);
    assert.match(fileProblems!, /^<problems scope="ctx-tmp\/open-a.ts" count="1">/);
  });

  test('the working tree’s git changes attach as a diff', async function () {
    try {
      execFileSync('git', ['--version']);
    } catch {
      this.skip();
    }
    const repo = path.join(workspaceRoot(), TMP, 'repo-check');
    const root = workspaceRoot();
    const hadGit = fs.existsSync(path.join(root, '.git'));
    if (!hadGit) {
      const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=Test', ...args], { cwd: root });
      git('init', '-q');
      git('add', 'src');
      git('commit', '-q', '-m', 'base');
    }
    try {
      const file = path.join(root, 'src', 'inventory.ts');
      const original = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, original + '// changed by the git test\n');
      fs.mkdirSync(repo, { recursive: true });
      try {
        const result = await api.context.attachItem(conversationId, 'git');
        assert.ok(result.ok, JSON.stringify(result));
        await api.controller.send('Review my changes');
        const [changes] = await lastUserBlocks();
        assert.match(changes!, /^<git-changes>/);
        assert.match(changes!, /\+\/\/ changed by the git test/);
        assert.match(changes!, / M src\/inventory.ts/);
      } finally {
        fs.writeFileSync(file, original);
      }
    } finally {
      if (!hadGit) {
        fs.rmSync(path.join(root, '.git'), { recursive: true, force: true });
      }
    }
  });

  test('the terminal’s last command and its output attach through shell integration', async function () {
    this.timeout(40_000);
    const terminal = vscode.window.createTerminal({ name: 'marathon-test', shellPath: '/bin/bash' });
    try {
      terminal.show();
      const integration =
        terminal.shellIntegration ??
        (await new Promise<vscode.TerminalShellIntegration | undefined>((resolve) => {
          const timer = setTimeout(() => {
            listener.dispose();
            resolve(undefined);
          }, 10_000);
          const listener = vscode.window.onDidChangeTerminalShellIntegration((event) => {
            if (event.terminal === terminal) {
              clearTimeout(timer);
              listener.dispose();
              resolve(event.shellIntegration);
            }
          });
        }));
      if (!integration) {
        // Without shell integration nothing can be captured; attaching says so clearly.
        const result = await api.context.attachItem(conversationId, 'terminal');
        if (!result.ok) {
          assert.match(result.problem.message, /No terminal command was captured/);
        }
        this.skip();
      }
      const ended = new Promise<void>((resolve) => {
        const listener = vscode.window.onDidEndTerminalShellExecution((event) => {
          if (event.terminal === terminal) {
            listener.dispose();
            resolve();
          }
        });
      });
      // Output is read from the moment the start event arrives, so the test's command takes a moment
      // before printing (a real build or test run always does).
      integration.executeCommand('sleep 1; echo marathon-terminal-output');
      await ended;
      await sleep(200);
      const result = await api.context.attachItem(conversationId, 'terminal');
      assert.ok(result.ok, JSON.stringify(result));
      await api.controller.send('What happened in the terminal?');
      const [block] = await lastUserBlocks();
      assert.match(block!, /^<terminal name="marathon-test" command="sleep 1; echo marathon-terminal-output" exit-code="0"/);
      assert.match(block!, /\nmarathon-terminal-output\n/);
    } finally {
      terminal.dispose();
    }
  });

  test('a file over marathon.context.maxFileBytes is refused with an offer; accepting attaches its first part, marked', async () => {
    const line = 'x'.repeat(99) + '\n';
    const uri = write(`${TMP}/huge.log`, line.repeat(3000)); // 300,000 bytes, over the 256 KiB default
    const small = write(`${TMP}/small.txt`, 'keep me\n');
    await api.context.attachUri(conversationId, small);
    const refused = await api.context.attachUri(conversationId, uri);
    assert.equal(problemOf(refused), 'tooLarge');
    assert.ok(!refused.ok && refused.problem.canTruncate);
    assert.match(!refused.ok ? refused.problem.message : '', /huge.log is 293 KiB, over the 256 KiB limit/);
    assert.deepEqual(chips().map((chip) => chip.label), [`${TMP}/small.txt`], 'nothing already attached is lost');
    // Through the webview: a refusal with the offer, then the first part on request.
    await api.controller.handle({ type: 'context/attach', itemId: `file:0:${TMP}/huge.log` });
    const failed = view.of('context/attachFailed').at(-1);
    assert.ok(failed?.canTruncate, JSON.stringify(failed));
    await api.controller.handle({ type: 'context/attach', itemId: `file:0:${TMP}/huge.log`, truncate: true });
    const chip = chips().find((candidate) => candidate.label === `${TMP}/huge.log`);
    assert.equal(chip?.truncated, true);
    await api.controller.send('Summarize the log');
    const blocks = await lastUserBlocks();
    const huge = blocks.find((block) => block.includes('huge.log'))!;
    assert.match(huge, /truncated="first 262100 of 300000 bytes"/);
    assert.ok(huge.length < 262_144 + 200);
  });

  test('a smaller marathon.context.maxFileBytes applies at once', async () => {
    await setConfig('context.maxFileBytes', 1024);
    const uri = write(`${TMP}/two-k.txt`, 'y'.repeat(2048));
    assert.equal(problemOf(await api.context.attachUri(conversationId, uri)), 'tooLarge');
  });

  test('a binary file is refused, even when it is over the size limit', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    assert.equal(problemOf(await api.context.attachUri(conversationId, write(`${TMP}/image.png`, png))), 'binary');
    const big = new Uint8Array(300_000);
    assert.equal(problemOf(await api.context.attachUri(conversationId, write(`${TMP}/big.bin`, big))), 'binary');
    await api.controller.handle({ type: 'context/attach', itemId: `file:0:${TMP}/image.png` });
    assert.match(view.of('context/attachFailed').at(-1)?.message ?? '', /binary file/);
  });

  test('paths outside the workspace and symlinks that escape it are refused', async () => {
    assert.equal(problemOf(await api.context.attachUri(conversationId, vscode.Uri.file(path.join(outside, 'secret.txt')))), 'outsideWorkspace');
    fs.mkdirSync(path.join(workspaceRoot(), TMP), { recursive: true });
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(workspaceRoot(), TMP, 'link.txt'));
    fs.symlinkSync(outside, path.join(workspaceRoot(), TMP, 'linkdir'));
    const viaFile = await api.context.attachUri(conversationId, vscode.Uri.file(path.join(workspaceRoot(), TMP, 'link.txt')));
    assert.equal(problemOf(viaFile), 'outsideWorkspace');
    assert.match(!viaFile.ok ? viaFile.problem.message : '', /outside the workspace/);
    assert.equal(problemOf(await api.context.attachUri(conversationId, vscode.Uri.file(path.join(workspaceRoot(), TMP, 'linkdir', 'secret.txt')))), 'outsideWorkspace');
    assert.equal(problemOf(await api.context.attachItem(conversationId, `file:0:${TMP}/../../${path.basename(outside)}/secret.txt`)), 'outsideWorkspace');
    assert.equal(problemOf(await api.context.attachItem(conversationId, `folder:0:${TMP}/linkdir`)), 'outsideWorkspace');
    // A link that stays inside the workspace is fine.
    write(`${TMP}/target.txt`, 'inside\n');
    fs.symlinkSync(path.join(workspaceRoot(), TMP, 'target.txt'), path.join(workspaceRoot(), TMP, 'inner-link.txt'));
    assert.ok((await api.context.attachUri(conversationId, vscode.Uri.file(path.join(workspaceRoot(), TMP, 'inner-link.txt')))).ok);
    assert.ok(!chips().some((chip) => chip.label.includes('secret')));
  });

  test('a missing or unreadable file is refused with a clear message', async () => {
    const missing = await api.context.attachUri(conversationId, vscode.Uri.file(path.join(workspaceRoot(), TMP, 'nope.ts')));
    assert.equal(problemOf(missing), 'missing');
    assert.match(!missing.ok ? missing.problem.message : '', /does not exist/);
    fs.mkdirSync(path.join(workspaceRoot(), TMP), { recursive: true });
    execFileSync('mkfifo', [path.join(workspaceRoot(), TMP, 'pipe')]);
    const pipe = await api.context.attachFile(conversationId, vscode.Uri.file(path.join(workspaceRoot(), TMP, 'pipe')));
    assert.equal(problemOf(pipe), 'unreadable');
    if (process.getuid?.() !== 0) {
      const locked = write(`${TMP}/locked.txt`, 'secret');
      fs.chmodSync(locked.fsPath, 0o000);
      assert.equal(problemOf(await api.context.attachUri(conversationId, locked)), 'unreadable');
    }
  });

  test('in Restricted Mode files still attach read-only, but git changes (which run git) are refused', async () => {
    const restricted = api.context.withTrust(() => false);
    try {
      const uri = write(`${TMP}/readable.txt`, 'read only is fine\n');
      assert.ok((await restricted.attachUri(conversationId, uri)).ok);
      const git = await restricted.attachItem(conversationId, 'git');
      assert.equal(problemOf(git), 'untrusted');
      assert.match(!git.ok ? git.problem.message : '', /Restricted Mode/);
    } finally {
      restricted.dispose();
    }
  });

  test('a pinned file is re-read and re-sent after a compaction, and stays pinned for its conversation', async () => {
    const uri = write(`${TMP}/pinned.ts`, 'export const version = 1;\n');
    const attached = await api.context.attachUri(conversationId, uri);
    assert.ok(attached.ok);
    await api.controller.handle({ type: 'attachments/togglePin', id: attached.chipId });
    assert.equal(chips()[0]?.pinned, true);
    await api.controller.send('Remember this file');
    // Sent once with the message; the chip stays, outlined, as a pinned file of the conversation.
    const [pinChip] = chips();
    assert.equal(pinChip?.pending, false);
    assert.equal(pinChip?.pinned, true);
    assert.deepEqual(api.context.pinnedRefs(conversationId).map((ref) => ref.label), [`${TMP}/pinned.ts`]);
    fs.writeFileSync(uri.fsPath, 'export const version = 2;\n');
    await api.controller.compactNow();
    await api.controller.send('What version is it now?');
    const blocks = await lastUserBlocks();
    const fresh = blocks.find((block) => block.startsWith(`<file path="${TMP}/pinned.ts"`));
    assert.ok(fresh, JSON.stringify(blocks.map((block) => block.slice(0, 60))));
    assert.match(fresh, /export const version = 2;/, 'the pinned file was re-read after the compaction');
    // Persisted per conversation: another conversation has no pins; coming back shows it again.
    await api.controller.newConversation();
    const other = (await api.controller.activeSession()).id;
    assert.deepEqual(api.context.chips(other), []);
    await api.controller.handle({ type: 'conversation/switch', id: conversationId });
    await until(() => chips().some((chip) => chip.label === `${TMP}/pinned.ts` && chip.pinned), 'the pinned chip after switching back');
    // Unpinning removes it.
    await api.controller.handle({ type: 'attachments/togglePin', id: chips()[0]!.id });
    assert.deepEqual(chips(), []);
    assert.deepEqual(api.context.pinnedRefs(conversationId), []);
  });

  test('attachments wait for a message the session accepts', async () => {
    const uri = write(`${TMP}/wait.ts`, 'export {};\n');
    await api.context.attachUri(conversationId, uri);
    await api.controller.send('   ');
    assert.equal(chips().length, 1, 'an empty message does not take the attachments');
    assert.equal((await messageRequests()).length, 0);
  });

  test('a message from the view carries exactly the chips it showed; a shown chip that is gone refuses the send', async () => {
    const shown = write(`${TMP}/shown.ts`, 'export const shown = 1;\n');
    const hidden = write(`${TMP}/hidden.ts`, 'export const hidden = 2;\n');
    const shownResult = await api.context.attachUri(conversationId, shown);
    assert.ok(shownResult.ok);
    // Attached after the view last drew its chips (the view has not heard of it yet).
    await api.context.attachUri(conversationId, hidden);
    await api.controller.handle({ type: 'chat/send', requestId: 'r-shown', conversationId, text: 'Only what I saw.', attachmentIds: [shownResult.chipId] });
    const sent = (await lastUserBlocks()).filter((block) => block.startsWith('<file path='));
    assert.deepEqual(sent.map((block) => /path="([^"]+)"/.exec(block)?.[1]), [`${TMP}/shown.ts`]);
    assert.deepEqual(chips().map((chip) => chip.label), [`${TMP}/hidden.ts`], 'the unseen attachment waits, now shown');
    const before = (await messageRequests()).length;
    await api.controller.handle({ type: 'chat/send', requestId: 'r-gone', conversationId, text: 'With the file I saw.', attachmentIds: [shownResult.chipId] });
    const refused = view.of('chat/refused').at(-1);
    assert.equal(refused?.requestId, 'r-gone');
    assert.equal(refused?.draft, 'With the file I saw.', 'the text goes back to the prompt');
    assert.equal((await messageRequests()).length, before, 'nothing was sent');
    assert.equal(chips().length, 1, 'the waiting attachment is still there');
    const state = await api.controller.viewState();
    assert.deepEqual(state.chips.map((chip) => chip.label), [`${TMP}/hidden.ts`], 'a view that loads now shows it');
  });
});

suite('Workspace context: picker speed on a large workspace', () => {
  test('time to first results on a generated workspace', async function () {
    const count = Number(process.env.MARATHON_BENCH_FILES);
    if (!Number.isFinite(count) || count <= 0) {
      this.skip();
    }
    this.timeout(600_000);
    const api = await marathon();
    const dir = path.join(os.tmpdir(), `marathon-bench-${count}`);
    const marker = path.join(dir, '.complete');
    if (!fs.existsSync(marker)) {
      fs.rmSync(dir, { recursive: true, force: true });
      const words = ['core', 'host', 'view', 'model', 'store', 'util', 'net', 'auth', 'ui', 'data'];
      for (let i = 0; i < count; i++) {
        const sub = path.join(dir, 'packages', `pkg-${Math.floor(i / 1000)}`, words[i % 10]!, words[Math.floor(i / 10) % 10]!);
        fs.mkdirSync(sub, { recursive: true });
        fs.writeFileSync(path.join(sub, `${words[Math.floor(i / 100) % 10]}-component-${i}.ts`), `export const c${i} = ${i};\n`);
      }
      fs.writeFileSync(marker, '');
    }
    const measure = async (label: string, query: string, index = api.context.createIndex([{ name: 'bench', fsPath: dir }])) => {
      const started = performance.now();
      let first: number | undefined;
      let firstFiles: number | undefined;
      let batches = 0;
      let final: Extract<ToWebview, { type: 'context/results' }> | undefined;
      await api.context.query(1, query, (message) => {
        if (message.type !== 'context/results') {
          return;
        }
        const now = performance.now() - started;
        batches++;
        first ??= now;
        if (firstFiles === undefined && message.items.some((item) => item.kind === 'file')) {
          firstFiles = now;
        }
        final = message;
      }, index);
      const total = performance.now() - started;
      console.log(
        `bench ${label}: ${count} files, query "${query}": first message ${first?.toFixed(1)} ms, first file results ${firstFiles?.toFixed(1)} ms, complete ${total.toFixed(1)} ms, ${batches} batches, ${index.fileCount} files indexed, top: ${final?.items.find((item) => item.kind === 'file')?.label}`,
      );
      return { index, firstFiles: firstFiles ?? Infinity };
    };
    const broad = await measure('cold', 'component');
    broad.index.dispose();
    const cold = await measure('cold', 'comp 4999');
    const warm = await measure('warm', 'view model comp', cold.index);
    await measure('warm', 'pkg-3/ui', cold.index);
    cold.index.dispose();
    assert.ok(cold.index.fileCount >= count);
    assert.ok(broad.firstFiles < 1000, `first results of a cold index took ${broad.firstFiles} ms`);
    assert.ok(warm.firstFiles < 500, `warm query took ${warm.firstFiles} ms`);
  });
});
