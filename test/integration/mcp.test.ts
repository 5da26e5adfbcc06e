// MCP servers in a real extension host, with real servers from npm: the everything server over stdio and
// over streamable HTTP (its protocol features), the filesystem server (a real workload). The workspace's
// .vscode/mcp.json defines them; the emulator scripts the model's calls and checks every tool_result.
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ConversationRecord } from '../../src/core/records';
import type { MarathonApi } from '../../src/extension';
import type { ServerSnapshot, ServerState } from '../../src/host/mcp/manager';
import type { TimelineItem, ToHost } from '../../src/shared/protocol';
import { RecordingView, emulator, marathon, messageRequests, setConfig, type RecordedRequest } from './helpers';

type ToolItem = Extract<TimelineItem, { kind: 'tool' }>;
interface ScriptedReply {
  text?: string;
  toolUse?: Array<{ id: string; name: string; input: Record<string, unknown> }>;
  expectToolResult?: Array<{ toolUseId?: string; includes?: string; isError?: boolean }>;
}
interface Expectation {
  ok: boolean;
  message: string;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EVERYTHING = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const FILESYSTEM = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-filesystem', 'dist', 'index.js');
const EVERYTHING_HTTP = path.join(ROOT, 'test', 'integration', 'fixtures', 'everything-http.mjs');

const folder = (): string => vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const mcpJson = (): string => path.join(folder(), '.vscode', 'mcp.json');

async function waitFor<T>(what: string | (() => string), probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${typeof what === 'string' ? what : what()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The everything server's streamable HTTP transport, started by the test on a free loopback port. */
async function startHttpServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_HTTP], { env: { ...process.env, PORT: String(port) }, cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the HTTP server did not start')), 20_000);
    child.stderr.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the HTTP server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

function writeConfig(servers: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(mcpJson()), { recursive: true });
  fs.writeFileSync(mcpJson(), `// MCP servers of the integration tests\n${JSON.stringify({ servers }, null, 2)}\n`);
}

const everything = (extra: Record<string, unknown> = {}) => ({ type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], ...extra });

suite('MCP servers in a real extension host', function () {
  this.timeout(180_000);
  let api: MarathonApi;
  let view: RecordingView;
  let http: { url: string; child: ChildProcess };
  let trustAsked: ServerSnapshot[];
  let trustAnswer: (server: ServerSnapshot) => boolean;

  const manager = () => api.mcp.manager;
  const state = (name: string): ServerState | undefined => manager().state(name);
  const waitState = (name: string, kind: ServerState['kind'], timeoutMs?: number) =>
    waitFor(() => `${name} ${kind}; servers now: ${JSON.stringify(manager().servers())}`, () => (state(name)?.kind === kind ? state(name) : undefined), timeoutMs);
  const script = (replies: ScriptedReply[]) => emulator('script', { replies });
  const expectations = async () => (await emulator<{ expectations: Expectation[] }>('expectations')).expectations;
  const cards = (id: string) => view.of('tool/didChange').filter((message) => message.item.id === id).map((message) => message.item);
  const card = (id: string, status: ToolItem['status']) => waitFor(`${id} ${status}`, () => cards(id).find((item) => item.status === status));
  const post = (message: ToHost) => api.controller.handle(message);
  const toolResult = (request: RecordedRequest, id: string) =>
    request.body.messages!.flatMap((message) => message.content).find((block) => block['type'] === 'tool_result' && block['tool_use_id'] === id);

  suiteSetup(async () => {
    api = await marathon();
    http = await startHttpServer();
    manager().ask = {
      ...manager().ask,
      confirmTrust: async (server) => {
        trustAsked.push(server);
        return trustAnswer(server);
      },
      askInput: async () => undefined,
    };
    trustAsked = [];
    trustAnswer = () => true;
    writeConfig({
      everything: everything(),
      web: { type: 'http', url: http.url },
      files: { type: 'stdio', command: process.execPath, args: [FILESYSTEM, '${workspaceFolder}'] },
    });
    await manager().reload();
    await waitState('everything', 'running');
    await waitState('web', 'running');
    await waitState('files', 'running');
  });

  suiteTeardown(async () => {
    http.child.kill();
    fs.rmSync(path.dirname(mcpJson()), { recursive: true, force: true });
    await manager().reload();
    await setConfig('mcp.alwaysAllow', undefined);
  });

  setup(async () => {
    await emulator('reset', {});
    await setConfig('mode', 'agent');
    view = new RecordingView(api);
    await api.controller.newConversation();
    view.clear();
  });

  teardown(async () => {
    view.dispose();
    await setConfig('mode', undefined);
    await setConfig('mcp.callTimeoutSeconds', undefined);
    await setConfig('mcp.maxResultBytes', undefined);
    await setConfig('contextEditing.toolResults', undefined);
    await setConfig('compaction.triggerTokens', undefined);
    await setConfig('agent.maxToolIterations', undefined);
  });

  test('a workspace server starts only after the user trusts it; the prompt names the command; a refused one does not run', async () => {
    const asked = trustAsked.find((server) => server.name === 'everything');
    assert.ok(asked, 'the trust prompt was shown');
    assert.ok(asked.runs.includes(EVERYTHING), `the prompt names the command: ${asked.runs}`);
    const running = state('everything');
    assert.ok(running?.kind === 'running' && running.tools > 5 && running.transport === 'stdio', JSON.stringify(running));
    const web = state('web');
    assert.ok(web?.kind === 'running' && web.transport === 'streamable HTTP', JSON.stringify(web));

    trustAnswer = (server) => server.name !== 'refused';
    writeConfig({ everything: everything(), web: { type: 'http', url: http.url }, files: { type: 'stdio', command: process.execPath, args: [FILESYSTEM, '${workspaceFolder}'] }, refused: everything() });
    await manager().reload();
    await waitState('refused', 'untrusted');
    assert.equal(manager().connection('refused'), undefined, 'no process for an untrusted server');
    assert.ok(!api.mcp.tools.offered().some((tool) => tool.server === 'refused'));
  });

  test('tools are offered in Agent mode as server__tool; a call waits for approval, its card shows server, tool and arguments, the result goes back', async () => {
    await script([
      { toolUse: [{ id: 'toolu_echo', name: 'everything__echo', input: { message: 'hello over stdio' } }] },
      { text: 'It echoed.', expectToolResult: [{ toolUseId: 'toolu_echo', includes: 'hello over stdio', isError: false }] },
    ]);
    const turn = api.controller.send('Echo something');
    const waiting = await card('toolu_echo', 'awaitingApproval');
    assert.equal(waiting.toolKind, 'mcp');
    assert.equal(waiting.title, 'everything › echo');
    assert.match(waiting.detail ?? '', /"message": "hello over stdio"/);
    await post({ type: 'tool/approve', toolUseId: 'toolu_echo' });
    await turn;
    const done = cards('toolu_echo').at(-1)!;
    assert.equal(done.status, 'done');
    assert.match(done.result ?? '', /hello over stdio/);
    const requests = await messageRequests();
    const names = (requests[0]!.body.tools as Array<{ name: string }>).map((tool) => tool.name);
    assert.ok(names.includes('read_file') && names.includes('everything__echo') && names.includes('web__echo') && names.includes('files__read_text_file'), names.join());
    assert.ok(names.every((name) => /^[a-zA-Z0-9_-]{1,64}$/.test(name)));
    assert.equal(new Set(names).size, names.length);
    assert.ok((await expectations()).every((check) => check.ok), JSON.stringify(await expectations()));
  });

  test('approvals reach as far as the user said: the tool for this conversation, the server for this conversation, the tool always', async () => {
    await script([
      { toolUse: [{ id: 'toolu_a1', name: 'everything__get-sum', input: { a: 1, b: 2 } }] },
      { toolUse: [{ id: 'toolu_a2', name: 'everything__get-sum', input: { a: 3, b: 4 } }] },
      { toolUse: [{ id: 'toolu_a3', name: 'everything__echo', input: { message: 'ask me' } }] },
      { toolUse: [{ id: 'toolu_a4', name: 'everything__get-env', input: {} }] },
      { text: 'Sums done.', expectToolResult: [{ toolUseId: 'toolu_a4', isError: false }] },
    ]);
    const turn = api.controller.send('Add numbers');
    await card('toolu_a1', 'awaitingApproval');
    await post({ type: 'tool/approve', toolUseId: 'toolu_a1', scope: 'toolConversation' });
    // The same tool runs without asking now; another tool of the server still asks.
    await card('toolu_a3', 'awaitingApproval');
    assert.ok(!cards('toolu_a2').some((item) => item.status === 'awaitingApproval'), 'get-sum did not ask again');
    await post({ type: 'tool/approve', toolUseId: 'toolu_a3', scope: 'serverConversation' });
    await turn;
    assert.ok(!cards('toolu_a4').some((item) => item.status === 'awaitingApproval'), 'the whole server is allowed in this conversation');
    assert.match(cards('toolu_a2').at(-1)!.result ?? '', /7/);

    // A new conversation asks again; "Always allow tool" goes to the setting.
    await api.controller.newConversation();
    await script([
      { toolUse: [{ id: 'toolu_b1', name: 'everything__get-sum', input: { a: 5, b: 5 } }] },
      { toolUse: [{ id: 'toolu_b2', name: 'everything__get-sum', input: { a: 6, b: 6 } }] },
      { text: 'Done.' },
    ]);
    const second = api.controller.send('Again');
    await card('toolu_b1', 'awaitingApproval');
    await post({ type: 'tool/approve', toolUseId: 'toolu_b1', scope: 'toolAlways' });
    await second;
    assert.deepEqual(vscode.workspace.getConfiguration('marathon').inspect('mcp.alwaysAllow')?.globalValue, ['everything/get-sum']);
    assert.ok(!cards('toolu_b2').some((item) => item.status === 'awaitingApproval'));
    await setConfig('mcp.alwaysAllow', ['everything/*', 'web/*', 'files/*']);
  });

  test('results: an image becomes an image block, an embedded resource its text, isError an error result; over streamable HTTP too', async () => {
    await setConfig('mcp.alwaysAllow', ['everything/*', 'web/*', 'files/*']);
    await script([
      {
        toolUse: [
          { id: 'toolu_img', name: 'everything__get-tiny-image', input: {} },
          { id: 'toolu_res', name: 'everything__get-resource-reference', input: { resourceType: 'Text', resourceId: 2 } },
          { id: 'toolu_bad', name: 'everything__get-resource-reference', input: { resourceType: 'nonsense', resourceId: 1 } },
          { id: 'toolu_web', name: 'web__echo', input: { message: 'hello over http' } },
        ],
      },
      {
        text: 'Seen.',
        expectToolResult: [
          { toolUseId: 'toolu_img', isError: false },
          { toolUseId: 'toolu_res', includes: '[resource demo://resource/dynamic/text/2', isError: false },
          { toolUseId: 'toolu_bad', isError: true },
          { toolUseId: 'toolu_web', includes: 'hello over http', isError: false },
        ],
      },
    ]);
    await api.controller.send('Show me');
    const requests = await messageRequests();
    const image = toolResult(requests[1]!, 'toolu_img')!;
    assert.ok(Array.isArray(image['content']) && (image['content'] as Array<{ type: string }>).some((block) => block.type === 'image'), JSON.stringify(image).slice(0, 300));
    assert.equal(cards('toolu_bad').at(-1)!.status, 'failed');
    assert.ok((await expectations()).every((check) => check.ok), JSON.stringify(await expectations()));
  });

  test("the @ picker offers a server's resources; one attached goes with the next message as it was read", async () => {
    await api.controller.handle({ type: 'context/query', queryId: 7001, query: 'everything' });
    const items = await waitFor('resource items', () => {
      const found = view.of('context/results').filter((message) => message.queryId === 7001).at(-1)?.items.filter((item) => item.kind === 'mcpResource');
      return found && found.length > 0 ? found : undefined;
    });
    const doc = items.find((item) => item.id.startsWith('mcp:everything:')) ?? items[0]!;
    await api.controller.handle({ type: 'context/attach', itemId: doc.id });
    const chip = await waitFor('the resource chip', () => view.of('attachments/didChange').at(-1)?.chips.find((candidate) => candidate.kind === 'mcpResource'));
    assert.match(chip.label, /^everything: /);
    await script([{ text: 'Read it.' }]);
    await api.controller.send('What does this resource say?');
    const request = (await messageRequests()).at(-1)!;
    const sent = JSON.stringify(request.body.messages!.at(-1));
    assert.ok(sent.includes('<mcp-resource server=\\"everything\\"'), sent.slice(0, 400));
  });

  test("a server's prompts are / commands: the arguments are asked for and the prompt's text fills the prompt box", async () => {
    await api.controller.handle({ type: 'context/query', queryId: 7002, query: '/everything.args' });
    const items = view.of('context/results').filter((message) => message.queryId === 7002).at(-1)!.items;
    assert.deepEqual(items.map((item) => [item.kind, item.label]), [['mcpPrompt', '/everything.args-prompt']]);
    const asked: string[] = [];
    api.mcp.promptBox.ask = async (argument) => {
      asked.push(`${argument.name}${argument.required ? '!' : ''}`);
      return argument.name === 'city' ? 'Paris' : '';
    };
    await api.controller.handle({ type: 'context/attach', itemId: items[0]!.id });
    const inserted = view.of('prompt/insert').at(-1);
    assert.ok(inserted && /Paris/.test(inserted.text), JSON.stringify(inserted));
    assert.deepEqual(asked, ['city!', 'state']);
    await api.controller.handle({ type: 'context/query', queryId: 7003, query: '/' });
    const all = view.of('context/results').filter((message) => message.queryId === 7003).at(-1)!.items;
    assert.ok(all.length >= 3 && all.every((item) => item.kind === 'mcpPrompt'), JSON.stringify(all));
  });

  test('a result over the size cap is cut with a marker; a server that hangs is cancelled at the timeout and the turn goes on', async () => {
    await setConfig('mcp.alwaysAllow', ['everything/*', 'web/*', 'files/*']);
    await setConfig('mcp.maxResultBytes', 1024);
    await setConfig('mcp.callTimeoutSeconds', 1);
    fs.mkdirSync(path.join(folder(), 'mcpdata'), { recursive: true });
    fs.writeFileSync(path.join(folder(), 'mcpdata', 'long.txt'), 'a line of a long file\n'.repeat(400));
    await script([
      { toolUse: [{ id: 'toolu_env', name: 'files__read_text_file', input: { path: path.join(folder(), 'mcpdata', 'long.txt') } }, { id: 'toolu_slow', name: 'everything__trigger-long-running-operation', input: { duration: 8, steps: 4 } }] },
      {
        text: 'Went on.',
        expectToolResult: [
          { toolUseId: 'toolu_env', includes: 'result cut', isError: false },
          { toolUseId: 'toolu_slow', includes: 'did not answer', isError: true },
        ],
      },
    ]);
    await api.controller.send('Slow one');
    assert.equal(cards('toolu_slow').at(-1)!.status, 'failed');
    assert.equal(state('everything')?.kind, 'running', 'the server survives a cancelled call');
    const cut = toolResult((await messageRequests())[1]!, 'toolu_env')!;
    assert.ok(Buffer.byteLength(String(cut['content'])) < 1024 + 200, 'the result was cut near the cap');
    fs.rmSync(path.join(folder(), 'mcpdata'), { recursive: true, force: true });
    assert.ok((await expectations()).every((check) => check.ok), JSON.stringify(await expectations()));
  });

  test('a server that dies mid-call gives a clear failed card, the turn goes on, the list shows it failed; Restart brings it back', async () => {
    await setConfig('mcp.alwaysAllow', ['everything/*', 'web/*', 'files/*']);
    const pid = manager().connection('everything')!.pid!;
    await script([
      { toolUse: [{ id: 'toolu_die', name: 'everything__trigger-long-running-operation', input: { duration: 20, steps: 10 } }] },
      { text: 'It died.', expectToolResult: [{ toolUseId: 'toolu_die', includes: 'stopped during the call', isError: true }] },
    ]);
    const turn = api.controller.send('Run long');
    await card('toolu_die', 'running');
    await new Promise((resolve) => setTimeout(resolve, 300));
    process.kill(pid, 'SIGKILL');
    await turn;
    assert.equal(cards('toolu_die').at(-1)!.status, 'failed');
    const failed = await waitState('everything', 'failed');
    assert.ok(failed.kind === 'failed' && /exited/.test(failed.reason), JSON.stringify(failed));
    assert.ok(!api.mcp.tools.offered().some((tool) => tool.server === 'everything'), 'its tools are gone');
    assert.ok((await expectations()).every((check) => check.ok), JSON.stringify(await expectations()));

    await manager().restart('everything');
    await waitState('everything', 'running');
    assert.notEqual(manager().connection('everything')!.pid, pid);
  });

  test('changing mcp.json restarts only the server that changed (after trusting the new definition)', async () => {
    const filesPid = manager().connection('files')!.pid;
    const everythingPid = manager().connection('everything')!.pid;
    trustAsked = [];
    writeConfig({ everything: everything({ env: { MARATHON_CHANGED: '1' } }), web: { type: 'http', url: http.url }, files: { type: 'stdio', command: process.execPath, args: [FILESYSTEM, '${workspaceFolder}'] } });
    await manager().reload();
    await waitFor('everything restarted', () => (state('everything')?.kind === 'running' && manager().connection('everything')?.pid !== everythingPid ? true : undefined));
    assert.deepEqual(trustAsked.map((server) => server.name), ['everything'], 'the changed definition needed trust again');
    assert.equal(manager().connection('files')!.pid, filesPid, 'the unchanged server kept running');
    assert.equal(state('refused'), undefined, 'a server removed from the file is gone');
  });

  test('the filesystem server: Claude lists, reads and searches the workspace through it', async () => {
    await setConfig('mcp.alwaysAllow', ['everything/*', 'web/*', 'files/*']);
    fs.mkdirSync(path.join(folder(), 'mcpdata'), { recursive: true });
    fs.writeFileSync(path.join(folder(), 'mcpdata', 'notes.txt'), 'The answer is forty-two.\n');
    await script([
      { toolUse: [{ id: 'toolu_ls', name: 'files__list_directory', input: { path: path.join(folder(), 'mcpdata') } }] },
      { toolUse: [{ id: 'toolu_cat', name: 'files__read_text_file', input: { path: path.join(folder(), 'mcpdata', 'notes.txt') } }], expectToolResult: [{ toolUseId: 'toolu_ls', includes: 'notes.txt' }] },
      { toolUse: [{ id: 'toolu_out', name: 'files__read_text_file', input: { path: '/etc/hostname' } }], expectToolResult: [{ toolUseId: 'toolu_cat', includes: 'forty-two' }] },
      { text: 'Forty-two.', expectToolResult: [{ toolUseId: 'toolu_out', isError: true }] },
    ]);
    await api.controller.send('What is in mcpdata?');
    assert.ok((await expectations()).every((check) => check.ok), JSON.stringify(await expectations()));
    fs.rmSync(path.join(folder(), 'mcpdata'), { recursive: true, force: true });
  });

  test('a 100-call loop with large results compacts without losing a tool_use/tool_result pair', async () => {
    await setConfig('mcp.alwaysAllow', ['everything/*', 'web/*', 'files/*']);
    await setConfig('compaction.triggerTokens', 50_000);
    await setConfig('agent.maxToolIterations', 120);
    await setConfig('mcp.maxResultBytes', 16 * 1024);
    // Server-side clearing of old results would postpone the compaction this test is about.
    await setConfig('contextEditing.toolResults', 'off');
    fs.mkdirSync(path.join(folder(), 'mcpdata'), { recursive: true });
    const big = path.join(folder(), 'mcpdata', 'big.log');
    fs.writeFileSync(big, Array.from({ length: 2000 }, (_, i) => `line ${i}: a log entry with enough words to weigh something`).join('\n'));
    const calls = 100;
    const replies: ScriptedReply[] = [];
    for (let call = 1; call <= calls; call++) {
      replies.push({
        toolUse: [{ id: `toolu_big${call}`, name: 'files__read_text_file', input: { path: big } }],
        ...(call > 1 ? { expectToolResult: [{ toolUseId: `toolu_big${call - 1}`, includes: 'result cut', isError: false }] } : {}),
      });
    }
    replies.push({ text: 'Read it a hundred times.', expectToolResult: [{ toolUseId: `toolu_big${calls}`, includes: 'line 0:' }] });
    await script(replies);
    const id = (await api.controller.viewState()).active.id;
    await api.controller.send('Read the log a hundred times');

    const checks = await expectations();
    assert.equal(checks.length, calls);
    assert.ok(checks.every((check) => check.ok), JSON.stringify(checks.filter((check) => !check.ok)));
    const sent = await messageRequests();
    assert.ok(sent.every((request) => (request as RecordedRequest & { status?: number }).status === 200), 'every request was valid');
    const compactions = view.of('chat/item').filter((message) => message.item.kind === 'compaction' && !message.item.failed);
    assert.ok(compactions.length >= 2, `compactions: ${compactions.length}`);
    const carrying = (call: number) => sent.find((request) => request.body.messages!.at(-1)?.content.some((block) => block['tool_use_id'] === `toolu_big${call}`));
    const bytes = (call: number) => Buffer.byteLength(JSON.stringify(carrying(call)?.body ?? {}));
    console.log(`      request bytes: call 10 ${bytes(10)}, call 100 ${bytes(100)}; ${sent.length} requests, ${compactions.length} compactions`);
    assert.ok(bytes(100) < bytes(10) * 3, 'the request stays bounded');

    // Every tool_use of the conversation file has its tool_result in the next record.
    const records = fs
      .readFileSync(path.join(api.paths.conversations, `${id}.jsonl`), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as ConversationRecord);
    const uses = records.flatMap((record) => (record.kind === 'assistant' ? record.content.filter((block) => block.type === 'tool_use').map((block) => String(block.id)) : []));
    const results = new Set(records.flatMap((record) => (record.kind === 'user' ? record.content.filter((block) => block.type === 'tool_result').map((block) => String(block.tool_use_id)) : [])));
    assert.equal(uses.length, calls);
    assert.deepEqual(uses.filter((use) => !results.has(use)), []);
    fs.rmSync(path.join(folder(), 'mcpdata'), { recursive: true, force: true });
  });
});
