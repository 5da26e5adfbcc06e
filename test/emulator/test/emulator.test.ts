// Contract tests of the emulator's transport, validation, replies, faults, caching, count_tokens, the
// Models API and the control API, driven through the official SDK wherever a client would use it.

import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import Anthropic, { APIError, AuthenticationError, BadRequestError, NotFoundError, OverloadedError } from '@anthropic-ai/sdk';
import type {
  BetaContentBlockParam,
  BetaMessageParam,
  BetaRawMessageStreamEvent,
  MessageCreateParamsNonStreaming,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { EmulatorControl } from '../control';
import { defaultPlan } from '../replies';
import type { EmulatorHandle } from '../server';
import { startEmulator } from '../server';

const MODEL = 'claude-sonnet-5-5';

function user(text: string): BetaMessageParam {
  return { role: 'user', content: text };
}

function params(messages: BetaMessageParam[], extra: Partial<MessageCreateParamsNonStreaming> = {}): MessageCreateParamsNonStreaming {
  return { model: MODEL, max_tokens: 1024, messages, ...extra };
}

/** JSON view without the per-response id and the SDK's non-wire `parsed_output`. */
function wire(message: object): Record<string, unknown> {
  const { id: _id, parsed_output: _parsed, ...rest } = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  return rest;
}

async function postRaw(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function parseSse(text: string): { event: string | null; data: Record<string, unknown> }[] {
  return text
    .split('\n\n')
    .filter((frame) => frame.trim() !== '')
    .map((frame) => {
      const lines = frame.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
      const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}

suite('emulator: messages API contract', () => {
  let emu: EmulatorHandle;
  let client: Anthropic;

  suiteSetup(async () => {
    // Thinking a model does unasked has its own contracts (thinking.test.ts); these read the other blocks exactly.
    emu = await startEmulator({ thinkUnasked: false });
    client = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0 });
  });
  suiteTeardown(() => emu.close());
  setup(() => emu.state.reset());

  test('default reply is deterministic markdown and usage counts chars / 4', async () => {
    const question = 'How do I reverse a list in Python?';
    const first = await client.beta.messages.create(params([user(question)]));
    const second = await client.beta.messages.create(params([user(question)]));
    const block = first.content[0];
    assert.equal(block?.type, 'text');
    const text = block?.type === 'text' ? block.text : '';
    assert.ok(text.startsWith(`You said: "${question}"`), text);
    assert.match(text, /```ts\n[\s\S]*\n```$/);
    assert.deepEqual(second.content, first.content);
    assert.equal(first.stop_reason, 'end_turn');
    assert.equal(first.usage.input_tokens, Math.ceil(question.length / 4));
    assert.equal(first.usage.output_tokens, Math.ceil(text.length / 4));
    assert.equal(first.usage.iterations, null, 'no iterations without a compaction beta');
    assert.equal(first.stop_sequence, null);
    assert.equal(first.stop_details, null);
    assert.match(first.id, /^msg_/);
  });

  test('stream().finalMessage() equals the non-streaming body, and SSE framing is exact', async () => {
    const request = params([user('Compare streaming and non-streaming')], { system: 'Be brief.' });
    const streamed = await client.beta.messages.stream(request).finalMessage();
    const plain = await client.beta.messages.create(request);
    assert.deepEqual(wire(streamed), wire(plain));

    const raw = await postRaw(emu.url, { ...request, stream: true }, { 'x-api-key': 'test-key' });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.match(raw.headers.get('request-id') ?? '', /^req_/);
    const frames = parseSse(raw.text);
    for (const frame of frames) {assert.equal(frame.data['type'], frame.event, 'data.type equals the event name');}
    const names = frames.map((f) => f.event);
    assert.deepEqual(names.slice(0, 3), ['message_start', 'ping', 'content_block_start']);
    assert.deepEqual(names.slice(-3), ['content_block_stop', 'message_delta', 'message_stop']);
    const start = frames[0]?.data['message'] as Record<string, unknown>;
    assert.deepEqual(start['content'], []);
    assert.equal(start['stop_reason'], null);
    const delta = frames[frames.length - 2]?.data as { usage: { output_tokens: number } };
    assert.equal(typeof delta.usage.output_tokens, 'number');
  });

  test('query strings are ignored, betas are split and trimmed, requests are recorded with the key', async () => {
    const res = await postRaw(emu.url + '', params([user('hi')]), { 'x-api-key': 'key-A', 'anthropic-beta': ' files-api-2025-04-14 ,compact-2026-01-12,  pdfs-2024-09-25 ' });
    assert.equal(res.status, 200);
    const viaQuery = await fetch(`${emu.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'x-api-key': 'key-B', 'content-type': 'application/json' },
      body: JSON.stringify(params([user('hi')])),
    });
    assert.equal(viaQuery.status, 200);
    const [a, b] = emu.state.requests;
    assert.deepEqual(a?.betas, ['files-api-2025-04-14', 'compact-2026-01-12', 'pdfs-2024-09-25']);
    assert.equal(a?.apiKey, 'key-A');
    assert.equal(b?.path, '/v1/messages');
    assert.equal(b?.query, 'beta=true');
    assert.equal(b?.apiKey, 'key-B');
    assert.deepEqual(b?.body, params([user('hi')]));
    assert.equal(b?.status, 200);
  });

  test('x-api-key auth: bad keys get 401 authentication_error, and rejected requests are recorded', async () => {
    for (const apiKey of ['sk-bad-123', 'invalid']) {
      const bad = new Anthropic({ apiKey, baseURL: emu.url, maxRetries: 0 });
      await assert.rejects(bad.beta.messages.create(params([user('hi')])), (err: unknown) => {
        assert.ok(err instanceof AuthenticationError);
        assert.equal(err.type, 'authentication_error');
        assert.equal(err.apiMessage, 'invalid x-api-key');
        return true;
      });
    }
    const missing = await postRaw(emu.url, params([user('hi')]));
    assert.equal(missing.status, 401);
    assert.equal(emu.state.requests.length, 3);
    assert.deepEqual(emu.state.requests.map((r) => r.status), [401, 401, 401]);
  });

  test('request shape validation follows the real API', async () => {
    const bad = async (body: unknown, message: RegExp): Promise<void> => {
      const res = await postRaw(emu.url, body, { 'x-api-key': 'k' });
      assert.equal(res.status, 400, res.text);
      const json = JSON.parse(res.text) as { type: string; error: { type: string; message: string }; request_id: string };
      assert.equal(json.type, 'error');
      assert.equal(json.error.type, 'invalid_request_error');
      assert.match(json.request_id, /^req_/);
      assert.match(json.error.message, message);
    };
    await bad({ model: MODEL, messages: [user('x')] }, /^max_tokens: Field required$/);
    await bad({ model: MODEL, max_tokens: 0, messages: [user('x')] }, /greater than or equal to 1/);
    await bad({ max_tokens: 10, messages: [user('x')] }, /^model: Field required$/);
    await bad({ model: MODEL, max_tokens: 10, messages: [] }, /at least one message/);
    await bad({ model: MODEL, max_tokens: 10, messages: [{ role: 'robot', content: 'x' }] }, /role/);
    await bad({ model: MODEL, max_tokens: 10, messages: [user('x')], temperatur: 1 }, /^temperatur: Extra inputs are not permitted$/);
    await bad({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] }, /not one of the expected content block types/);
    await bad(
      { model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', parsed_output: null }] }] },
      /^messages\.0\.content\.0\.text\.parsed_output: Extra inputs are not permitted$/,
    );
    await bad({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: [] }, { role: 'assistant', content: 'ok' }] }, /non-empty content/);
    const cc = { type: 'ephemeral' };
    await bad(
      {
        model: MODEL,
        max_tokens: 10,
        system: [{ type: 'text', text: 's', cache_control: cc }],
        messages: [{ role: 'user', content: ['a', 'b', 'c', 'd'].map((text) => ({ type: 'text', text, cache_control: cc })) }],
      },
      /A maximum of 4 blocks with cache_control may be provided. Found 5./,
    );
    await bad('{"model": ', /error parsing the body/);

    // Valid shapes the real API accepts: assistant first, citations: null, cache_control with ttl.
    const ok = await client.beta.messages.create(
      params([
        { role: 'assistant', content: 'Earlier answer' },
        { role: 'user', content: [{ type: 'text', text: 'Go on', citations: null, cache_control: { type: 'ephemeral', ttl: '1h' } }] },
      ]),
    );
    assert.equal(ok.stop_reason, 'end_turn');
  });

  test('a prompt above the context window is a 400 before any stream event', async () => {
    emu.state.configure({ contextWindow: 100 });
    const longText = 'x'.repeat(404); // 101 tokens
    await assert.rejects(client.beta.messages.create(params([user(longText)])), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.equal(err.apiMessage, 'prompt is too long: 101 tokens > 100 maximum');
      return true;
    });
    const events: string[] = [];
    const stream = client.beta.messages.stream(params([user(longText)]));
    stream.on('streamEvent', (e: BetaRawMessageStreamEvent) => events.push(e.type));
    await assert.rejects(stream.finalMessage(), BadRequestError);
    assert.deepEqual(events, []);
  });

  test('http fault: 529 with retry-after and x-should-retry, consumed once', async () => {
    emu.state.addFaults([{ kind: 'http', status: 529, errorType: 'overloaded_error', retryAfter: 7, shouldRetry: false }]);
    await assert.rejects(client.beta.messages.create(params([user('hi')])), (err: unknown) => {
      assert.ok(err instanceof OverloadedError);
      assert.equal(err.status, 529);
      assert.equal(err.headers?.get('retry-after'), '7');
      assert.equal(err.headers?.get('x-should-retry'), 'false');
      assert.match(err.requestID ?? '', /^req_/);
      return true;
    });
    const next = await client.beta.messages.create(params([user('hi')]));
    assert.equal(next.stop_reason, 'end_turn');
  });

  test('the SDK retries a 529 after retry-after, and obeys x-should-retry: false', async () => {
    const retrying = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 2 });
    emu.state.addFaults([{ kind: 'http', status: 529, errorType: 'overloaded_error', retryAfter: 0.02 }]);
    const ok = await retrying.beta.messages.create(params([user('hi')]));
    assert.equal(ok.stop_reason, 'end_turn');
    assert.equal(emu.state.requests.length, 2);

    emu.state.reset();
    emu.state.addFaults([{ kind: 'http', status: 429, errorType: 'rate_limit_error', retryAfter: 0.02, shouldRetry: false }]);
    await assert.rejects(retrying.beta.messages.create(params([user('hi')])), (err: unknown) => err instanceof APIError && err.status === 429);
    assert.equal(emu.state.requests.length, 1);
  });

  test('drop fault: the stream is cut after N text deltas and the SDK stream rejects', async () => {
    emu.state.addReplies([{ text: 'aabbccddeeff', chunks: 6 }]);
    emu.state.addFaults([{ kind: 'drop', afterDeltas: 2 }]);
    const deltas: string[] = [];
    const stream = client.beta.messages.stream(params([user('hi')]));
    stream.on('text', (delta) => deltas.push(delta));
    await assert.rejects(stream.finalMessage());
    assert.deepEqual(deltas, ['aa', 'bb']);

    emu.state.addFaults([{ kind: 'drop', afterDeltas: 0 }]);
    await assert.rejects(client.beta.messages.stream(params([user('hi')])).finalMessage());
  });

  test('stream-error and malformed faults reject the SDK stream; stall delays then completes', async () => {
    emu.state.addFaults([{ kind: 'stream-error', afterDeltas: 1 }]);
    await assert.rejects(client.beta.messages.stream(params([user('hi')])).finalMessage(), (err: unknown) => {
      assert.ok(err instanceof APIError);
      assert.equal(err.status, undefined);
      assert.equal(err.type, 'overloaded_error');
      return true;
    });
    emu.state.addFaults([{ kind: 'malformed', afterDeltas: 1 }]);
    const quiet = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0, logLevel: 'off' });
    await assert.rejects(quiet.beta.messages.stream(params([user('hi')])).finalMessage(), /Expected property name/);

    emu.state.addFaults([{ kind: 'stall', afterDeltas: 1, ms: 150 }]);
    const started = Date.now();
    const message = await client.beta.messages.stream(params([user('hi')])).finalMessage();
    assert.ok(Date.now() - started >= 140, 'stalled');
    assert.equal(message.stop_reason, 'end_turn');
  });

  test('scripted replies: chunks, stop reasons, output tokens; FIFO then back to the default', async () => {
    emu.state.addReplies([
      { text: 'abcdefghij', chunks: 3, stopReason: 'max_tokens', outputTokens: 77 },
      { text: 'Let me keep going', stopReason: 'pause_turn' },
      { text: 'No.', stopReason: 'refusal' },
    ]);
    const deltas: string[] = [];
    const stream = client.beta.messages.stream(params([user('hi')]));
    stream.on('text', (d) => deltas.push(d));
    const first = await stream.finalMessage();
    assert.deepEqual(deltas, ['abc', 'defg', 'hij']);
    assert.equal(first.stop_reason, 'max_tokens');
    assert.equal(first.usage.output_tokens, 77);
    assert.equal((await client.beta.messages.create(params([user('hi')]))).stop_reason, 'pause_turn');
    const refusal = await client.beta.messages.create(params([user('hi')]));
    assert.equal(refusal.stop_reason, 'refusal');
    assert.equal(refusal.stop_details?.category, null);
    const fallback = await client.beta.messages.create(params([user('hi')]));
    assert.match(JSON.stringify(fallback.content), /You said/);
  });

  test('tool_use script: streamed input JSON, then tool_result pairing is enforced', async () => {
    const tools = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } }];
    emu.state.addReplies([{ text: 'Reading it.', toolUse: [{ id: 'toolu_fixed', name: 'read_file', input: { path: 'src/a.ts', lines: [1, 2] } }] }]);
    const first = await client.beta.messages.stream(params([user('Open a.ts')], { tools })).finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    assert.deepEqual(
      first.content.map((b) => b.type),
      ['text', 'tool_use'],
    );
    const toolUse = first.content[1];
    assert.ok(toolUse?.type === 'tool_use');
    assert.deepEqual(toolUse.input, { path: 'src/a.ts', lines: [1, 2] });
    assert.equal(first.usage.output_tokens, Math.ceil('Reading it.'.length / 4) + Math.ceil(('read_file' + JSON.stringify(toolUse.input)).length / 4));

    const history: BetaMessageParam[] = [user('Open a.ts'), { role: 'assistant', content: first.content as BetaContentBlockParam[] }];
    await assert.rejects(client.beta.messages.create(params([...history, user('never mind')], { tools })), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.match(err.apiMessage ?? '', /^messages\.2: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_fixed/);
      return true;
    });
    await assert.rejects(
      client.beta.messages.create(params([user('x'), { role: 'assistant', content: 'y' }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_nope', content: 'z' }] }], { tools })),
      /unexpected `tool_use_id` found in `tool_result` blocks: toolu_nope/,
    );
    const answered = await client.beta.messages.create(
      params([...history, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_fixed', content: 'export const a = 1;' }] }], { tools }),
    );
    assert.equal(answered.stop_reason, 'end_turn');
  });

  test('max_tokens truncates the reply; stop_sequences stop it', async () => {
    const cut = await client.beta.messages.create(params([user('Tell me something')], { max_tokens: 5 }));
    assert.equal(cut.stop_reason, 'max_tokens');
    assert.equal(cut.usage.output_tokens, 5);
    assert.equal(cut.content[0]?.type === 'text' && cut.content[0].text, 'You said: "Tell me s', '5 tokens = 20 chars');

    const stopped = await client.beta.messages.create(params([user('Tell me something')], { stop_sequences: ['deterministic'] }));
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, 'deterministic');
    assert.ok(stopped.content[0]?.type === 'text' && stopped.content[0].text.endsWith('This is a '));
  });

  test('"long" streams ~150 paced deltas and stops when the client aborts; "markdown-demo" is rich markdown', async () => {
    const plan = defaultPlan('Please write a LONG answer', null, 0);
    assert.equal(plan.pieces.length, 150);
    assert.equal(plan.delayMs, 30);
    assert.equal(defaultPlan('a longer question', null, 0).pieces.length < 150, true, 'whole word only');

    // The pacing itself is the plan's delay (asserted above); timing the client's events would measure the
    // machine's load instead, since TCP may deliver several paced events in one chunk.
    const stream = client.beta.messages.stream(params([user('write something long')]));
    let received = 0;
    await new Promise<void>((resolve) => {
      stream.on('text', () => {
        received += 1;
        if (received === 4) {
          stream.abort();
          resolve();
        }
      });
    });
    await stream.done().catch(() => undefined);
    assert.ok(stream.aborted, 'the client aborted the stream');
    assert.ok(received < plan.pieces.length, `stopped after ${received} of ${plan.pieces.length} deltas`);

    const demo = await client.beta.messages.create(params([user('show me the markdown-demo')]));
    const text = demo.content[0]?.type === 'text' ? demo.content[0].text : '';
    const expected = ['# Markdown demo', '- first item', '| --- | --- |', '```ts', '```python', '`inline code`', '](https://'];
    for (const part of expected) {assert.ok(text.includes(part), part);}
  });

  test('prompt caching: breakpoint prefixes are written, then read; top-level cache_control marks the last block', async () => {
    // Small prefixes keep the arithmetic readable; the model's real minimum has its own contract test.
    emu.state.configure({ minCacheableTokens: 0 });
    const system = [{ type: 'text' as const, text: 'S'.repeat(4000), cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }];
    const q = 'Q'.repeat(40);
    const first = await client.beta.messages.create(params([user(q)], { system }));
    assert.equal(first.usage.cache_creation_input_tokens, 1000);
    assert.equal(first.usage.cache_creation?.ephemeral_1h_input_tokens, 1000);
    assert.equal(first.usage.cache_read_input_tokens, 0);
    assert.equal(first.usage.input_tokens, 10);
    const second = await client.beta.messages.create(params([user(q)], { system }));
    assert.equal(second.usage.cache_read_input_tokens, 1000);
    assert.equal(second.usage.cache_creation_input_tokens, 0);
    assert.equal(second.usage.input_tokens, 10);

    emu.state.reset();
    emu.state.configure({ minCacheableTokens: 0 });
    const auto = { cache_control: { type: 'ephemeral' as const } };
    const turn1 = await client.beta.messages.create(params([user(q)], auto));
    assert.equal(turn1.usage.cache_creation_input_tokens, 10);
    const reply = turn1.content as BetaContentBlockParam[];
    const replyTokens = Math.ceil((reply[0]?.type === 'text' ? reply[0].text.length : 0) / 4);
    const turn2 = await client.beta.messages.create(params([user(q), { role: 'assistant', content: reply }, user('R'.repeat(8))], auto));
    assert.equal(turn2.usage.cache_read_input_tokens, 10);
    assert.equal(turn2.usage.cache_creation_input_tokens, replyTokens + 2);
    assert.equal(turn2.usage.input_tokens, 0);

    emu.state.configure({ minCacheableTokens: 1024 });
    const tooSmall = await client.beta.messages.create(params([user('tiny')], auto));
    assert.equal(tooSmall.usage.cache_creation_input_tokens, 0);
  });

  test('count_tokens counts the prompt like create does', async () => {
    const request = { model: MODEL, system: 'You are helpful.', messages: [user('Count me, please.')] };
    const counted = await client.beta.messages.countTokens(request);
    const created = await client.beta.messages.create({ ...request, max_tokens: 100 });
    assert.equal(counted.input_tokens, created.usage.input_tokens);
    assert.equal(counted.context_management, null);
    const recorded = emu.state.requests[0];
    assert.equal(recorded?.path, '/v1/messages/count_tokens');
    assert.ok(recorded?.betas.includes('token-counting-2024-11-01'));
  });

  test('Models API: capabilities, max_input_tokens = contextWindow, haiku without summarize, 404 for unknown ids', async () => {
    emu.state.configure({ contextWindow: 123_000 });
    // The on-demand capability is read with its beta header (reference §1.6).
    const sonnet = await client.beta.models.retrieve(MODEL, { betas: ['compact-2026-09-04'] });
    assert.equal(sonnet.id, MODEL);
    assert.equal(sonnet.display_name, 'Claude Sonnet 5.5');
    assert.equal(sonnet.max_input_tokens, 123_000);
    assert.ok((sonnet.max_tokens ?? 0) > 0);
    assert.equal(sonnet.capabilities?.context_management.compact_20260112?.supported, true);
    assert.equal(sonnet.capabilities?.compaction?.summarize.supported, true);
    const haiku = await client.beta.models.retrieve('claude-haiku-5-5', { betas: ['compact-2026-09-04'] });
    assert.equal(haiku.capabilities?.compaction?.summarize.supported, false);
    const noCompaction = await client.beta.models.retrieve('claude-test-no-compaction');
    assert.equal(noCompaction.capabilities?.context_management.compact_20260112?.supported, false);
    await assert.rejects(client.beta.models.retrieve('claude-unknown-9'), NotFoundError);
    const ids: string[] = [];
    for await (const model of client.beta.models.list({ limit: 3 })) {ids.push(model.id);}
    assert.ok(ids.length >= 8 && ids.includes(MODEL) && ids.includes('claude-haiku-5-5'), ids.join());
  });

  test('control API over HTTP: config, faults, script, requests, reset, validation', async () => {
    const control = new EmulatorControl(emu.url);
    const config = await control.configure({ tokenMultiplier: 3 });
    assert.equal(config.tokenMultiplier, 3);
    assert.equal(config.charsPerToken, 4);
    assert.deepEqual(await control.addReplies([{ text: 'scripted over http' }]), [{ text: 'scripted over http' }]);
    assert.equal((await control.addFaults([{ kind: 'http', status: 500, errorType: 'api_error' }])).length, 1);

    await assert.rejects(client.beta.messages.create(params([user('abcd')])), (err: unknown) => err instanceof APIError && err.status === 500);
    const reply = await client.beta.messages.create(params([user('abcd')]));
    assert.equal(reply.content[0]?.type === 'text' && reply.content[0].text, 'scripted over http');
    assert.equal(reply.usage.input_tokens, 3, '1 token x multiplier 3');

    const requests = await control.requests();
    assert.deepEqual(requests.map((r) => r.status), [500, 200]);
    assert.equal(requests[0]?.apiKey, 'test-key');
    assert.deepEqual(requests[0]?.body, params([user('abcd')]));

    await assert.rejects(control.addFaults([{ kind: 'explode' } as unknown as never]), /unknown fault kind/);
    await assert.rejects(control.configure({ bogus: 1 } as unknown as never), /unknown config key/);
    await control.reset();
    assert.deepEqual(await control.requests(), []);
    assert.equal((await control.configure({})).tokenMultiplier, 1);
    const health = await fetch(`${emu.url}/healthz`);
    assert.equal(await health.text(), 'ok');
  });
});

suite('emulator: process lifecycle', () => {
  test('idleShutdownMs closes a forgotten emulator', async () => {
    const emu = await startEmulator({ idleShutdownMs: 50 });
    assert.equal((await fetch(`${emu.url}/healthz`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await assert.rejects(fetch(`${emu.url}/healthz`));
  });

  test('cli prints one line with the URL and stops on SIGTERM', async () => {
    // The idle shutdown is a backstop: a failing test must not leave the process behind.
    const args = [path.join(__dirname, '../cli.js'), '--port', '0', '--token-multiplier', '2', '--idle-shutdown-ms', '10000'];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /^Marathon emulator listening on (http:\/\/127\.0\.0\.1:\d+)\n$/.exec(stdout);
          if (match?.[1]) {resolve(match[1]);}
        });
        void exit.then((code) => reject(new Error(`exited early with ${code}`)));
      });
      const client = new Anthropic({ apiKey: 'test-key', baseURL: url, maxRetries: 0 });
      const reply = await client.beta.messages.create(params([user('abcd')]));
      assert.equal(reply.usage.input_tokens, 2);
      child.kill('SIGTERM');
      assert.equal(await exit, 0);
      assert.equal(stdout.split('\n').filter(Boolean).length, 1);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {child.kill('SIGKILL');}
    }
  });
});
