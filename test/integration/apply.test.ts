import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { silentLogger } from '../../src/core/ports';
import type { MarathonApi } from '../../src/extension';
import { PROPOSAL_SCHEME, ProposalManager, minimalChange } from '../../src/host/apply';
import { marathon } from './helpers';

const ORIGINAL = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

function folder(): vscode.Uri {
  const first = vscode.workspace.workspaceFolders?.[0];
  assert.ok(first, 'a workspace folder is open');
  return first.uri;
}

async function write(relative: string, text: string): Promise<vscode.Uri> {
  const uri = vscode.Uri.joinPath(folder(), relative);
  await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
  return uri;
}

async function disk(uri: vscode.Uri): Promise<string> {
  return Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
}

function diffTabs(): vscode.TabInputTextDiff[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .map((tab) => tab.input)
    .filter((input): input is vscode.TabInputTextDiff => input instanceof vscode.TabInputTextDiff && input.modified.scheme === PROPOSAL_SCHEME);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

suite('Apply: code from the chat as a diff the user accepts', () => {
  let api: MarathonApi;
  let target: vscode.Uri;
  let other: vscode.Uri;

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    target = await write('apply-test/target.ts', ORIGINAL);
    other = await write('apply-test/other.ts', 'export const other = 1;\n');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(target));
  });

  teardown(async () => {
    await vscode.commands.executeCommand('marathon.discardProposal');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder(), 'apply-test'), { recursive: true });
  });

  test('opens the diff of the active file against a read-only proposal and writes nothing before Apply', async () => {
    const uri = await api.proposals.propose({ code: 'export const replaced = true;\n', language: 'ts' });
    assert.ok(uri, 'a proposal was made');
    const [diff] = diffTabs();
    assert.ok(diff, 'the diff editor is open');
    assert.equal(diff.original.toString(), target.toString());
    assert.equal(diff.modified.toString(), uri.toString());
    assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), 'export const replaced = true;\n');
    assert.equal(await disk(target), ORIGINAL, 'nothing written yet');
    assert.equal(api.proposals.pending, 1);
  });

  test('Apply writes one undoable edit, saves a file that had no unsaved changes, and closes the diff', async () => {
    await api.proposals.propose({ code: 'export const replaced = true;\n' });
    await vscode.commands.executeCommand('marathon.acceptProposal');
    assert.equal(await disk(target), 'export const replaced = true;\n');
    assert.equal(diffTabs().length, 0, 'the diff is closed');
    assert.equal(api.proposals.pending, 0);
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.toString(), target.toString(), 'the file is shown after applying');
    await vscode.commands.executeCommand('undo');
    assert.equal(editor?.document.getText(), ORIGINAL, 'Undo takes the whole change back');
    await editor?.document.save(); // a dirty editor would make closing it ask
  });

  test('with a selection, only the selection is replaced', async () => {
    const editor = vscode.window.activeTextEditor!;
    editor.selection = new vscode.Selection(1, 0, 1, editor.document.lineAt(1).text.length);
    const uri = await api.proposals.propose({ code: 'export const b = 20;' });
    assert.ok(uri);
    assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), 'export const a = 1;\nexport const b = 20;\nexport const c = 3;\n');
  });

  test('Discard, or closing the diff tab, drops the proposal and leaves the file alone', async () => {
    await api.proposals.propose({ code: 'one\n' });
    await vscode.commands.executeCommand('marathon.discardProposal');
    // The tab model catches up with closing and opening a moment later, more so on a busy machine.
    await until('the discarded diff closes', () => diffTabs().length === 0);
    assert.equal(api.proposals.pending, 0);
    // Named: right after the diff closes, which editor is active is not settled yet (none, for a moment).
    assert.ok(await api.proposals.propose({ code: 'two\n', path: 'apply-test/target.ts' }), 'a second proposal was made');
    await until('the new diff opens', () => diffTabs().length > 0);
    const tab = vscode.window.tabGroups.all.flatMap((group) => group.tabs).find((candidate) => candidate.input instanceof vscode.TabInputTextDiff);
    assert.ok(tab);
    await vscode.window.tabGroups.close(tab);
    await until('the closed proposal is dropped', () => api.proposals.pending === 0);
    assert.equal(await disk(target), ORIGINAL);
  });

  test('a first-line comment naming a workspace file targets that file and is not part of the change', async () => {
    const uri = await api.proposals.propose({ code: '// apply-test/other.ts\nexport const other = 2;\n' });
    assert.ok(uri);
    assert.equal(diffTabs()[0]?.original.toString(), other.toString());
    assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), 'export const other = 2;\n');
  });

  test('a path in the code fence targets that file; a path leaving the workspace is refused', async () => {
    const uri = await api.proposals.propose({ code: 'export const other = 3;\n', path: 'apply-test/other.ts' });
    assert.ok(uri);
    assert.equal(diffTabs()[0]?.original.toString(), other.toString());
    await vscode.commands.executeCommand('marathon.discardProposal');
    assert.equal(await api.proposals.propose({ code: 'x\n', path: '../outside.ts' }), undefined);
    assert.equal(await api.proposals.propose({ code: 'x\n', path: 'apply-test/missing.ts' }), undefined);
  });

  test('with no file open and none named, Apply is refused', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await api.proposals.propose({ code: 'x\n' }), undefined);
    assert.equal(diffTabs().length, 0);
  });

  test('a file changed after the proposal is not overwritten', async () => {
    await api.proposals.propose({ code: 'proposed\n' });
    const edit = new vscode.WorkspaceEdit();
    edit.insert(target, new vscode.Position(0, 0), '// edited meanwhile\n');
    await vscode.workspace.applyEdit(edit);
    assert.equal(await api.proposals.accept(), false);
    const document = await vscode.workspace.openTextDocument(target);
    assert.equal(document.getText(), '// edited meanwhile\n' + ORIGINAL);
    await document.save();
  });

  test('in Restricted Mode Apply is refused before anything opens', async () => {
    const restricted = new ProposalManager({ logger: silentLogger, isTrusted: () => false });
    try {
      assert.equal(await restricted.propose({ code: 'x\n' }), undefined);
      assert.equal(diffTabs().length, 0);
    } finally {
      restricted.dispose();
    }
  });

  test('a ```diff block is applied as a patch: the diff editor shows the patched file, and Apply writes it', async () => {
    const diff = '--- a/apply-test/target.ts\n+++ b/apply-test/target.ts\n@@ -1,3 +1,3 @@\n export const a = 1;\n-export const b = 2;\n+export const b = 20;\n export const c = 3;\n';
    // The other file is active: the diff's own file name decides the target.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(other));
    const uri = await api.proposals.propose({ code: diff, language: 'diff' });
    assert.ok(uri, 'a proposal was made');
    const patched = ORIGINAL.replace('b = 2', 'b = 20');
    assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), patched, 'the proposal is the patched file, not the diff text');
    assert.equal(diffTabs()[0]?.original.toString(), target.toString());
    assert.equal(await disk(target), ORIGINAL, 'nothing written yet');
    assert.equal(await api.proposals.accept(uri), true);
    assert.equal(await disk(target), patched);
  });

  test('a diff without file names patches the active editor', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(other));
    const uri = await api.proposals.propose({ code: '@@ -1 +1 @@\n-export const other = 1;\n+export const other = 10;\n', language: 'diff' });
    assert.ok(uri);
    assert.equal(diffTabs()[0]?.original.toString(), other.toString());
    assert.equal((await vscode.workspace.openTextDocument(uri)).getText(), 'export const other = 10;\n');
  });

  test('a diff whose hunks do not match the file is refused and opens nothing', async () => {
    const diff = '--- a/apply-test/target.ts\n+++ b/apply-test/target.ts\n@@ -2 +2 @@\n-export const b = 999;\n+export const b = 20;\n';
    assert.equal(await api.proposals.propose({ code: diff, language: 'diff' }), undefined);
    assert.equal(diffTabs().length, 0);
    assert.equal(api.proposals.pending, 0);
    assert.equal(await disk(target), ORIGINAL);
  });

  test('the applied edit is the smallest replacement, so the rest of the file keeps its markers', () => {
    assert.deepEqual(minimalChange('abcdef', 'abXYef'), { start: 2, end: 4, text: 'XY' });
    assert.deepEqual(minimalChange('same', 'same'), { start: 4, end: 4, text: '' });
    assert.deepEqual(minimalChange('a😀b', 'a😁b'), { start: 1, end: 3, text: '😁' });
  });
});
