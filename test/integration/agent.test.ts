// Agent mode in a real extension host: real files, the real diff editor and WorkspaceEdit, real
// processes, approvals through the same messages the chat view sends, and the emulator's scripted
// tool use checking every tool_result it receives.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConversationRecord } from '../../src/core/records';
import type { MarathonApi } from '../../src/extension';
import type { TimelineItem, ToHost } from '../../src/shared/protocol';
import { RecordingView, emulator, marathon, messageRequests, setConfig } from './helpers';

type ToolItem = Extract<TimelineItem, { kind: 'tool' }>;
interface Expectation {
  ok: boolean;
  message: string;
}
interface ScriptedReply {
  text?: string;
  toolUse?: Array<{ id: string; name: string; input: Record<string, unknown> }>;
  expectToolResult?: Array<{ toolUseId?: string; includes?: string; isError?: boolean }>;
}

/** The conversation's records, read from its file as the store wrote them. */
function readRecords(api: MarathonApi, id: string): ConversationRecord[] {
  return fs
    .readFileSync(path.join(api.paths.conversations, `${id}.jsonl`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ConversationRecord);
}

const folder = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const file = (relative: string): string => path.join(folder(), relative);

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

suite('Agent mode in a real extension host', () => {
  let api: MarathonApi;
  let view: RecordingView;

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    await emulator('reset', {});
    await setConfig('mode', 'agent');
    await setConfig('agent.autoApproveReadOnly', true);
    view = new RecordingView(api);
    await api.controller.newConversation();
    view.clear();
    fs.mkdirSync(file('src'), { recursive: true });
    fs.writeFileSync(file('src/a.ts'), 'export const a = 1;\n');
    fs.writeFileSync(file('src/b.ts'), 'export const b = 2;\n');
  });

  teardown(async () => {
    view.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setConfig('mode', undefined);
    await setConfig('agent.autoApproveReadOnly', undefined);
    await setConfig('compaction.triggerTokens', undefined);
    await setConfig('agent.maxToolIterations', undefined);
    await setConfig('contextEditing.toolResults', undefined);
  });

  const script = (replies: ScriptedReply[]) => emulator('script', { replies });
  const expectations = async () => (await emulator<{ expectations: Expectation[] }>('expectations')).expectations;
  const cards = (id: string) => view.of('tool/didChange').filter((message) => message.item.id === id).map((message) => message.item);
  const card = (id: string, status: ToolItem['status']) => waitFor(`${id} ${status}`, () => cards(id).find((item) => item.status === status));
  const post = (message: ToHost) => api.controller.handle(message);
  const sessionId = async () => (await api.controller.viewState()).active.id;

  test('an agent turn reads two files, edits one in a reviewed diff (undo works), runs an approved command and is refused a second', async () => {
    await script([
      { text: 'Reading both files.', toolUse: [{ id: 'toolu_ra', name: 'read_file', input: { path: 'src/a.ts' } }, { id: 'toolu_rb', name: 'read_file', input: { path: 'src/b.ts' } }] },
      {
        expectToolResult: [{ toolUseId: 'toolu_ra', includes: 'export const a = 1;' }, { toolUseId: 'toolu_rb', includes: 'export const b = 2;' }],
        toolUse: [{ id: 'toolu_edit', name: 'edit_file', input: { path: 'src/a.ts', old_text: 'export const a = 1;', new_text: 'export const a = 42;' } }],
      },
      { expectToolResult: [{ toolUseId: 'toolu_edit', includes: 'Applied the change to src/a.ts', isError: false }], toolUse: [{ id: 'toolu_cmd1', name: 'run_command', input: { command: 'echo hello-from-marathon && cat src/a.ts' } }] },
      { expectToolResult: [{ toolUseId: 'toolu_cmd1', includes: 'hello-from-marathon', isError: false }], toolUse: [{ id: 'toolu_cmd2', name: 'run_command', input: { command: 'rm -rf src' } }] },
      { text: 'Done: a is 42 now.', expectToolResult: [{ toolUseId: 'toolu_cmd2', includes: 'refused', isError: true }] },
    ]);
    const turn = api.controller.send('Set a to 42 and check it');

    // The edit waits in the diff editor; nothing is written yet.
    await card('toolu_edit', 'awaitingApproval');
    const diff = await waitFor('the diff editor', () =>
      vscode.window.tabGroups.all
        .flatMap((group) => group.tabs)
        .map((tab) => tab.input)
        .find((input): input is vscode.TabInputTextDiff => input instanceof vscode.TabInputTextDiff && input.modified.scheme === 'marathon-proposal'),
    );
    assert.equal(diff.original.fsPath, file('src/a.ts'));
    assert.equal(fs.readFileSync(file('src/a.ts'), 'utf8'), 'export const a = 1;\n', 'nothing is written before the user accepts');
    assert.equal(cards('toolu_ra').at(-1)!.status, 'done', 'reads were auto-approved');
    await post({ type: 'tool/approve', toolUseId: 'toolu_edit' });

    // The first command is shown with its working folder and runs only on approval.
    const waiting = await card('toolu_cmd1', 'awaitingApproval');
    assert.equal(waiting.cwd, folder());
    assert.equal(fs.readFileSync(file('src/a.ts'), 'utf8'), 'export const a = 42;\n', 'the accepted edit was written and saved');
    await post({ type: 'tool/approve', toolUseId: 'toolu_cmd1' });
    await card('toolu_cmd2', 'awaitingApproval');
    await post({ type: 'tool/refuse', toolUseId: 'toolu_cmd2' });
    await turn;

    assert.ok(fs.existsSync(file('src')), 'the refused command did not run');
    const done = cards('toolu_cmd1').at(-1)!;
    assert.equal(done.status, 'done');
    assert.match(done.result ?? '', /hello-from-marathon/);
    assert.equal(cards('toolu_cmd2').at(-1)!.status, 'refused');
    const checks = await expectations();
    assert.equal(checks.length, 5);
    assert.ok(checks.every((check) => check.ok), JSON.stringify(checks));
    assert.ok((await messageRequests()).every((request) => Array.isArray(request.body.tools)));
    const last = view.of('chat/done').at(-1)!.item;
    assert.equal(last.kind === 'assistant' && last.text, 'Done: a is 42 now.');

    // The edit went through a WorkspaceEdit: Undo in the editor takes it back.
    const document = await vscode.workspace.openTextDocument(file('src/a.ts'));
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), 'export const a = 1;\n');
    await document.save();
  });

  test('Restore to here reverts the files changed after a message, created files included, and can be undone', async () => {
    const id = await sessionId();
    await post({ type: 'tools/setAutoApprove', scope: 'conversation', on: true });
    assert.equal(view.of('agent/didChange').at(-1)!.agent.autoApproveConversation, true, 'the view shows auto-approve while on');
    await script([
      { toolUse: [{ id: 'toolu_e1', name: 'edit_file', input: { path: 'src/b.ts', old_text: 'b = 2', new_text: 'b = 3' } }, { id: 'toolu_new', name: 'edit_file', input: { path: 'src/new.ts', old_text: '', new_text: 'export const created = true;\n' } }] },
      { text: 'Edited.', expectToolResult: [{ toolUseId: 'toolu_e1', includes: 'Applied' }, { toolUseId: 'toolu_new', includes: 'Created src/new.ts' }] },
    ]);
    await api.controller.send('Change b and add a file');
    await script([{ toolUse: [{ id: 'toolu_e2', name: 'edit_file', input: { path: 'src/b.ts', old_text: 'b = 3', new_text: 'b = 4' } }] }, { text: 'Edited again.' }]);
    await api.controller.send('Once more');
    assert.equal(fs.readFileSync(file('src/b.ts'), 'utf8'), 'export const b = 4;\n');
    assert.ok(fs.existsSync(file('src/new.ts')));
    await post({ type: 'tools/setAutoApprove', scope: 'conversation', on: false });

    const records = readRecords(api, id);
    const typed = records.filter((record): record is Extract<ConversationRecord, { kind: 'user' }> => record.kind === 'user' && !record.toolRuns);
    const firstUser = typed[0]!;
    const secondUser = typed[1]!;
    // To the second message: only its edit is reverted.
    let listed: string[] = [];
    const partial = await api.agent.restoreTo(id, secondUser.id, records, async (labels) => {
      listed = labels;
      return true;
    });
    assert.deepEqual(listed, ['src/b.ts'], 'the confirmation lists the files');
    assert.deepEqual(partial.restored, ['src/b.ts']);
    assert.equal(fs.readFileSync(file('src/b.ts'), 'utf8'), 'export const b = 3;\n');
    // To the first message: everything since, including the created file.
    const whole = await api.agent.restoreTo(id, firstUser.id, records, async () => true);
    assert.deepEqual(whole.restored.sort(), ['src/b.ts', 'src/new.ts']);
    assert.equal(fs.readFileSync(file('src/b.ts'), 'utf8'), 'export const b = 2;\n');
    assert.equal(fs.existsSync(file('src/new.ts')), false);
    // The restore itself can be undone.
    await api.agent.undoRestore(id, whole.undoId!);
    assert.equal(fs.readFileSync(file('src/b.ts'), 'utf8'), 'export const b = 3;\n');
    assert.equal(fs.readFileSync(file('src/new.ts'), 'utf8'), 'export const created = true;\n');
    // Declining the confirmation changes nothing.
    const declined = await api.agent.restoreTo(id, firstUser.id, records, async () => false);
    assert.equal(declined.cancelled, true);
    assert.equal(fs.readFileSync(file('src/b.ts'), 'utf8'), 'export const b = 3;\n');
  });

  test('paths outside the workspace are refused, symlinks that escape included', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'top secret');
    fs.rmSync(file('src/escape'), { force: true, recursive: true });
    fs.symlinkSync(outside, file('src/escape'));
    await script([
      {
        toolUse: [
          { id: 'toolu_up', name: 'read_file', input: { path: '../../secret.txt' } },
          { id: 'toolu_abs', name: 'read_file', input: { path: path.join(outside, 'secret.txt') } },
          { id: 'toolu_link', name: 'read_file', input: { path: 'src/escape/secret.txt' } },
          { id: 'toolu_write', name: 'edit_file', input: { path: 'src/escape/new.txt', old_text: '', new_text: 'x' } },
          { id: 'toolu_cwd', name: 'run_command', input: { command: 'ls', cwd: '..' } },
        ],
      },
      {
        text: 'Refused, as expected.',
        expectToolResult: [
          { toolUseId: 'toolu_up', includes: 'outside the workspace', isError: true },
          { toolUseId: 'toolu_abs', includes: 'outside the workspace', isError: true },
          { toolUseId: 'toolu_link', includes: 'outside the workspace', isError: true },
          { toolUseId: 'toolu_write', includes: 'outside the workspace', isError: true },
          { toolUseId: 'toolu_cwd', includes: 'outside the workspace', isError: true },
        ],
      },
    ]);
    await api.controller.send('Read the secret');
    const checks = await expectations();
    assert.ok(checks.length === 5 && checks.every((check) => check.ok), JSON.stringify(checks));
    assert.equal(fs.existsSync(path.join(outside, 'new.txt')), false);
    assert.ok(!view.of('tool/didChange').some((message) => message.item.result?.includes('top secret')));
    fs.rmSync(file('src/escape'), { force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  test('search uses VS Code’s ripgrep and honours .gitignore; list_files and diagnostics answer', async () => {
    fs.writeFileSync(file('.gitignore'), 'ignored.ts\n');
    fs.writeFileSync(file('src/ignored.ts'), 'const needle_marathon = 1;\n');
    fs.writeFileSync(file('src/found.ts'), 'const needle_marathon = 2;\n');
    await script([
      {
        toolUse: [
          { id: 'toolu_s', name: 'search_text', input: { query: 'needle_marathon' } },
          { id: 'toolu_l', name: 'list_files', input: { pattern: 'src/**/*.ts' } },
          { id: 'toolu_d', name: 'get_diagnostics', input: {} },
        ],
      },
      { text: 'Found it.', expectToolResult: [{ toolUseId: 'toolu_s', includes: 'src/found.ts:1: const needle_marathon = 2;' }, { toolUseId: 'toolu_l', includes: 'src/a.ts' }, { toolUseId: 'toolu_d', isError: false }] },
    ]);
    await api.controller.send('Find the needle');
    assert.ok((await expectations()).every((check) => check.ok), JSON.stringify(await expectations()));
    const search = cards('toolu_s').at(-1)!;
    assert.ok(!(search.result ?? '').includes('ignored.ts'), 'ignored files are not searched');
    assert.ok(!(cards('toolu_l').at(-1)!.result ?? '').includes('ignored.ts'), 'nor listed');
    assert.ok(fs.existsSync(path.join(vscode.env.appRoot, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg')), 'VS Code ships ripgrep here');
    fs.rmSync(file('.gitignore'));
    fs.rmSync(file('src/ignored.ts'));
    fs.rmSync(file('src/found.ts'));
  });

  test('in Restricted Mode only the read-only tools are offered', async () => {
    const { AgentToolHost } = await import('../../src/host/agent/toolHost');
    const restricted = new AgentToolHost({ logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {} }, proposals: api.proposals, checkpoints: () => api.agent.checkpoints(), isTrusted: () => false });
    assert.deepEqual(restricted.availableTools(), ['read_file', 'list_files', 'search_text', 'get_diagnostics']);
    restricted.dispose();
    assert.ok(api.agent.tools.availableTools().includes('run_command'), 'a trusted workspace offers every tool');
  });

  test('Stop while a command runs kills its whole process tree', async () => {
    await post({ type: 'tools/setAutoApprove', scope: 'conversation', on: true });
    const pidFile = file('child.pid');
    fs.rmSync(pidFile, { force: true });
    await script([{ toolUse: [{ id: 'toolu_long', name: 'run_command', input: { command: 'sleep 41 & echo $! > child.pid; wait' } }] }, { text: 'never used' }]);
    const turn = api.controller.send('Run the long thing');
    await card('toolu_long', 'running');
    const pid = Number(await waitFor('the child pid', () => (fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '' ? fs.readFileSync(pidFile, 'utf8').trim() : undefined)));
    api.controller.stop();
    await turn;
    assert.equal(cards('toolu_long').at(-1)!.status, 'stopped');
    await waitFor('the grandchild to exit', () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    }, 5000);
    await post({ type: 'tools/setAutoApprove', scope: 'conversation', on: false });
    fs.rmSync(pidFile, { force: true });
  });

  test('a 40-step tool loop with two compactions in the middle accounts for every tool result', async () => {
    await setConfig('compaction.triggerTokens', 50_000);
    await setConfig('agent.maxToolIterations', 60);
    // Compaction mid-loop is the subject here; context editing would postpone it.
    await setConfig('contextEditing.toolResults', 'off');
    await emulator('config', { tokenMultiplier: 4 });
    fs.writeFileSync(file('src/big.ts'), 'export const value = 42; // padding to make each result weigh\n'.repeat(40));
    const steps = 40;
    const replies: ScriptedReply[] = [];
    for (let step = 1; step <= steps; step++) {
      replies.push({
        toolUse: [{ id: `toolu_loop${step}`, name: 'read_file', input: { path: 'src/big.ts', start_line: 1, end_line: 40 } }],
        ...(step > 1 ? { expectToolResult: [{ toolUseId: `toolu_loop${step - 1}`, includes: 'export const value = 42;', isError: false }] } : {}),
      });
    }
    replies.push({ text: 'Read it forty times.', expectToolResult: [{ toolUseId: `toolu_loop${steps}`, includes: 'export const value' }] });
    await script(replies);
    await api.controller.send('Read src/big.ts forty times');
    const checks = await expectations();
    assert.equal(checks.length, steps);
    assert.ok(checks.every((check) => check.ok), JSON.stringify(checks.filter((check) => !check.ok)));
    const requests = await emulator<{ requests: Array<{ path: string; status: number | null; body: { messages: Array<{ content: Array<{ tool_use_id?: string }> }> } }> }>('requests');
    const sent = requests.requests.filter((request) => request.path === '/v1/messages');
    assert.ok(sent.every((request) => request.status === 200), 'every request was valid');
    const carrying = (step: number) => sent.find((request) => request.body.messages.at(-1)?.content.some((block) => block.tool_use_id === `toolu_loop${step}`));
    const bytes = (step: number) => Buffer.byteLength(JSON.stringify(carrying(step)?.body ?? {}));
    console.log(`      request size: step 5 ${bytes(5)} bytes, step 40 ${bytes(40)} bytes, ${sent.length} requests`);
    const compactions = view.of('chat/item').filter((message) => message.item.kind === 'compaction' && !message.item.failed);
    assert.equal(compactions.length, 2);
    const last = view.of('chat/done').at(-1)!.item;
    assert.equal(last.kind === 'assistant' && last.text, 'Read it forty times.');
    fs.rmSync(file('src/big.ts'));
  });
});
