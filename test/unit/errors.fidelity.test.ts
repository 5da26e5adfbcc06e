// Classification of what the real API sends, through the official SDK against the emulator's faults:
// the SDK's retry rules (x-should-retry, 408, 409, retry-after), and the context-limit 400 that
// names the prompt, `max_tokens` and the window.
import * as assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { classifyError, type ClassifiedError } from '../../src/core/errors';
import { DEFAULT_RETRY, retryDelayMs } from '../../src/core/retry';
import type { Fault } from '../emulator/server';
import { startEmulator, type EmulatorHandle } from '../emulator/server';

suite('Error classification of real API answers', () => {
  let emu: EmulatorHandle;
  let client: Anthropic;

  suiteSetup(async () => {
    emu = await startEmulator();
    client = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0 });
  });
  suiteTeardown(() => emu.close());
  setup(() => emu.state.reset());

  async function failWith(fault: Fault | null, body: Partial<Anthropic.Beta.Messages.MessageCreateParamsNonStreaming> = {}): Promise<ClassifiedError> {
    if (fault) {emu.state.addFaults([fault]);}
    try {
      await client.beta.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }], ...body });
    } catch (error) {
      return classifyError(error);
    }
    throw new Error('the request succeeded');
  }

  test('408 and 409 are retried, as the SDK retries them', async () => {
    const timeout = await failWith({ kind: 'http', status: 408, errorType: 'timeout_error', message: 'Request timed out' });
    assert.deepEqual([timeout.kind, timeout.retryable], ['connection', true]);
    const conflict = await failWith({ kind: 'http', status: 409, errorType: 'api_error', message: 'Conflict' });
    assert.equal(conflict.retryable, true);
  });

  test('x-should-retry decides when the server sends it', async () => {
    const no = await failWith({ kind: 'http', status: 529, errorType: 'overloaded_error', shouldRetry: false });
    assert.deepEqual([no.kind, no.retryable], ['overloaded', false]);
    const noCompaction = await failWith({ kind: 'http', status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable', shouldRetry: false });
    assert.deepEqual([noCompaction.kind, noCompaction.retryable], ['compaction', false]);
    const yes = await failWith({ kind: 'http', status: 400, errorType: 'invalid_request_error', message: 'Try again', shouldRetry: true });
    assert.equal(yes.retryable, true);
    const plain = await failWith({ kind: 'http', status: 400, errorType: 'invalid_request_error', message: 'Bad' });
    assert.equal(plain.retryable, false);
  });

  test('retry-after is honoured beyond 30 s; zero or out-of-range values fall back to the backoff', async () => {
    const long = await failWith({ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 45 });
    assert.equal(long.retryAfterSeconds, 45);
    assert.equal(retryDelayMs(long, 0, DEFAULT_RETRY), 45_000, 'not capped at 30 s');
    const zero = await failWith({ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 0 });
    assert.equal(zero.retryAfterSeconds, undefined);
    assert.equal(retryDelayMs(zero, 2, DEFAULT_RETRY), 4000, 'the backoff');
    const huge = await failWith({ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 2 ** 31 });
    assert.equal(huge.retryAfterSeconds, undefined, 'more than one timer can hold: the default backoff, as the SDK does');
    assert.equal(retryDelayMs({}, 10, DEFAULT_RETRY), DEFAULT_RETRY.maxDelayMs, 'the own backoff stays capped');
  });

  test('"input length and `max_tokens` exceed context limit" is a context-window error with its figures', async () => {
    emu.state.configure({ contextWindow: 1000, maxTokensInWindow: true });
    const error = await failWith(null, { max_tokens: 2000 });
    assert.equal(error.kind, 'contextWindow');
    assert.deepEqual(error.contextLimit, { inputTokens: 1, maxTokens: 2000, limit: 1000 });
    const tooLong = await failWith(null, { messages: [{ role: 'user', content: 'x'.repeat(8000) }], max_tokens: 10 });
    assert.equal(tooLong.kind, 'contextWindow');
    assert.equal(tooLong.contextLimit, undefined);
  });
});
