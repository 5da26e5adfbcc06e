// The engine and thinking, against the emulator with its prefix check: unasked thinking survives a
// threshold compaction's put-back, the system prompt stays stable when project rules change, requests
// carry the user's thinking choice with the binding controls, a refusal for a thinking block is never
// sent again as it was, and thinking streams, is timed and counted.

import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import type { ConversationRecord } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { testSettings } from '../fixtures/settings';

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: { system?: Array<{ text: string }>; thinking?: Record<string, unknown>; output_config?: Record<string, unknown>; max_tokens?: number; messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };
}

suite('ConversationSession with thinking', function () {
  this.timeout(20_000);
  let emulator: EmulatorHandle;
  let store: InMemoryConversationStore;
  let settings: SessionSettings;
  let events: SessionEvent[];
  let system: string;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  setup(() => {
    emulator.state.reset();
    // The default model thinks unasked, and every block's prefix is checked with `error`.
    emulator.state.configure({ thinkUnasked: true, forcePrefixError: true });
    store = new InMemoryConversationStore();
    settings = testSettings({ maxTokens: 4096 });
    events = [];
    system = 'You are a test assistant.';
  });

  const requests = (): Recorded[] => emulator.state.requests.filter((r) => r.path === '/v1/messages') as unknown as Recorded[];
  const refused = (): Recorded[] => requests().filter((r) => r.status !== 200);
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

  async function open(conversationId?: string): Promise<ConversationSession> {
    const id = conversationId ?? (await store.create()).id;
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => system,
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50, maxRetries: 1 },
      idleTimeoutMs: 2000,
    });
    session.onEvent((event) => events.push(event));
    return session;
  }

  test('unasked thinking: the exchange put back after a threshold compaction goes without its thinking, so no request is refused', async () => {
    const session = await open();
    emulator.state.configure({ tokenMultiplier: 100 });
    for (const word of ['alpha', 'beta', 'gamma', 'delta', 'epsilon']) {
      await session.send(`${word}: ` + `${word} `.repeat(60));
    }
    assert.ok(of('item').some((event) => event.item.kind === 'compaction'), 'a compaction happened');
    assert.deepEqual(refused().map((r) => r.status), [], 'every request accepted with the prefix check enforced');
    assert.equal(of('turnFailed').length, 0);
    const continuation = requests().find((r) => r.body.messages[0]?.content[0]?.type === 'compaction');
    assert.ok(continuation);
    const putBackAnswer = continuation.body.messages[2]!;
    assert.equal(putBackAnswer.role, 'assistant');
    assert.ok(putBackAnswer.content.every((block) => block.type !== 'thinking'), 'thinking left out of the re-inserted answer');
    const stored = (await store.readAll(session.id)).filter((r): r is Extract<ConversationRecord, { kind: 'assistant' }> => r.kind === 'assistant');
    assert.ok(stored.every((r) => r.content.length === 0 || r.content[0]!.type === 'thinking' || r.content[0]!.type === 'compaction'), 'records keep thinking as received');
    // A reopened session sends exactly what the live one would.
    const live = await session.previewRequest();
    assert.deepEqual((await (await open(session.id)).previewRequest()).messages, live.messages);
  });

  test('a rules change keeps the system prompt until the next compaction, and says so once', async () => {
    const session = await open();
    await session.send('first question');
    system = 'You are a test assistant. Project rules: use tabs.';
    await session.send('second question');
    await session.send('third question');
    assert.deepEqual(refused(), []);
    assert.ok(requests().every((r) => r.body.system?.[0]?.text === 'You are a test assistant.'), 'the system prompt stayed stable');
    assert.equal(of('notice').filter((n) => /project rules changed/i.test(n.message)).length, 1);
    assert.equal(await session.compactNow(), true);
    await session.send('fourth question');
    assert.equal(requests().at(-1)!.body.system?.[0]?.text, system, 'the new rules apply after the compaction');
    assert.deepEqual(refused(), []);
  });

  test('requests carry the thinking choice with drop_block and its beta; the model default effort is left out', async () => {
    settings = { ...settings, maxTokens: 64_000, thinking: { thinking: 'adaptive', budgetTokens: 8000, effort: 'low' } };
    const session = await open();
    await session.send('hello');
    const [first] = requests();
    assert.deepEqual(first!.body.thinking, { type: 'adaptive', display: 'summarized', block_binding: { prefix_mismatch_behavior: 'drop_block' } });
    assert.deepEqual(first!.body.output_config, { effort: 'low' });
    assert.equal(first!.body.max_tokens, 64_000);
    assert.ok(first!.betas.includes('thinking-binding-controls-2026-08-01'));
    settings = { ...settings, thinking: { thinking: 'adaptive', budgetTokens: 8000, effort: 'high' } };
    await session.send('again');
    assert.equal(requests().at(-1)!.body.output_config, undefined, '"high" is Sonnet 5.5\'s default: omitted, same request');
    // On a model that takes neither, the choice falls back with one notice.
    settings = { ...settings, model: 'claude-sonnet-4-6', maxTokens: 64_000, thinking: { thinking: 'off', budgetTokens: 8000, effort: 'xhigh' } };
    await session.send('on the older model');
    assert.deepEqual(requests().at(-1)!.body.thinking, { type: 'disabled' });
    assert.equal(requests().at(-1)!.body.output_config, undefined, '"xhigh" falls back to "high", the default: omitted');
    assert.equal(of('notice').filter((n) => /no "xhigh" effort/.test(n.message)).length, 1);
    assert.deepEqual(refused(), []);
  });

  test('thinking streams to the view, is timed, counted in the usage and kept in the record', async () => {
    settings = { ...settings, thinking: { thinking: 'adaptive', budgetTokens: 8000, effort: 'high' } };
    const session = await open();
    await session.send('Explain closures');
    const parts = of('thinkingDelta');
    assert.ok(parts[0]?.start && parts[0].part === 'reasoning');
    const streamed = parts.map((p) => p.text).join('');
    const [answer] = (await store.readAll(session.id)).filter((r): r is Extract<ConversationRecord, { kind: 'assistant' }> => r.kind === 'assistant');
    assert.ok(answer && answer.content[0]?.type === 'thinking');
    assert.equal(streamed, answer.content[0].thinking);
    assert.ok((answer.usage?.thinkingTokens ?? 0) > 0);
    assert.ok(typeof answer.thinkingMs === 'number');
    const finished = of('turnFinished')[0]!.item;
    assert.ok(finished.kind === 'assistant' && finished.thinking?.text === streamed && finished.thinking.tokens === answer.usage?.thinkingTokens);
    assert.ok((session.meter().totalThinkingTokens ?? 0) > 0, 'the meter counts thinking tokens');
  });

  test('a refusal for a thinking block is not sent again as it was: the history goes once without its thinking', async () => {
    const session = await open();
    await session.send('first');
    // A signature the server does not accept (another organization's block, say).
    emulator.state.addFaults([{ kind: 'http', status: 400, errorType: 'invalid_request_error', message: 'messages.1.content.0: Invalid `signature` in `thinking` block' }]);
    await session.send('second');
    const [, refusedBody, retried] = requests();
    assert.equal(refusedBody!.status, 400);
    assert.ok(refusedBody!.body.messages[1]!.content.some((b) => b.type === 'thinking'));
    assert.equal(retried!.status, 200);
    assert.ok(retried!.body.messages.every((m) => m.content.every((b) => b.type !== 'thinking')), 'sent once without the earlier thinking');
    assert.notDeepEqual(retried!.body, refusedBody!.body);
    assert.equal(of('turnFailed').length, 0);
  });
});
