// The engine against what the real API sends and refuses (the emulator's strict rules and stream shapes):
// each test is one defect that once ended a conversation or billed it wrongly, and fails without its fix.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { classifyError } from '../../src/core/errors';
import { silentLogger } from '../../src/core/ports';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { compactionCostOf, priceFor } from '../../src/core/usage';
import type { ConfigPatch, Fault, ScriptedReply } from '../emulator/server';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { testSettings } from '../fixtures/settings';
import { ReadingTools } from '../fixtures/readingTools';

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: {
    model: string;
    max_tokens: number;
    messages: Array<{ role: string; content: StoredBlock[] }>;
    context_management?: { edits: Array<Record<string, unknown>> };
    compaction?: unknown;
  };
}

suite('Engine fidelity: what the real API sends and refuses', function () {
  this.timeout(60_000);
  let emulator: EmulatorHandle;
  let store: InMemoryConversationStore;
  let settings: SessionSettings;
  let events: SessionEvent[];
  let seen = 0;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  setup(() => {
    emulator.state.reset();
    store = new InMemoryConversationStore();
    settings = testSettings();
    events = [];
    seen = 0;
  });

  const configure = (patch: ConfigPatch) => emulator.state.configure(patch);
  const script = (replies: ScriptedReply[]) => emulator.state.addReplies(replies);
  const faults = (list: Fault[]) => emulator.state.addFaults(list);
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

  /** Messages requests since the last call. */
  function takeRequests(): Recorded[] {
    const all = emulator.state.requests.filter((request) => request.path === '/v1/messages') as unknown as Recorded[];
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh;
  }

  function assertAllAccepted(requests: Recorded[]): void {
    for (const request of requests) {
      assert.ok(request.status === 200 || request.status === null, `refused: ${request.status} ${JSON.stringify(request.body.messages.map((m) => [m.role, m.content.map((b) => b.type)]))}`);
    }
  }

  async function open(extra: { agent?: boolean; idleTimeoutMs?: number; compactionIdleTimeoutMs?: number; conversationId?: string } = {}): Promise<ConversationSession> {
    const id = extra.conversationId ?? (await store.create()).id;
    if (extra.agent) {
      settings.chatMode = 'agent';
    }
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test assistant.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      idleTimeoutMs: extra.idleTimeoutMs ?? 4000,
      compactionIdleTimeoutMs: extra.compactionIdleTimeoutMs,
      tools: extra.agent ? new ReadingTools() : undefined,
    });
    session.onEvent((event) => events.push(event));
    return session;
  }

  const records = (session: ConversationSession): Promise<ConversationRecord[]> => store.readAll(session.id);

  // #2 ---------------------------------------------------------------------------------------------

  test('#2 whitespace-only and empty text blocks are stored as received and never sent back', async () => {
    script([
      { textBlocks: ['\n\n'], toolUse: [{ id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } }] },
      { text: 'a.ts is empty.' },
      { text: '\n\n' },
      { textBlocks: [''], text: 'Fine.' },
    ]);
    const session = await open({ agent: true });
    await session.send('What is in a.ts?');
    await session.send('And now?');
    await session.send('Once more');
    await session.send('Last one');
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
    const requests = takeRequests();
    assertAllAccepted(requests);
    const last = requests.at(-1)!;
    for (const message of last.body.messages) {
      assert.ok(message.content.length > 0, 'no empty message');
      for (const block of message.content) {
        assert.ok(block.type !== 'text' || String(block.text).trim() !== '', 'no blank text block is sent');
      }
    }
    const stored = (await records(session)).filter((record) => record.kind === 'assistant');
    // The model thinks unasked: the blank text follows its thinking block, and an answer left with thinking
    // alone once the blank text is out carries its cache breakpoint nowhere (thinking takes no cache_control).
    assert.deepEqual(stored[0]?.kind === 'assistant' && stored[0].content.find((block) => block.type === 'text'), { type: 'text', text: '\n\n', citations: null }, 'stored as received');
  });

  /** A conversation that went through one paused threshold compaction (its block leads the history). */
  async function compactedByThreshold(session: ConversationSession): Promise<void> {
    configure({ tokenMultiplier: 100 });
    // 22,500 tokens, cached at the turn's breakpoint; then 31,300 more pass the 50,000 trigger.
    await session.send('First: ' + 'alpha '.repeat(150));
    await session.send('Second: ' + 'beta '.repeat(250));
    assert.ok(of('item').some((event) => event.item.kind === 'compaction'), 'a threshold compaction ran');
  }

  // #1 ---------------------------------------------------------------------------------------------

  test('#1 Compact Now works at any max_tokens (the on-demand request streams)', async () => {
    settings.maxTokens = 64_000;
    const session = await open();
    await session.send('Plan the refactor of the parser');
    assert.equal(await session.compactNow(), true, JSON.stringify(of('notice')));
    const onDemand = takeRequests().filter((request) => request.body.compaction !== undefined);
    assert.equal(onDemand.length, 1);
    assert.equal(onDemand[0]!.status, 200);
  });

  // #8 ---------------------------------------------------------------------------------------------

  test('#8 an on-demand request whose history holds a threshold block sends both betas', async () => {
    configure({ strictCompactionBetas: true });
    const session = await open();
    await compactedByThreshold(session);
    assert.equal(await session.compactNow(), true, JSON.stringify(of('notice')));
    const onDemand = takeRequests().filter((request) => request.body.compaction !== undefined);
    assert.deepEqual([...onDemand[0]!.betas].sort(), ['compact-2026-01-12', 'compact-2026-09-04']);
    assertAllAccepted(takeRequests());
    await session.send('After the summary');
    assert.equal(of('turnFailed').length, 0);
  });

  // #9 ---------------------------------------------------------------------------------------------

  test('#9 an on-demand request never ends on assistant text with trailing whitespace', async () => {
    script([{ text: 'Done, see above.\n\n' }]);
    const session = await open();
    await session.send('Summarize the plan');
    assert.equal(await session.compactNow(), true, JSON.stringify(of('notice')));
    const onDemand = takeRequests().find((request) => request.body.compaction !== undefined)!;
    const last = onDemand.body.messages.at(-1)!;
    assert.equal(last.role, 'assistant');
    assert.equal(last.content.at(-1)!.text, 'Done, see above.');
    const stored = (await records(session)).find((record) => record.kind === 'assistant');
    assert.equal(stored?.kind === 'assistant' && stored.content.find((block) => block.type === 'text')!.text, 'Done, see above.\n\n', 'the record keeps what arrived');
  });

  // #5 ---------------------------------------------------------------------------------------------

  test('#5 "input length and max_tokens exceed context limit" lowers max_tokens for that request', async () => {
    configure({ contextWindow: 3000, maxTokensInWindow: true });
    settings.maxTokens = 2000;
    settings.contextWindow = 3000;
    const session = await open();
    await session.send('x'.repeat(6000));
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
    const requests = takeRequests();
    const accepted = requests.filter((request) => request.status === 200);
    assert.equal(accepted.length, 1);
    assert.ok(accepted[0]!.body.max_tokens < 2000 && accepted[0]!.body.max_tokens >= 1024, `max_tokens ${accepted[0]!.body.max_tokens}`);
    assert.equal(requests.filter((request) => request.body.compaction !== undefined).length, 0, 'no compaction was needed');
    await session.send('And a short one');
    assert.equal(takeRequests()[0]!.body.max_tokens, 2000, 'the next turn asks for the full room again first');
    assert.equal(of('turnFailed').length, 0);
  });

  test('#5 stop_reason model_context_window_exceeded is a cut answer that offers Continue', async () => {
    script([{ text: 'The answer ran into the window', stopReason: 'model_context_window_exceeded' }]);
    const session = await open();
    await session.send('Write a lot');
    const finished = of('turnFinished').at(-1)!.item;
    assert.equal(finished.kind === 'assistant' && finished.status, 'cut');
  });

  // #11 --------------------------------------------------------------------------------------------

  test('#11 a retry-after beyond 30 s is honoured, not capped', async () => {
    faults([{ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 45 }]);
    const session = await open();
    const sending = session.send('Hello');
    for (let waited = 0; of('retrying').length === 0 && waited < 200; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    session.cancel();
    await sending;
    assert.equal(of('retrying')[0]?.delayMs, 45_000);
  });

  // #10 --------------------------------------------------------------------------------------------

  test('#10 a compaction that reads the cached prefix is priced with cache reads', async () => {
    const session = await open();
    await compactedByThreshold(session);
    const all = await records(session);
    const paused = all.find((record) => record.kind === 'assistant' && record.stopReason === 'compaction');
    const marker = all.find((record) => record.kind === 'compaction');
    assert.ok(paused?.kind === 'assistant' && paused.usage && marker?.kind === 'compaction');
    assert.ok((paused.usage.compactionCacheReadTokens ?? 0) > 0, 'the summarization read the cache');
    const expected = compactionCostOf(paused.usage, priceFor(settings.model));
    assert.ok(Math.abs((marker.costUsd ?? 0) - expected) < 1e-9, `${marker.costUsd} vs ${expected}`);
  });

  /** The last request's messages as role and block types, for messages of assertions. */
  const shape = (request: Recorded | undefined) => JSON.stringify(request?.body.messages.map((m) => [m.role, m.content.map((b) => b.type)]));

  // #4 ---------------------------------------------------------------------------------------------

  test('#4 a summary slower than the idle limit is waited for while the compaction block is open', async () => {
    configure({ summaryDelayMs: 900 });
    const session = await open({ idleTimeoutMs: 300, compactionIdleTimeoutMs: 5000 });
    await compactedByThreshold(session);
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
    const requests = takeRequests();
    assertAllAccepted(requests);
    assert.equal(of('retrying').length, 0, 'no stall, no retry');
    assert.ok(of('item').some((event) => event.item.kind === 'compaction' && !event.item.failed));
  });

  test('#4 a compaction that stalls is retried blindly at most once', async () => {
    configure({ tokenMultiplier: 100, summaryDelayMs: 1500 });
    const session = await open({ idleTimeoutMs: 200, compactionIdleTimeoutMs: 300 });
    await session.send('Big: ' + 'alpha '.repeat(400));
    assert.equal(takeRequests().length, 2, 'the first attempt and one retry');
    assert.equal(of('turnFailed').length, 1);
  });

  // #3 ---------------------------------------------------------------------------------------------

  test('#3 switching to a model without compaction carries the summary as text; switching back restores the block', async () => {
    const session = await open();
    await compactedByThreshold(session);
    takeRequests();
    settings.model = 'claude-haiku-4-5';
    await session.send('Now on a model without compaction');
    await session.send('And once more');
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
    const off = takeRequests();
    const accepted = off.filter((request) => request.status === 200);
    assert.equal(accepted.length, 2, shape(off.at(-1)));
    for (const request of accepted) {
      assert.equal(request.betas.length, 0);
      const first = request.body.messages[0]!;
      assert.equal(first.role, 'user');
      assert.match(String(first.content[0]!.text), /^Summary of the earlier conversation: Summary of the conversation/);
      assert.ok(request.body.messages.every((message) => message.content.every((block) => block.type !== 'compaction')));
    }
    settings.model = 'claude-sonnet-5-5';
    await session.send('Back on a model with compaction');
    const back = takeRequests();
    assertAllAccepted(back);
    assert.equal(back.at(-1)!.body.messages[0]!.content[0]!.type, 'compaction', shape(back.at(-1)));
    assert.ok(back.at(-1)!.betas.includes('compact-2026-01-12'));
  });

  // #7 ---------------------------------------------------------------------------------------------

  test('#7 a paused compaction that failed (content null) is not asked again identically; the turn goes on', async () => {
    faults([{ kind: 'null-compaction', pause: true }]);
    const session = await open();
    await compactedByThreshold(session);
    assert.equal(of('turnFailed').length, 0);
    const [, first, second, ...rest] = takeRequests();
    assert.equal(rest.length, 0, 'one more request, then the answer');
    assert.notDeepEqual(second!.body.context_management, first!.body.context_management, 'not the identical request');
    const marker = of('item').find((event) => event.item.kind === 'compaction')?.item;
    assert.ok(marker?.kind === 'compaction' && marker.failed);
    const answer = of('turnFinished').at(-1)!.item;
    assert.ok(answer.kind === 'assistant' && answer.text.length > 0);
  });

  // Stream shapes ----------------------------------------------------------------------------------

  test('stream shapes: a text block before the compaction block, split summaries, "" starts, encrypted_content', async () => {
    const shapes: ConfigPatch['shapes'][] = [
      { textBeforeCompaction: 'Let me condense our conversation first.' },
      { summaryDeltas: 4 },
      { compactionStartEmpty: true },
      { encryptedContent: 'block' },
      { encryptedContent: 'delta' },
    ];
    for (const variant of shapes) {
      emulator.state.reset();
      events = [];
      seen = 0;
      configure({ shapes: variant });
      const session = await open();
      await compactedByThreshold(session);
      await session.send('Next question');
      const label = JSON.stringify(variant);
      assert.equal(of('turnFailed').length, 0, label);
      assertAllAccepted(takeRequests());
      const marker = (await records(session)).find((record) => record.kind === 'compaction');
      assert.ok(marker?.kind === 'compaction' && !marker.failed, label);
      assert.match(marker.summary ?? '', /^Summary of the conversation .*Next step: continue helping/, `${label}: the whole summary`);
      const answers = of('turnFinished').map((event) => event.item).filter((item) => item.kind === 'assistant' && item.text.length > 0);
      assert.ok(answers.length >= 3, `${label}: the compacting turn was answered, then the next`);
    }
  });

  test('stream shapes: on-demand blocks without tool_changes round-trip', async () => {
    configure({ shapes: { omitToolChanges: true } });
    const session = await open();
    await session.send('Plan the refactor');
    assert.equal(await session.compactNow(), true);
    await session.send('Go on');
    assert.equal(of('turnFailed').length, 0);
    assertAllAccepted(takeRequests());
  });

  // #12 --------------------------------------------------------------------------------------------

  test('#12 a put-back identical to the one just compacted again is skipped', async () => {
    configure({ tokenMultiplier: 100 });
    const session = await open();
    // One message over the trigger with nothing before it: keeping the last exchange puts back just the
    // request, and so would keeping none.
    await session.send('Big: ' + 'alpha '.repeat(400));
    assert.equal(of('turnFailed').length, 0);
    const putBacks = (await records(session)).flatMap((record) => (record.kind === 'compaction' ? [JSON.stringify(record.putBack ?? [])] : []));
    assert.ok(putBacks.length >= 2, putBacks.join(' '));
    putBacks.slice(1).forEach((putBack, i) => assert.notEqual(putBack, putBacks[i], `compaction ${i + 2} put back what compaction ${i + 1} did`));
  });

  test('#12 Compact Now first answers calls left unanswered (the API refuses compaction_incomplete_turn)', async () => {
    const id = (await store.create()).id;
    await store.append(id, { v: 1, kind: 'user', id: 'u-1', at: 1, content: [{ type: 'text', text: 'Read a.ts' }] });
    await store.append(id, {
      v: 1, kind: 'assistant', id: 'a-1', at: 2, stopReason: 'tool_use', status: 'done', model: settings.model,
      content: [{ type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 'toolu_9', name: 'read_file', input: { path: 'a.ts' } }],
    });
    const session = await open({ agent: true, conversationId: id });
    assert.equal(await session.compactNow(), true, JSON.stringify(of('notice')));
    const compacted = takeRequests().find((request) => request.body.compaction !== undefined)!;
    assert.equal(compacted.body.messages.at(-1)!.content[0]!.type, 'tool_result');
  });

  test('#12 the ambiguous-block error promises nothing the engine does not do', () => {
    const error = classifyError({ status: 400, errorCode: 'compaction_block_ambiguous', apiMessage: 'messages holds more than one compaction block with content.' });
    assert.equal(error.kind, 'compaction');
    assert.doesNotMatch(error.message, /will/);
  });

  // #6 ---------------------------------------------------------------------------------------------

  test('#6 Compact Now where the model has no on-demand compaction says why and sends nothing', async () => {
    settings.model = 'claude-haiku-5-5';
    settings.onDemandSupported = false;
    const session = await open();
    await session.send('Hello');
    assert.equal(await session.compactNow(), false);
    assert.match(of('notice').at(-1)?.message ?? '', /Compact Now is not available/);
    assert.equal(takeRequests().filter((request) => request.body.compaction !== undefined).length, 0);
  });
});
