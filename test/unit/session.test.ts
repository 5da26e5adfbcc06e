import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import type { ConversationRecord } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import type { ContextMeter, TimelineItem } from '../../src/shared/protocol';
import { InMemoryConversationStore } from '../../src/core/store';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { testSettings } from '../fixtures/settings';

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: { messages: Array<{ role: string; content: Array<Record<string, unknown>> }>; context_management?: { edits: Array<Record<string, unknown>> }; compaction?: unknown };
}


suite('ConversationSession against the emulator', function () {
  this.timeout(20_000);
  let emulator: EmulatorHandle;
  let store: InMemoryConversationStore;
  let settings: SessionSettings;
  let events: SessionEvent[];

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  setup(async () => {
    await fetch(`${emulator.url}/_emulator/reset`, { method: 'POST', body: '{}' });
    store = new InMemoryConversationStore();
    settings = testSettings();
    events = [];
    pinned = [];
  });

  async function control(route: string, body: unknown): Promise<void> {
    const response = await fetch(`${emulator.url}/_emulator/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200);
  }

  async function requests(): Promise<Recorded[]> {
    const response = await fetch(`${emulator.url}/_emulator/requests`);
    const { requests: all } = (await response.json()) as { requests: Recorded[] };
    return all.filter((request) => request.path.startsWith('/v1/messages') && !request.path.includes('count_tokens'));
  }

  let pinned: Array<{ type: string; text: string }> = [];

  async function open(conversationId?: string): Promise<ConversationSession> {
    const id = conversationId ?? (await store.create()).id;
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test assistant.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      idleTimeoutMs: 2000,
      pinnedBlocks: async () => pinned,
    });
    session.onEvent((event) => events.push(event));
    return session;
  }

  const recordsOf = async (session: ConversationSession): Promise<ConversationRecord[]> => store.readAll(session.id);
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

  test('streams an answer, stores both messages, and asks for threshold compaction', async () => {
    const session = await open();
    await session.send('Hello there');
    const deltas = of('textDelta').map((event) => event.text).join('');
    const finished = of('turnFinished')[0]!.item;
    assert.equal(finished.kind === 'assistant' ? finished.text : '', deltas);
    const kinds = (await recordsOf(session)).map((record) => record.kind);
    assert.deepEqual(kinds, ['title', 'user', 'assistant']);
    const [request] = await requests();
    assert.deepEqual(request!.betas, ['compact-2026-01-12']);
    assert.deepEqual(request!.body.context_management!.edits[0], { type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50_000 }, pause_after_compaction: true });
    assert.ok(session.meter().contextTokens > 0, 'the meter reads the usage');
  });

  test('a threshold compaction pauses, puts the current request back verbatim, and the turn goes on', async () => {
    const session = await open();
    await control('config', { tokenMultiplier: 100 });
    for (const word of ['alpha', 'beta', 'gamma', 'delta']) {
      await session.send(`${word}: ` + `${word} `.repeat(60));
    }
    const markers = of('item').filter((event) => event.item.kind === 'compaction');
    assert.equal(markers.length, 1, 'one compaction marker');
    const all = await requests();
    const continuationIndex = all.findIndex((request) => request.body.messages[0]!.role === 'assistant');
    const paused = all[continuationIndex - 1]!;
    const continuation = all[continuationIndex]!;
    assert.deepEqual(
      continuation.body.messages.map((message) => `${message.role}:${message.content.map((block) => block.type).join('+')}`),
      ['assistant:compaction', 'user:text', 'assistant:text', 'user:text'],
      'block + previous exchange + current request',
    );
    const currentRequest = paused.body.messages.at(-1)!.content[0]!.text;
    assert.equal(continuation.body.messages.at(-1)!.content[0]!.text, currentRequest, 'the current request is put back verbatim');
    // Its thinking (the model thinks unasked) was made on the prefix before the block, so it stays out (reference §4).
    const previous = paused.body.messages.at(-2)!;
    assert.deepEqual(continuation.body.messages[2], { ...previous, content: previous.content.filter((block) => block.type !== 'thinking') }, 'the previous answer is put back verbatim');
    assert.equal(of('turnFailed').length, 0);
    // Later turns send only the block and what follows it.
    const last = all.at(-1)!;
    assert.equal(last.body.messages[0]!.content[0]!.type, 'compaction');
  });

  test('a put-back that is itself over the trigger is shrunk instead of compacting forever', async () => {
    const session = await open();
    await control('config', { tokenMultiplier: 400 });
    await session.send('one ' + 'x '.repeat(200));
    await session.send('two ' + 'y '.repeat(200));
    const markers = of('item').filter((event) => event.item.kind === 'compaction');
    assert.ok(markers.length >= 1 && markers.length <= 3, `compacted ${markers.length} times`);
    assert.equal(of('turnFailed').length, 0);
    assert.equal(of('turnFinished').at(-1)!.item.kind, 'assistant');
  });

  test('an on-demand compaction puts the signed block first and stops the threshold edit', async () => {
    const session = await open();
    await session.send('One');
    await session.send('Two');
    assert.equal(await session.compactNow(), true);
    const compactionRequest = (await requests()).at(-1)!;
    assert.ok(compactionRequest.betas.includes('compact-2026-09-04'));
    assert.equal(compactionRequest.body.context_management, undefined);
    await session.send('Three');
    const next = (await requests()).at(-1)!;
    const block = next.body.messages[0]!.content[0]!;
    assert.equal(block.type, 'compaction');
    assert.equal(typeof block.signature, 'string');
    assert.equal(next.body.context_management, undefined, 'no threshold edit next to a signed block');
    assert.equal(of('turnFailed').length, 0);
  });

  test('with a signed block, Marathon compacts on demand before a turn that would pass the trigger', async () => {
    const session = await open();
    await session.send('Start');
    await session.compactNow();
    await control('config', { tokenMultiplier: 300 });
    for (let turn = 0; turn < 6; turn++) {
      await session.send(`Turn ${turn}: ` + 'delta '.repeat(50));
    }
    const onDemand = (await requests()).filter((request) => request.body.compaction !== undefined);
    assert.ok(onDemand.length >= 2, `compacted on demand again (${onDemand.length})`);
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
  });

  test('overloaded and rate-limited responses are retried, honouring retry-after', async () => {
    const session = await open();
    await control('faults', { faults: [{ kind: 'http', status: 529, errorType: 'overloaded_error' }, { kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 0 }] });
    await session.send('Please work');
    assert.equal(of('retrying').length, 2);
    assert.equal(of('turnFinished').length, 1);
    assert.equal((await requests()).length, 3);
  });

  test('a stream dropped after text keeps the partial answer as interrupted, and Retry asks again', async () => {
    const session = await open();
    await control('faults', { faults: [{ kind: 'drop', afterDeltas: 2 }] });
    await session.send('Tell me a long story');
    const interrupted = of('turnFinished')[0]!.item;
    assert.equal(interrupted.kind === 'assistant' && interrupted.status, 'interrupted');
    assert.ok(interrupted.kind === 'assistant' && interrupted.text.length > 0);
    assert.equal(of('turnFailed').length, 1);
    await session.retryLast();
    const retried = (await requests()).at(-1)!;
    assert.equal(retried.body.messages.at(-1)!.role, 'user', 'the partial answer is not sent again');
    assert.equal(of('turnFinished').at(-1)!.item.kind === 'assistant' && (of('turnFinished').at(-1)!.item as { status: string }).status, 'done');
  });

  test('a dropped connection before any text is retried by itself', async () => {
    const session = await open();
    await control('faults', { faults: [{ kind: 'drop', afterDeltas: 0 }] });
    await session.send('Hello');
    assert.equal(of('retrying').length, 1);
    assert.equal(of('turnFailed').length, 0);
  });

  test('Stop keeps what arrived, marked as stopped, without an error', async () => {
    const session = await open();
    const sending = session.send('Write something long please');
    for (let waited = 0; of("textDelta").length < 2 && waited < 200; waited++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    session.cancel();
    await sending;
    const stopped = of('turnFinished')[0]!.item;
    assert.equal(stopped.kind === 'assistant' && stopped.status, 'stopped');
    assert.equal(of('turnFailed').length, 0);
  });

  test('a failed compaction is kept as a failed marker and the conversation goes on', async () => {
    const session = await open();
    await control('config', { tokenMultiplier: 400 });
    await control('faults', { faults: [{ kind: 'null-compaction' }] });
    await session.send('x '.repeat(500));
    const marker = of('item').map((event) => event.item).find((item) => item.kind === 'compaction');
    assert.ok(marker && marker.kind === 'compaction' && marker.failed);
    assert.equal(of('turnFailed').length, 0);
  });

  test('a prompt too long for the window is compacted on demand, then the turn is retried', async () => {
    const session = await open();
    settings.mode = 'manual';
    // 6,000 tokens, then a window of 8,000 that the pending 2,400 overflow; the summary's room (what the
    // window leaves beside the 6,000) fits, as the API requires of prompt + max_tokens.
    await control('config', { tokenMultiplier: 4 });
    await session.send('a '.repeat(3000));
    await control('config', { contextWindow: 8000 });
    const pending = 'b '.repeat(1200);
    await session.send(pending);
    const all = await requests();
    assert.equal(all.filter((request) => request.body.compaction !== undefined && request.status === 200).length, 1, 'compacted on demand once');
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
    const retried = all.at(-1)!;
    assert.equal(retried.body.messages[0]!.content[0]!.type, 'compaction');
    assert.equal(retried.body.messages.at(-1)!.content[0]!.text, pending, 'the pending request follows the summary verbatim');
  });

  test('reopening a conversation rebuilds exactly the request the live session would send', async () => {
    const session = await open();
    await control('config', { tokenMultiplier: 200 });
    await session.send('First: ' + 'alpha '.repeat(60));
    await session.send('Second: ' + 'beta '.repeat(60));
    await session.send('Third: ' + 'gamma '.repeat(60));
    await session.send('Fourth');
    const reopened = await open(session.id);
    assert.deepEqual(await reopened.previewRequest(), await session.previewRequest());
  });

  test('a 401 is reported once, not retried, and the user message stays stored', async () => {
    const session = await open();
    await control('faults', { faults: [{ kind: 'http', status: 401, errorType: 'authentication_error', message: 'invalid x-api-key' }] });
    await session.send('Secret plans');
    const failed = of('turnFailed')[0]!.error;
    assert.equal(failed.kind === 'error' && failed.errorKind, 'auth');
    assert.equal(of('retrying').length, 0);
    assert.ok((await recordsOf(session)).some((record) => record.kind === 'user'));
  });

  test('a failed message is kept once: stored for Retry, not also handed back as a draft; the next message goes alone', async () => {
    const session = await open();
    await control('faults', { faults: [{ kind: 'http', status: 400, errorType: 'invalid_request_error', message: 'bad' }] });
    await session.send('First try');
    const failed = of('turnFailed')[0]!;
    assert.equal(failed.draft, undefined, 'the prompt box gets no second copy of a stored message');
    await session.send('Second message');
    const last = (await requests()).at(-1)!;
    const userTexts = last.body.messages.filter((m) => m.role === 'user').flatMap((m) => m.content.filter((b) => b.type === 'text').map((b) => String(b['text'])));
    assert.deepEqual(userTexts, ['First try', 'Second message'], 'the failed message reaches the model once, and not glued to the next one');
  });

  test('editing the last message replaces it and its answer, in the request and after reopening', async () => {
    const session = await open();
    await session.send('Keep this');
    await session.send('Typo questoin');
    await session.editLast('Fixed question');
    const started = of('turnStarted').at(-1)!;
    assert.ok(started.replacesId, 'the view is told which message to replace');
    const last = (await requests()).at(-1)!;
    assert.deepEqual(
      last.body.messages.map((message) => (message.role === 'user' ? message.content.at(-1)!.text : message.role)),
      ['Keep this', 'assistant', 'Fixed question'],
    );
    const reopened = await open(session.id);
    assert.deepEqual(reopened.items().items.filter((item) => item.kind === 'user').map((item) => item.kind === 'user' && item.text), ['Keep this', 'Fixed question']);
    assert.deepEqual(await reopened.previewRequest(), await session.previewRequest());
  });

  test('attachments travel before the typed text; the view shows only their summaries', async () => {
    const session = await open();
    await session.send('Explain it', { blocks: [{ type: 'text', text: '<file path="a.ts">const a = 1;</file>' }], summaries: [{ kind: 'file', label: 'a.ts', tokens: 6 }] });
    const user = of('turnStarted')[0]!.user!;
    assert.equal(user.kind === 'user' && user.text, 'Explain it');
    assert.deepEqual(user.kind === 'user' && user.attachments, [{ kind: 'file', label: 'a.ts', tokens: 6 }]);
    const [request] = await requests();
    assert.equal(request!.body.messages[0]!.content[0]!.text, '<file path="a.ts">const a = 1;</file>');
  });

  test('pinned files are re-sent fresh right after a compaction, with the current request', async () => {
    const session = await open();
    pinned = [{ type: 'text', text: '<file path="pinned.ts">version 2</file>' }];
    await session.send('One');
    await session.compactNow();
    await session.send('Two');
    const next = (await requests()).at(-1)!;
    assert.deepEqual(next.body.messages.at(-1)!.content.map((block) => block.text), ['<file path="pinned.ts">version 2</file>', 'Two']);
    const reopened = await open(session.id);
    assert.deepEqual(await reopened.previewRequest(), await session.previewRequest());
  });

  test('a model without compaction gets a warning, goes on, and is trimmed instead of dead-ending', async () => {
    settings.model = 'claude-test-no-compaction';
    const session = await open();
    await session.send('Hello');
    assert.ok(of('notice').some((event) => /does not support compaction/.test(event.message)));
    assert.equal(of('turnFinished').length, 1);
    await control('config', { tokenMultiplier: 100 });
    for (let turn = 0; turn < 8; turn++) {
      await session.send(`Turn ${turn}: ` + 'word '.repeat(60));
    }
    const trims = of('item').filter((event) => event.item.kind === 'compaction' && event.item.compactionKind === 'trim');
    assert.ok(trims.length >= 1, 'the oldest turns were trimmed');
    assert.equal(of('turnFailed').length, 0);
    const last = (await requests()).at(-1)!;
    assert.equal(last.betas.length, 0, 'no compaction beta for this model');
    assert.equal(last.body.messages[0]!.role, 'user', 'a trimmed request still opens with a user message');
    const reopened = await open(session.id);
    assert.deepEqual((await reopened.previewRequest()).messages, (await session.previewRequest()).messages);
  });

  test('repeated compaction_unavailable falls back to trimming the oldest turns', async () => {
    const session = await open();
    await control('config', { tokenMultiplier: 100 });
    await session.send('Start ' + 'a '.repeat(100));
    await session.send('More ' + 'b '.repeat(100));
    const unavailable = { kind: 'http', status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable', message: 'Compaction is unavailable' };
    await control('faults', { faults: [unavailable, unavailable] });
    await session.send('Needs room ' + 'c '.repeat(100));
    const trims = of('item').filter((event) => event.item.kind === 'compaction' && event.item.compactionKind === 'trim');
    assert.equal(trims.length, 1);
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
  });

  /** Two turns in pause mode, the second of which compacts and waits; its marker. */
  async function pausedCompaction(): Promise<{ session: ConversationSession; marker: Extract<TimelineItem, { kind: 'compaction' }> }> {
    settings.mode = 'pause';
    const session = await open();
    await control('config', { tokenMultiplier: 300 });
    await session.send('First ' + 'a '.repeat(100));
    await session.send('Second ' + 'b '.repeat(100));
    const marker = of('item').map((event) => event.item).find((item) => item.kind === 'compaction');
    assert.ok(marker && marker.kind === 'compaction' && marker.paused, 'a paused marker');
    return { session, marker };
  }

  test('in pause mode the turn waits after compacting until the user continues', async () => {
    const { session } = await pausedCompaction();
    const before = (await requests()).length;
    await session.continueTurn();
    const all = await requests();
    assert.equal(all.length, before + 1);
    assert.equal(all.at(-1)!.body.messages[0]!.content[0]!.type, 'compaction');
    assert.equal(of('turnFinished').at(-1)!.item.kind, 'assistant');
  });

  /** The meter of the conversation opened afresh, as switching back to it does, once its totals are read. */
  async function reopenedMeter(id: string): Promise<ContextMeter> {
    const from = events.length;
    const reopened = await open(id);
    for (let tries = 0; tries < 200 && !events.slice(from).some((event) => event.type === 'usage'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return reopened.meter();
  }

  test('switching back to a conversation shows the meter it showed: after an on-demand compaction', async () => {
    const session = await open();
    await session.send('One ' + 'a '.repeat(80));
    await session.send('Two ' + 'b '.repeat(80));
    assert.equal(await session.compactNow(), true);
    const live = session.meter();
    assert.ok(live.costUsd > 0 && live.contextTokens > 0);
    assert.deepEqual(await reopenedMeter(session.id), live, 'the same context, totals and cost');
  });

  test('a paused compaction marker counts what was put back, and the meter agrees with it, live and reopened', async () => {
    const { session, marker } = await pausedCompaction();
    assert.ok(marker.tokensAfter !== undefined);
    const live = session.meter();
    assert.equal(live.contextTokens, marker.tokensAfter, 'the meter shows what the marker says is left');
    assert.deepEqual(await reopenedMeter(session.id), live);
    // What the marker says is left is what the next request carries: the summary and the put-back request.
    await session.continueTurn();
    const measured = session.meter().contextTokens;
    assert.ok(Math.abs(marker.tokensAfter - measured) < measured * 0.25, `marker ${marker.tokensAfter} vs measured ${measured}`);
  });

  test('an on-demand compaction marker counts the summary and what stays after it, as the meter does', async () => {
    const session = await open();
    await session.send('One');
    await session.send('Two');
    await session.compactNow();
    const marker = of('item').map((event) => event.item).find((item) => item.kind === 'compaction');
    assert.ok(marker && marker.kind === 'compaction' && marker.tokensAfter !== undefined);
    assert.equal(session.meter().contextTokens, marker.tokensAfter);
  });

  test('a model the Models API marks as unable to compact is sent no compaction beta at all', async () => {
    settings.compactionSupported = false;
    const session = await open();
    await session.send('Hello');
    const [request] = await requests();
    assert.equal(request!.betas.length, 0);
    assert.equal(request!.body.context_management, undefined);
    assert.equal(of('turnFinished').length, 1);
  });
  test('reads the settings once per turn: a change while a turn runs applies from the next turn on', async () => {
    let reads = 0;
    const id = (await store.create()).id;
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => {
        reads++;
        return settings;
      },
      systemPrompt: async () => 'You are a test assistant.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
    });
    let changed = false;
    session.onEvent((event) => {
      if (event.type === 'textDelta' && !changed) {
        changed = true;
        settings = { ...settings, maxTokens: 2048, mode: 'manual' };
      }
    });
    // The first answer pauses, so the turn sends a second request after the change.
    await control('script', { replies: [{ text: 'Part one', stopReason: 'pause_turn' }, { text: 'Part two.' }, { text: 'Next turn.' }] });
    reads = 0;
    await session.send('Go');
    assert.equal(reads, 1, 'one settings read for the whole turn');
    const turn = (await requests()).map((request) => request.body as Recorded['body'] & { max_tokens: number });
    assert.equal(turn.length, 2);
    assert.deepEqual(turn.map((body) => [body.max_tokens, body.context_management !== undefined]), [[1024, true], [1024, true]]);
    await session.send('Again');
    const next = (await requests()).at(-1)!.body as Recorded['body'] & { max_tokens: number };
    assert.equal(next.max_tokens, 2048);
    assert.equal(next.context_management, undefined);
  });
});
