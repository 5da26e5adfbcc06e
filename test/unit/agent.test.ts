// Agent mode in the core: tool schemas and validation, tool pairs in the request history, and the tool
// loop of ConversationSession against the emulator (approval outcomes, Stop, reload mid-loop, the step
// limit, pause_turn, and compactions in the middle of a 40-step loop).
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { repairToolPairs } from '../../src/core/messageRules';
import { RequestHistory, type ApiMessage } from '../../src/core/requestHistory';
import { silentLogger, type ToolCall, type ToolHost, type ToolOutcome, type ToolRunContext } from '../../src/core/ports';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { timelineItems } from '../../src/core/timeline';
import {
  AGENT_COMPACTION_INSTRUCTIONS,
  NO_TOOLS_WHILE_SUMMARIZING,
  TOOL_DEFINITIONS,
  TOOL_NAMES,
  capOutput,
  describeToolCall,
  globToRegExp,
  lineRange,
  replaceExactlyOnce,
  validateToolInput,
} from '../../src/core/agentTools';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import type { ExpectationResult, ScriptedReply } from '../emulator/types';
import { testSettings } from '../fixtures/settings';


suite('Agent tools: schemas and input', () => {
  test('every tool has a strict schema that forbids unknown properties', () => {
    for (const name of TOOL_NAMES) {
      const definition = TOOL_DEFINITIONS[name];
      assert.equal(definition.name, name);
      assert.equal(definition.strict, true);
      assert.equal(definition.input_schema.additionalProperties, false);
      for (const required of definition.input_schema.required) {
        assert.ok(required in definition.input_schema.properties, `${name}.${required} is a property`);
      }
    }
  });

  test('validates input and explains what is wrong, for the model to read', () => {
    assert.deepEqual(validateToolInput('read_file', { path: 'src/a.ts', start_line: 2, end_line: 4 }), { ok: true, input: { name: 'read_file', path: 'src/a.ts', startLine: 2, endLine: 4 } });
    assert.match((validateToolInput('read_file', {}) as { message: string }).message, /"path" is required/);
    assert.match((validateToolInput('read_file', { path: 'a', start_line: 5, end_line: 2 }) as { message: string }).message, /end_line/);
    assert.match((validateToolInput('read_file', { path: 'a', lines: 3 }) as { message: string }).message, /does not take "lines"/);
    assert.match((validateToolInput('delete_everything', {}) as { message: string }).message, /no tool named/);
    assert.match((validateToolInput('search_text', { query: '(', is_regex: true }) as { message: string }).message, /not a valid regular expression/);
    const search = validateToolInput('search_text', { query: 'todo' });
    assert.ok(search.ok && search.input.name === 'search_text' && search.input.maxResults === 50 && !search.input.isRegex);
    const create = validateToolInput('edit_file', { path: 'new.ts', old_text: '', new_text: 'x' });
    assert.ok(create.ok && create.input.name === 'edit_file' && create.input.oldText === '');
    assert.equal(validateToolInput('run_command', { command: '   ' }).ok, false);
  });

  test('describes calls for their cards as plain text', () => {
    assert.deepEqual(describeToolCall('read_file', { path: 'src/a.ts', start_line: 3 }), { title: 'Read src/a.ts (lines 3–end)' });
    assert.equal(describeToolCall('run_command', { command: 'npm test\nnpm run lint' }).title, 'Run npm test');
    assert.equal(describeToolCall('edit_file', { path: 'b.ts', old_text: '', new_text: 'x' }).title, 'Create b.ts');
    assert.equal(describeToolCall('nonsense', { a: 1 }).title, 'nonsense');
  });

  test('replaces text only where it occurs exactly once, keeping CRLF line endings', () => {
    assert.deepEqual(replaceExactlyOnce('a\nb\nc\n', 'b\n', 'B\n'), { ok: true, content: 'a\nB\nc\n' });
    assert.equal(replaceExactlyOnce('x x', 'x', 'y').ok, false);
    assert.equal(replaceExactlyOnce('abc', 'z', 'y').ok, false);
    assert.deepEqual(replaceExactlyOnce('one\r\ntwo\r\n', 'one\ntwo', '1\n2'), { ok: true, content: '1\r\n2\r\n' });
  });

  test('globs match workspace paths like VS Code and .gitignore do', () => {
    const matches = (glob: string, file: string) => globToRegExp(glob).test(file);
    assert.ok(matches('src/**/*.ts', 'src/a.ts') && matches('src/**/*.ts', 'src/deep/er/b.ts'));
    assert.ok(!matches('src/**/*.ts', 'test/a.ts') && !matches('src/*.ts', 'src/deep/b.ts'));
    assert.ok(matches('*.ts', 'src/deep/b.ts'), 'a name pattern matches at any depth');
    assert.ok(matches('**/*.{ts,js}', 'a/b.js') && !matches('**/*.{ts,js}', 'a/b.css'));
    assert.ok(matches('file?.[jt]s', 'file1.ts') && !matches('file?.[!jt]s', 'file1.ts'));
    assert.ok(matches('a.b', 'a.b') && !matches('a.b', 'axb'), 'dots are literal');
  });

  test('caps output in the middle and marks the cut; returns line ranges', () => {
    const capped = capOutput('a'.repeat(100) + 'b'.repeat(100), 50);
    assert.ok(capped.cut && capped.text.startsWith('a'.repeat(25)) && capped.text.endsWith('b'.repeat(25)) && capped.text.includes('bytes of output cut'));
    assert.deepEqual(capOutput('short', 50), { text: 'short', cut: false });
    assert.deepEqual(lineRange('1\n2\n3\n4\n', 2, 3), { text: '2\n3', total: 4, from: 2, to: 3 });
    assert.deepEqual(lineRange('1\n2', undefined, 99), { text: '1\n2', total: 2, from: 1, to: 2 });
  });
});

// ---------------------------------------------------------------- history

let counter = 0;
type UserRecord = Extract<ConversationRecord, { kind: 'user' }>;
type AssistantRecord = Extract<ConversationRecord, { kind: 'assistant' }>;
const typed = (text: string): UserRecord => ({ v: 1, kind: 'user', id: `u${++counter}`, at: counter, content: [{ type: 'text', text }] });
const answer = (text: string, calls: string[] = []): AssistantRecord => ({
  v: 1,
  kind: 'assistant',
  id: `a${++counter}`,
  at: counter,
  content: [...(text ? [{ type: 'text', text }] : []), ...calls.map((id) => ({ type: 'tool_use', id, name: 'read_file', input: { path: `${id}.ts` } }))],
  stopReason: calls.length > 0 ? 'tool_use' : 'end_turn',
  status: 'done',
  model: 'claude-sonnet-5-5',
});
const results = (...ids: string[]): UserRecord => ({
  v: 1,
  kind: 'user',
  id: `t${++counter}`,
  at: counter,
  content: ids.map((id) => ({ type: 'tool_result', tool_use_id: id, content: `contents of ${id}` })),
  toolRuns: ids.map((id) => ({ toolUseId: id, status: 'done' })),
});

/** Every tool_use answered in the next message, every tool_result answering the previous one, results first. */
function assertPairs(messages: readonly ApiMessage[]): void {
  messages.forEach((message, index) => {
    const next = messages[index + 1];
    const uses = message.content.filter((block) => block.type === 'tool_use').map((block) => block.id);
    if (message.role === 'assistant' && uses.length > 0) {
      assert.ok(next, `messages.${index} ends the request with unanswered calls`);
      assert.deepEqual(next.content.slice(0, uses.length).map((block) => block.tool_use_id), uses, `messages.${index + 1} answers the calls first`);
    }
    if (message.role === 'user') {
      const previous = messages[index - 1];
      const called = new Set(previous?.role === 'assistant' ? previous.content.filter((block) => block.type === 'tool_use').map((block) => block.id) : []);
      for (const block of message.content.filter((candidate) => candidate.type === 'tool_result')) {
        assert.ok(called.has(block.tool_use_id), `messages.${index}: orphan result ${String(block.tool_use_id)}`);
      }
    }
  });
}

function loop(steps: number): { history: RequestHistory; records: Array<UserRecord | AssistantRecord> } {
  const history = new RequestHistory();
  const records: Array<UserRecord | AssistantRecord> = [typed('earlier question'), answer('earlier answer'), typed('Do the task')];
  for (let i = 1; i <= steps; i++) {
    records.push(answer(i === 1 ? 'Starting.' : '', [`call${i}`]), results(`call${i}`));
  }
  records.forEach((record) => history.push(record));
  return { history, records };
}

suite('Agent tools: request history', () => {
  test('repairs selections so that no call or result is orphaned', () => {
    const entries = [
      { message: { role: 'user' as const, content: [{ type: 'tool_result', tool_use_id: 'gone', content: 'x' }, { type: 'text', text: 'keep' }] } },
      { message: { role: 'assistant' as const, content: [{ type: 'text', text: 'a' }, { type: 'tool_use', id: 'open', name: 'read_file', input: {} }] } },
    ];
    assert.deepEqual(
      repairToolPairs(entries).map((entry) => entry.message.content.map((block) => block.type)),
      [['text'], ['text']],
    );
  });

  test('a paused compaction mid-loop puts back the typed request and the last call with its results', () => {
    const { history, records } = loop(6);
    const putBack = history.applyPausedCompaction({ type: 'compaction', content: 'Summary' }, 0);
    const messages = history.toMessages();
    assertPairs(messages);
    assert.deepEqual(putBack, [records[2]!.id, records.at(-2)!.id, records.at(-1)!.id]);
    assert.deepEqual(messages.map((message) => message.role), ['assistant', 'user', 'assistant', 'user']);
    assert.equal(messages[1]!.content[0]!.text, 'Do the task');
    assert.equal(messages[3]!.content[0]!.tool_use_id, 'call6');
    // Rebuilt from the records (a reload), the request is the same.
    const marker: ConversationRecord = { v: 1, kind: 'compaction', id: 'c1', at: 999, compactionKind: 'threshold', failed: false, summary: 'Summary', coveredMessages: 9, putBack };
    const paused: ConversationRecord = { ...answer(''), content: [{ type: 'compaction', content: 'Summary' }], stopReason: 'compaction' };
    assert.deepEqual(RequestHistory.rebuild([...records, paused, marker]).toMessages(), messages);
  });

  test('with earlier turns kept, their tool results are left out and so are the calls they answered', () => {
    const history = new RequestHistory();
    const turn = [typed('first task'), answer('Reading.', ['x1']), results('x1'), answer('Done with the first.'), typed('second task'), answer('', ['y1']), results('y1')];
    turn.forEach((record) => history.push(record));
    history.applyPausedCompaction({ type: 'compaction', content: 'S' }, 1);
    const messages = history.toMessages();
    assertPairs(messages);
    assert.deepEqual(
      messages.map((message) => `${message.role}:${message.content.map((block) => block.type).join('+')}`),
      ['assistant:compaction', 'user:text', 'assistant:text+text', 'user:text', 'assistant:tool_use', 'user:tool_result'],
    );
  });

  test('pending ids mid-loop keep the call with its results, so an on-demand compaction never ends on a call', () => {
    const { history, records } = loop(3);
    const pending = history.pendingUserIds();
    assert.deepEqual(pending, [records[2]!.id, records.at(-2)!.id, records.at(-1)!.id]);
    const summarized = history.messagesExcept(pending);
    assert.equal(summarized.at(-1)!.role, 'user');
    assertPairs(summarized);
    history.applyOnDemandCompaction({ type: 'compaction', content: 'S', signature: 'sig' }, pending);
    assertPairs(history.toMessages());
  });

  test('trimming drops whole calls with their results and keeps the request and the last call', () => {
    const { history, records } = loop(8);
    const dropped = history.trimOldest((messages) => messages.length <= 4);
    const messages = history.toMessages();
    assertPairs(messages);
    assert.equal(messages[0]!.role, 'user');
    assert.equal(messages[0]!.content[0]!.text, 'Do the task');
    assert.equal(messages.at(-1)!.content[0]!.tool_use_id, 'call8');
    const rebuilt = RequestHistory.rebuild([...records, { v: 1, kind: 'compaction', id: 'c', at: 1, compactionKind: 'trim', failed: false, summary: null, coveredMessages: dropped.length, droppedIds: dropped }]);
    assert.deepEqual(rebuilt.toMessages(), messages);
  });

  test('a typed message after stopped tool results follows them in one user message, results first', () => {
    const history = new RequestHistory();
    [typed('go'), answer('', ['s1']), results('s1'), typed('never mind')].forEach((record) => history.push(record));
    const last = history.toMessages().at(-1)!;
    assert.deepEqual(last.content.map((block) => block.type), ['tool_result', 'text']);
  });

  test('tool cards come from the calls and are completed by their results', () => {
    const records = [typed('go'), answer('Looking.', ['c1', 'c2']), { ...results('c1', 'c2'), toolRuns: [{ toolUseId: 'c1', status: 'done' as const, durationMs: 5 }, { toolUseId: 'c2', status: 'refused' as const }] }];
    const items = timelineItems(records);
    assert.deepEqual(items.map((item) => item.kind), ['user', 'assistant', 'tool', 'tool']);
    const [first, second] = items.filter((item) => item.kind === 'tool');
    assert.ok(first?.kind === 'tool' && first.status === 'done' && first.result === 'contents of c1' && first.title === 'Read c1.ts');
    assert.ok(second?.kind === 'tool' && second.status === 'refused');
    // A call with no result yet (a reload while it waited) shows as interrupted.
    const dangling = timelineItems([typed('go'), answer('', ['d1'])]);
    assert.deepEqual(dangling.map((item) => (item.kind === 'tool' ? item.status : item.kind)), ['user', 'interrupted']);
  });
});

// ---------------------------------------------------------------- the loop against the emulator

interface Recorded {
  path: string;
  status: number | null;
  body: {
    messages: Array<{ role: string; content: StoredBlock[] }>;
    tools?: Array<{ name: string; strict?: boolean }>;
    tool_choice?: unknown;
    context_management?: { edits: Array<Record<string, unknown>> };
    compaction?: { instructions?: string };
  };
}

type Handler = (call: ToolCall, context: ToolRunContext) => Promise<ToolOutcome>;

/** A ToolHost that records calls and answers them with a handler; the host's approval is simulated by the handler. */
class FakeTools implements ToolHost {
  readonly calls: ToolCall[] = [];
  available: string[] = [...TOOL_NAMES];
  constructor(public handler: Handler = async (call) => ({ status: 'done', content: `contents of ${String((call.input as { path?: string }).path)}` })) {}
  availableTools(): string[] {
    return this.available;
  }
  async run(calls: readonly ToolCall[], context: ToolRunContext): Promise<ToolOutcome[]> {
    const outcomes: ToolOutcome[] = [];
    for (const call of calls) {
      this.calls.push(call);
      context.report(call.id, 'running');
      outcomes.push(await this.handler(call, context));
    }
    return outcomes;
  }
}

suite('Agent mode: the tool loop against the emulator', function () {
  this.timeout(120_000);
  let emulator: EmulatorHandle;
  let store: InMemoryConversationStore;
  let settings: SessionSettings;
  let events: SessionEvent[];
  let tools: FakeTools;
  let pinned: StoredBlock[];

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  setup(async () => {
    await control('reset', {});
    store = new InMemoryConversationStore();
    settings = testSettings({ chatMode: 'agent', maxToolIterations: 25 });
    events = [];
    tools = new FakeTools();
    pinned = [];
  });

  async function control(route: string, body: unknown): Promise<void> {
    const response = await fetch(`${emulator.url}/_emulator/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200, await response.clone().text());
  }
  const script = (replies: ScriptedReply[]) => control('script', { replies });

  async function requests(): Promise<Recorded[]> {
    const { requests: all } = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { requests: Recorded[] };
    return all.filter((request) => request.path === '/v1/messages');
  }

  async function expectations(): Promise<ExpectationResult[]> {
    return ((await (await fetch(`${emulator.url}/_emulator/expectations`)).json()) as { expectations: ExpectationResult[] }).expectations;
  }

  async function open(conversationId?: string): Promise<ConversationSession> {
    const id = conversationId ?? (await store.create()).id;
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test agent.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      idleTimeoutMs: 4000,
      tools,
      pinnedBlocks: async () => pinned,
    });
    session.onEvent((event) => events.push(event));
    return session;
  }

  const read = (id: string, path: string): ScriptedReply['toolUse'] => [{ id, name: 'read_file', input: { path } }];
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

  test('reads two files in one turn, then answers; every request is valid and carries the strict tools', async () => {
    await script([
      { text: 'Let me look.', toolUse: [{ id: 'toolu_a', name: 'read_file', input: { path: 'src/a.ts' } }, { id: 'toolu_b', name: 'read_file', input: { path: 'src/b.ts' } }] },
      { text: 'Both files export one constant.', expectToolResult: [{ toolUseId: 'toolu_a', includes: 'contents of src/a.ts' }, { toolUseId: 'toolu_b', includes: 'contents of src/b.ts', isError: false }] },
    ]);
    const session = await open();
    await session.send('What do a.ts and b.ts export?');
    assert.deepEqual(tools.calls.map((call) => call.id), ['toolu_a', 'toolu_b']);
    assert.ok((await expectations()).every((entry) => entry.ok), JSON.stringify(await expectations()));
    const all = await requests();
    assert.equal(all.length, 2);
    assert.ok(all.every((request) => request.status === 200));
    assert.deepEqual(all[0]!.body.tools!.map((tool) => tool.name), [...TOOL_NAMES]);
    assert.ok(all[0]!.body.tools!.every((tool) => tool.strict === true));
    const instructions = all[0]!.body.context_management!.edits[0]!.instructions;
    assert.equal(instructions, AGENT_COMPACTION_INSTRUCTIONS, 'Agent mode tells the summarizer not to call tools');
    const kinds = (await store.readAll(session.id)).map((record) => (record.kind === 'user' && record.toolRuns ? 'results' : record.kind));
    assert.deepEqual(kinds, ['title', 'user', 'assistant', 'results', 'assistant']);
    // The cards went pending → running → done; the view shows them after a reload too.
    const statuses = of('tool').filter((event) => event.item.id === 'toolu_a').map((event) => event.item.status);
    assert.deepEqual([statuses[0], statuses.at(-1)], ['pending', 'done']);
    assert.ok(statuses.includes('running'));
    const reopened = await open(session.id);
    const cards = reopened.items().items.filter((item) => item.kind === 'tool');
    assert.deepEqual(cards.map((card) => (card.kind === 'tool' ? `${card.title}:${card.status}` : '')), ['Read src/a.ts:done', 'Read src/b.ts:done']);
  });

  test('Ask mode sends no tools and keeps plain chat exactly as before', async () => {
    settings.chatMode = 'ask';
    const session = await open();
    await session.send('Hello');
    const [request] = await requests();
    assert.equal(request!.body.tools, undefined);
    assert.equal(request!.body.context_management!.edits[0]!.instructions, undefined);
  });

  test('the user’s own compaction instructions replace the Agent default', async () => {
    settings.instructions = 'Summarize tersely.';
    await open().then((session) => session.send('Hi'));
    assert.equal((await requests())[0]!.body.context_management!.edits[0]!.instructions, 'Summarize tersely.');
    assert.ok(AGENT_COMPACTION_INSTRUCTIONS.includes(NO_TOOLS_WHILE_SUMMARIZING));
  });

  test('refused and failed calls go back to the model as errors, and the turn goes on', async () => {
    tools.handler = async (call) => (call.name === 'run_command' ? { status: 'refused', content: 'The user refused to run this command.' } : { status: 'done', content: 'ok' });
    await script([
      { toolUse: [{ id: 'toolu_cmd', name: 'run_command', input: { command: 'rm -rf /' } }] },
      { toolUse: [{ id: 'toolu_bad', name: 'read_file', input: { file: 'x' } }], expectToolResult: [{ toolUseId: 'toolu_cmd', isError: true, includes: 'refused' }] },
      { text: 'Understood.', expectToolResult: [{ toolUseId: 'toolu_bad', isError: true, includes: 'does not take "file"' }] },
    ]);
    const session = await open();
    await session.send('Clean up');
    assert.deepEqual(tools.calls.map((call) => call.id), ['toolu_cmd'], 'invalid input never reaches the host');
    assert.ok((await expectations()).every((entry) => entry.ok), JSON.stringify(await expectations()));
    assert.equal(of('turnFailed').length, 0);
  });

  test('Stop while a call waits for approval answers it as stopped; the next message is a valid request', async () => {
    tools.handler = (_call, context) =>
      new Promise((resolve) => context.signal.addEventListener('abort', () => resolve({ status: 'stopped', content: 'Not run: the user stopped the turn.' }), { once: true }));
    await script([{ toolUse: read('toolu_wait', 'src/a.ts') }, { text: 'OK, something else.' }]);
    const session = await open();
    const turn = session.send('Read a.ts');
    while (tools.calls.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    session.cancel();
    await turn;
    assert.equal(of('tool').at(-1)!.item.status, 'stopped');
    assert.equal(session.generating, false);
    await session.send('Something else');
    const last = (await requests()).at(-1)!;
    assert.equal(last.status, 200);
    assert.deepEqual(last.body.messages.at(-1)!.content.map((block) => block.type), ['tool_result', 'text']);
  });

  test('a reload while a call waited shows it interrupted; Continue runs it and the loop goes on', async () => {
    const conversation = await store.create();
    for (const record of [typed('Read a.ts'), answer('Reading.', ['toolu_r1'])]) {
      await store.append(conversation.id, record);
    }
    const session = await open(conversation.id);
    const card = session.items().items.find((item) => item.kind === 'tool');
    assert.ok(card?.kind === 'tool' && card.status === 'interrupted');
    await script([{ text: 'It holds one constant.', expectToolResult: [{ toolUseId: 'toolu_r1', includes: 'contents of toolu_r1.ts' }] }]);
    await session.continueTurn();
    assert.deepEqual(tools.calls.map((call) => call.id), ['toolu_r1']);
    assert.ok((await expectations()).every((entry) => entry.ok));
    assert.equal((await requests()).at(-1)!.status, 200);
  });

  test('a new message after a reload mid-loop closes the calls first', async () => {
    const conversation = await store.create();
    for (const record of [typed('Read a.ts'), answer('', ['toolu_r2'])]) {
      await store.append(conversation.id, record);
    }
    const session = await open(conversation.id);
    await session.send('Forget it, say hi');
    const last = (await requests()).at(-1)!;
    assert.equal(last.status, 200);
    const results = last.body.messages.at(-1)!.content;
    assert.equal(results[0]!.type, 'tool_result');
    assert.equal(results[0]!.is_error, true);
    assert.equal(tools.calls.length, 0);
  });

  test('stops at the tool-step limit with a clear notice; Continue goes on', async () => {
    settings.maxToolIterations = 2;
    await script([{ toolUse: read('toolu_l1', 'a') }, { toolUse: read('toolu_l2', 'b') }, { text: 'Done.', expectToolResult: [{ toolUseId: 'toolu_l2' }] }]);
    const session = await open();
    await session.send('Go');
    assert.equal(tools.calls.length, 2);
    assert.ok(of('notice').some((notice) => /Stopped after 2 tool steps/.test(notice.message)));
    assert.equal((await requests()).length, 2);
    await session.continueTurn();
    assert.equal((await requests()).length, 3);
    assert.ok((await expectations()).every((entry) => entry.ok));
  });

  test('pause_turn continues by itself', async () => {
    await script([{ text: 'Thinking about it', stopReason: 'pause_turn' }, { text: 'Here is the rest.' }]);
    const session = await open();
    await session.send('Go');
    const all = await requests();
    assert.equal(all.length, 2);
    assert.equal(all[1]!.body.messages.at(-1)!.role, 'assistant', 'the paused answer is sent back as is');
  });

  test('Restricted Mode: a call to a tool that is not offered is refused without running', async () => {
    tools.available = ['read_file', 'list_files', 'search_text', 'get_diagnostics'];
    await script([{ toolUse: [{ id: 'toolu_edit', name: 'edit_file', input: { path: 'a.ts', old_text: 'a', new_text: 'b' } }] }, { text: 'OK.', expectToolResult: [{ toolUseId: 'toolu_edit', isError: true, includes: 'not available' }] }]);
    const session = await open();
    await session.send('Edit it');
    assert.deepEqual((await requests())[0]!.body.tools!.map((tool) => tool.name), tools.available);
    assert.equal(tools.calls.length, 0);
    assert.ok((await expectations()).every((entry) => entry.ok));
  });

  test('a failed compaction mid-loop (the summarizer called a tool) changes nothing and the loop goes on', async () => {
    // The first request stays under the trigger; the second, with a large result, passes it.
    await control('config', { tokenMultiplier: 20 });
    await control('faults', { faults: [{ kind: 'null-compaction' }] });
    tools.handler = async () => ({ status: 'done', content: 'x'.repeat(8000) });
    await script([{ toolUse: read('toolu_n1', 'a') }, { text: 'Done.', expectToolResult: [{ toolUseId: 'toolu_n1' }] }]);
    const session = await open();
    await session.send('Go');
    const markers = of('item').filter((event) => event.item.kind === 'compaction');
    assert.ok(markers.some((event) => event.item.kind === 'compaction' && event.item.failed));
    assert.ok((await requests()).every((request) => request.status === 200));
    assert.ok((await expectations()).every((entry) => entry.ok));
  });

  test('with a signed block, the trigger is checked before each iteration and the loop compacts on demand', async () => {
    const session = await open();
    await session.send('Start');
    assert.equal(await session.compactNow(), true);
    await control('config', { tokenMultiplier: 30 });
    tools.handler = async (call) => ({ status: 'done', content: `contents of ${call.id} ` + 'line of code\n'.repeat(60) });
    const replies: ScriptedReply[] = [];
    for (let step = 1; step <= 12; step++) {
      replies.push({ toolUse: read(`toolu_s${step}`, `f${step}`), ...(step > 1 ? { expectToolResult: [{ toolUseId: `toolu_s${step - 1}` }] } : {}) });
    }
    replies.push({ text: 'All read.', expectToolResult: [{ toolUseId: 'toolu_s12' }] });
    await script(replies);
    await session.send('Read twelve files');
    const all = await requests();
    assert.ok(all.every((request) => request.status === 200), JSON.stringify(all.filter((request) => request.status !== 200).map((request) => request.status)));
    const onDemand = all.filter((request) => request.body.compaction !== undefined);
    assert.ok(onDemand.length >= 2, `compacted on demand ${onDemand.length} times`);
    for (const request of onDemand) {
      assert.equal(request.body.compaction!.instructions, AGENT_COMPACTION_INSTRUCTIONS);
      assert.ok(request.body.tools && request.body.tools.length > 0, 'the summarizer sees the tools');
      assertPairs(request.body.messages as ApiMessage[]);
    }
    assert.ok((await expectations()).every((entry) => entry.ok), JSON.stringify((await expectations()).filter((entry) => !entry.ok)));
    assert.equal(of('turnFailed').length, 0);
  });

  test('a 40-step loop with two compactions in the middle accounts for every tool result; requests stay valid and bounded', async () => {
    // Each result is ~2.4 KB; with the multiplier the context passes the 50k trigger twice in 40 steps.
    await control('config', { tokenMultiplier: 4 });
    const steps = 40;
    tools.handler = async (call) => ({ status: 'done', content: `contents of ${String((call.input as { path: string }).path)}\n` + 'export const value = 42; // padding\n'.repeat(64) });
    const replies: ScriptedReply[] = [];
    for (let step = 1; step <= steps; step++) {
      replies.push({
        text: step === 1 ? 'Reading the files one by one.' : undefined,
        toolUse: read(`toolu_step${step}`, `src/file${step}.ts`),
        ...(step > 1 ? { expectToolResult: [{ toolUseId: `toolu_step${step - 1}`, includes: `contents of src/file${step - 1}.ts`, isError: false }] } : {}),
      });
    }
    replies.push({ text: 'All forty files read.', expectToolResult: [{ toolUseId: `toolu_step${steps}`, includes: `contents of src/file${steps}.ts` }] });
    await script(replies);
    settings.maxToolIterations = 50;
    // Compaction mid-loop is what this test is about; context editing would postpone it (see contextEditing.test.ts).
    settings.contextEditing = 'off';
    pinned = [{ type: 'text', text: '<file path="notes.md" pinned="true">\nKeep the API stable.\n</file>' }];
    const session = await open();
    await session.send('Read src/file1.ts to src/file40.ts, one at a time.');

    const all = await requests();
    assert.ok(all.every((request) => request.status === 200), 'every request was valid');
    assert.deepEqual(tools.calls.map((call) => call.id), Array.from({ length: steps }, (_, i) => `toolu_step${i + 1}`));
    const checks = await expectations();
    assert.equal(checks.length, steps, 'every tool result reached the model');
    assert.ok(checks.every((entry) => entry.ok), JSON.stringify(checks.filter((entry) => !entry.ok)));
    const markers = of('item').filter((event) => event.item.kind === 'compaction' && !event.item.failed);
    assert.equal(markers.length, 2, `compacted ${markers.length} times`);
    for (const request of all) {
      assertPairs(request.body.messages as ApiMessage[]);
    }
    // After each compaction: the summary, the typed request, the last call, then its results with the pinned file.
    const continuations = all.filter((request) => request.body.messages[0]?.content[0]?.type === 'compaction' && request.body.messages.length === 4);
    assert.equal(continuations.length, 2);
    for (const request of continuations) {
      const [, typedRequest, call, answer] = request.body.messages;
      assert.equal(typedRequest!.content.at(-1)!.text, 'Read src/file1.ts to src/file40.ts, one at a time.');
      assert.equal(call!.content.at(-1)!.type, 'tool_use');
      assert.deepEqual(answer!.content.map((block) => block.type), ['tool_result', 'text']);
      assert.match(String(answer!.content[1]!.text), /Keep the API stable/);
    }
    // Records: every call answered exactly once.
    const records = await store.readAll(session.id);
    const called = records.flatMap((record) => (record.kind === 'assistant' ? record.content.filter((block) => block.type === 'tool_use').map((block) => block.id) : []));
    const answered = records.flatMap((record) => (record.kind === 'user' ? record.content.filter((block) => block.type === 'tool_result').map((block) => block.tool_use_id) : []));
    assert.deepEqual(answered, called);
    assert.equal(of('turnFinished').at(-1)!.item.kind === 'assistant' && of('turnFinished').at(-1)!.item.kind === 'assistant' ? (of('turnFinished').at(-1)!.item as { text: string }).text : '', 'All forty files read.');

    // The request that carried step N's result, and its size.
    const carrying = (step: number) => all.find((request) => request.body.messages.at(-1)?.content.some((block) => block.tool_use_id === `toolu_step${step}`) && request.body.compaction === undefined && request.body.messages[0]);
    const size = (request: Recorded | undefined) => Buffer.byteLength(JSON.stringify(request?.body ?? {}));
    const at5 = size(carrying(5));
    const at40 = size(carrying(40));
    const largest = Math.max(...all.map(size));
    console.log(`      request size: step 5 ${at5} bytes, step 40 ${at40} bytes, largest ${largest} bytes, ${all.length} requests, ${markers.length} compactions`);
    assert.ok(at40 < largest, 'after compactions the request is smaller than the largest one before them');
  });
});
