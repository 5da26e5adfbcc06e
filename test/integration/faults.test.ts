// Faults in the real extension host: each fault the emulator can inject, what the user is shown, that
// the turn recovers by itself or offers Retry (and Retry works), and that the conversation file holds
// every user message and every finished answer afterwards. Then a seeded soak of 300 turns with faults
// at random. The host runs with MARATHON_RETRY_BASE_MS=50 and MARATHON_IDLE_TIMEOUT_MS=4000.
import * as assert from 'node:assert/strict';
import type { MarathonApi } from '../../src/extension';
import type { TimelineItem } from '../../src/shared/protocol';
import type { Fault, ScriptedReply } from '../emulator/types';
import { between, pick, seededRandom } from '../stress/random';
import { RecordingView, emulator, marathon, messageRequests, setConfig } from './helpers';
import { lossReport, readRecords } from './records';

const IDLE_TIMEOUT_MS = Number(process.env.MARATHON_IDLE_TIMEOUT_MS) || 4000;

interface Outcome {
  fault: string;
  shown: string;
  result: 'recovered by itself' | 'Retry offered, then recovered';
  requests: number;
}

const outcomes: Outcome[] = [];

function lastIndex(messages: ReadonlyArray<{ type: string }>, type: string): number {
  for (let index = messages.length - 1; index >= 0; index--) {
    if (messages[index]!.type === type) {
      return index;
    }
  }
  return -1;
}

suite('Faults in a real extension host', function () {
  this.timeout(60_000);
  let api: MarathonApi;
  let view: RecordingView;
  let conversationId: string;
  let sent: string[];

  suiteSetup(async () => {
    api = await marathon();
  });

  setup(async () => {
    await emulator('reset', {});
    view = new RecordingView(api);
    await api.controller.newConversation();
    conversationId = (await api.controller.activeSession()).id;
    view.clear();
    sent = [];
  });

  teardown(async () => {
    view.dispose();
    await setConfig('compaction.triggerTokens', undefined);
  });

  suiteTeardown(() => {
    if (outcomes.length > 0) {
      console.log(`      faults: ${outcomes.length} tried, ${outcomes.length} survived`);
      for (const outcome of outcomes) {
        console.log(`        ${outcome.fault} → ${outcome.result} (${outcome.requests} requests); shown: ${outcome.shown}`);
      }
    }
  });

  async function send(text: string): Promise<void> {
    sent.push(text);
    await api.controller.send(text);
  }

  const finished = (): TimelineItem[] => view.of('chat/done').map((message) => message.item);
  const notices = (): string[] => view.of('notice/show').map((notice) => notice.message);
  const lastFailure = () => view.of('chat/failed').at(-1)?.error;

  /** The file holds every message sent and every answer the view was told was finished. */
  function assertNothingLost(): void {
    const report = lossReport(api, conversationId, sent, finished());
    assert.deepEqual(report.lost, [], 'records missing from the conversation file');
    assert.equal(report.userMessages, sent.length);
  }

  function lastAnswer(): Extract<TimelineItem, { kind: 'assistant' }> {
    const item = finished().at(-1);
    assert.ok(item && item.kind === 'assistant', 'an answer was finished');
    return item;
  }

  /** A fault the engine must absorb: one notice that it is retrying, then the answer, no error. */
  async function recovers(name: string, faults: Fault[], shown: RegExp): Promise<void> {
    await emulator('faults', { faults });
    await send(`Please answer despite: ${name}`);
    const retrying = notices().find((notice) => shown.test(notice));
    assert.ok(retrying, `a notice matching ${shown}; got ${JSON.stringify(notices())}`);
    assert.equal(lastAnswer().status, 'done');
    assert.equal(view.of('chat/failed').length, 0, 'no error is left in the chat');
    assertNothingLost();
    outcomes.push({ fault: name, shown: retrying, result: 'recovered by itself', requests: (await messageRequests()).length });
  }

  /** A fault after text arrived: the partial answer is kept and marked, an error offers Retry, Retry finishes. */
  async function offersRetry(name: string, faults: Fault[], shown: RegExp): Promise<void> {
    await emulator('faults', { faults });
    await send(`Please answer despite: ${name}`);
    const partial = lastAnswer();
    assert.equal(partial.status, 'interrupted', 'the partial answer is kept, marked interrupted');
    assert.ok(partial.text.length > 0, 'what arrived is kept');
    const failure = lastFailure();
    assert.ok(failure && failure.kind === 'error', 'an error is shown');
    assert.match(failure.message, shown);
    assert.equal(failure.retryable, true, 'the error offers Retry');
    await api.controller.handle({ type: 'chat/retry', requestId: 'test-retry', conversationId: (await api.controller.activeSession()).id });
    assert.equal(lastAnswer().status, 'done', 'Retry answers in full');
    assertNothingLost();
    const { records } = readRecords(api, conversationId);
    assert.ok(records.some((record) => record.kind === 'assistant' && record.status === 'interrupted'), 'the interrupted answer stays in the file');
    outcomes.push({ fault: name, shown: failure.message, result: 'Retry offered, then recovered', requests: (await messageRequests()).length });
  }

  test('429 with retry-after: waits as long as the server asks, then answers', async () => {
    await recovers('429 rate limited, retry-after 1 s', [{ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 1 }], /Rate limited by the API\. Retrying in 1 s/);
    const requests = (await emulator<{ requests: Array<{ path: string; at: number }> }>('requests')).requests.filter((request) => request.path === '/v1/messages');
    assert.ok(requests[1]!.at - requests[0]!.at >= 900, `retry-after was honoured (${requests[1]!.at - requests[0]!.at} ms)`);
  });

  test('529 overloaded is retried', async () => {
    await recovers('529 overloaded', [{ kind: 'http', status: 529, errorType: 'overloaded_error' }], /overloaded right now\. Retrying/);
  });

  test('529 compaction_unavailable is retried', async () => {
    await recovers(
      '529 compaction_unavailable',
      [{ kind: 'http', status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable', message: 'Compaction is temporarily unavailable' }],
      /Compaction is temporarily unavailable on the server\. Retrying/,
    );
  });

  test('500 is retried', async () => {
    await recovers('500 internal server error', [{ kind: 'http', status: 500, errorType: 'api_error' }], /server error \(500\)\. Retrying/);
  });

  test('an error event inside the stream is retried', async () => {
    await recovers('overloaded_error event in the stream', [{ kind: 'stream-error', afterDeltas: 0, errorType: 'overloaded_error' }], /overloaded right now\. Retrying/);
  });

  test('a connection dropped before the first token is retried', async () => {
    await recovers('connection dropped before the first token', [{ kind: 'drop', afterDeltas: 0 }], /connection to the API dropped\. Retrying/);
  });

  test('a connection dropped after the first token keeps the partial answer and offers Retry', async () => {
    await offersRetry('connection dropped after the first token', [{ kind: 'drop', afterDeltas: 2 }], /connection to the API dropped/);
  });

  test('a stream that stalls before the first token is reset after the idle timeout and retried', async function () {
    this.timeout(30_000);
    const started = Date.now();
    await recovers('stream stalls before the first token', [{ kind: 'stall', afterDeltas: 0, ms: IDLE_TIMEOUT_MS + 3000 }], /stalled; the connection was reset\. Retrying/);
    assert.ok(Date.now() - started >= IDLE_TIMEOUT_MS - 100, 'it waited for the idle timeout');
  });

  test('a stream that stalls mid-answer keeps what arrived and offers Retry', async function () {
    this.timeout(30_000);
    await offersRetry('stream stalls mid-answer', [{ kind: 'stall', afterDeltas: 2, ms: IDLE_TIMEOUT_MS + 3000 }], /stalled/);
  });

  test('malformed SSE before the first token is retried', async () => {
    await recovers('malformed SSE before the first token', [{ kind: 'malformed', afterDeltas: 0 }], /malformed response\. Retrying/);
  });

  test('malformed SSE mid-answer keeps what arrived and offers Retry', async () => {
    await offersRetry('malformed SSE mid-answer', [{ kind: 'malformed', afterDeltas: 2 }], /malformed response/);
  });

  test('a slow server that pauses under the idle timeout between tokens is waited for, not cut', async function () {
    this.timeout(30_000);
    const gap = Math.round(IDLE_TIMEOUT_MS * 0.6);
    const reply: ScriptedReply = { text: 'slow one, slow two, slow three', chunks: 3, delayMs: gap };
    await emulator('script', { replies: [reply] });
    const started = Date.now();
    await send('Answer slowly');
    const elapsed = Date.now() - started;
    assert.equal(lastAnswer().status, 'done');
    assert.equal(lastAnswer().text, reply.text);
    assert.ok(elapsed >= gap * 2, `the answer took ${elapsed} ms, longer than the idle timeout in all`);
    assert.equal(notices().filter((notice) => /Retrying/.test(notice)).length, 0, 'no retry');
    assert.equal((await messageRequests()).length, 1);
    assertNothingLost();
    outcomes.push({ fault: `slow server (${gap} ms between tokens, ${elapsed} ms in all)`, shown: 'the answer streaming in', result: 'recovered by itself', requests: 1 });
  });

  test('overload that outlasts the retries ends in an error with Retry, and Retry answers', async () => {
    const overloaded: Fault = { kind: 'http', status: 529, errorType: 'overloaded_error' };
    await emulator('faults', { faults: [overloaded, overloaded, overloaded, overloaded, overloaded] });
    await send('Answer after a long overload');
    assert.equal(notices().filter((notice) => /Retrying/.test(notice)).length, 4, 'four automatic retries');
    const failure = lastFailure();
    assert.ok(failure && failure.kind === 'error' && failure.errorKind === 'overloaded' && failure.retryable, JSON.stringify(failure));
    await api.controller.handle({ type: 'chat/retry', requestId: 'test-retry', conversationId: (await api.controller.activeSession()).id });
    assert.equal(lastAnswer().status, 'done');
    assertNothingLost();
    outcomes.push({ fault: '529 five times in a row', shown: failure.message, result: 'Retry offered, then recovered', requests: (await messageRequests()).length });
  });

  test('a seeded soak of 300 turns with random faults loses no record', async function () {
    this.timeout(600_000);
    const turns = Number(process.env.MARATHON_SOAK_TURNS) || 300;
    const random = seededRandom(Number(process.env.MARATHON_SOAK_SEED) || 300_2026);
    // Compactions happen along the way, so faults also meet compaction requests.
    await setConfig('compaction.triggerTokens', 50_000);
    await emulator('config', { tokenMultiplier: 20 });
    const faultKinds: Array<{ name: string; make: () => Fault[] }> = [
      { name: '429', make: () => [{ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 0 }] },
      { name: '529', make: () => [{ kind: 'http', status: 529, errorType: 'overloaded_error' }] },
      { name: '529 compaction_unavailable', make: () => [{ kind: 'http', status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable' }] },
      { name: '500', make: () => [{ kind: 'http', status: 500, errorType: 'api_error' }] },
      { name: 'stream error', make: () => [{ kind: 'stream-error', afterDeltas: between(random, 0, 3), errorType: pick(random, ['overloaded_error', 'api_error']) }] },
      { name: 'drop', make: () => [{ kind: 'drop', afterDeltas: between(random, 0, 4) }] },
      { name: 'malformed', make: () => [{ kind: 'malformed', afterDeltas: between(random, 0, 4) }] },
      { name: 'null compaction', make: () => [{ kind: 'null-compaction' }] },
      { name: 'overload burst', make: () => Array.from({ length: 5 }, (): Fault => ({ kind: 'http', status: 529, errorType: 'overloaded_error' })) },
    ];
    const figures = { turns: 0, completed: 0, faultsInjected: 0, automaticRetries: 0, retryPresses: 0, interrupted: 0, stalls: 0, compactions: 0, recordsLost: 0 };
    const injected: Record<string, number> = {};
    const started = Date.now();
    for (let turn = 1; turn <= turns; turn++) {
      const before = view.messages.length;
      const roll = random();
      if (roll < 0.45) {
        const kind = pick(random, faultKinds);
        const faults = kind.make();
        injected[kind.name] = (injected[kind.name] ?? 0) + 1;
        figures.faultsInjected += faults.length;
        await emulator('faults', { faults });
      } else if (roll < 0.46 && figures.stalls < 1) {
        // One stall only: each costs the idle timeout, and the stall tests above cover both kinds.
        figures.stalls++;
        figures.faultsInjected++;
        await emulator('faults', { faults: [{ kind: 'stall', afterDeltas: between(random, 0, 2), ms: IDLE_TIMEOUT_MS + 1500 }] });
      }
      await send(`Soak turn ${turn}: ${'please keep this in mind '.repeat(between(random, 1, 30))}`);
      figures.turns++;
      // Like a user: press Retry while the chat offers it.
      for (let press = 0; press < 6; press++) {
        const since = view.messages.slice(before);
        const failed = since.filter((message) => message.type === 'chat/failed').length;
        const done = since.filter((message) => message.type === 'chat/done' && message.item.kind === 'assistant' && message.item.status === 'done').length;
        if (done > 0 && lastIndex(since, 'chat/done') > lastIndex(since, 'chat/failed')) {
          figures.completed++;
          break;
        }
        assert.ok(failed > 0, `turn ${turn}: neither an answer nor an error`);
        const error = since.filter((message) => message.type === 'chat/failed').at(-1)?.error;
        assert.ok(error?.kind === 'error' && error.retryable, `turn ${turn}: the error offers Retry (${JSON.stringify(error)})`);
        figures.retryPresses++;
        await api.controller.handle({ type: 'chat/retry', requestId: 'test-retry', conversationId: (await api.controller.activeSession()).id });
      }
      const since = view.messages.slice(before);
      figures.automaticRetries += since.filter((message) => message.type === 'notice/show' && /Retrying/.test(message.message)).length;
      figures.interrupted += since.filter((message) => message.type === 'chat/done' && message.item.kind === 'assistant' && message.item.status === 'interrupted').length;
      figures.compactions += since.filter((message) => message.type === 'chat/item' && message.item.kind === 'compaction').length;
    }
    const report = lossReport(api, conversationId, sent, finished());
    figures.recordsLost = report.lost.length;
    console.log(`      soak figures: ${JSON.stringify({ ...figures, injected, userRecords: report.userMessages, answerRecords: report.answers, seconds: Math.round((Date.now() - started) / 1000) })}`);
    assert.deepEqual(report.lost, [], 'records lost');
    assert.equal(figures.completed, turns, 'every turn ended in a full answer');
    assert.ok(figures.faultsInjected > turns / 3, `${figures.faultsInjected} faults injected`);
    assert.ok(figures.compactions > 0, 'the soak went through compactions');
  });
});
