// Contract tests of the emulator's real-API rules and stream-shape switches, through the official SDK:
// what the API refuses (whitespace text, input + max_tokens over the window, undeclared threshold blocks,
// unknown betas, small cache prefixes) and what it can send (slow and failed summaries, the rarer stop
// reasons, proxies' compaction shapes), plus the Models API's table of models.

import * as assert from 'node:assert/strict';
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import type {
  BetaContentBlock,
  BetaContentBlockParam,
  BetaMessage,
  BetaMessageParam,
  BetaRawMessageStreamEvent,
  MessageCreateParamsNonStreaming,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { EmulatorHandle } from '../server';
import { startEmulator } from '../server';

const MODEL = 'claude-sonnet-5-5';
const THRESHOLD_BETA = 'compact-2026-01-12';
const ON_DEMAND_BETA = 'compact-2026-09-04';
const MULTIPLIER = 100;

type Params = MessageCreateParamsNonStreaming;

function user(text: string): BetaMessageParam {
  return { role: 'user', content: text };
}

function assistant(content: BetaContentBlock[] | BetaContentBlockParam[] | string): BetaMessageParam {
  return { role: 'assistant', content: content as BetaContentBlockParam[] };
}

/** 504 + 3 + 3 tokens, x100 = 51,000: just over the 50,000 minimum trigger. */
const BIG_HISTORY: BetaMessageParam[] = [user('A'.repeat(2000) + ' first question'), assistant('Answer one.'), user('What next?')];

function thresholdParams(pause = false, extra: Partial<Params> = {}): Params {
  return {
    model: MODEL,
    max_tokens: 2048,
    messages: BIG_HISTORY,
    context_management: { edits: [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50_000 }, pause_after_compaction: pause }] },
    betas: [THRESHOLD_BETA],
    ...extra,
  };
}

/** A 400 whose API message is exactly `message`. */
function refusedWith(message: string | RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof BadRequestError, String(error));
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the SDK types the body as Object
    const apiMessage = (error.error as { error?: { message?: string } } | undefined)?.error?.message ?? '';
    if (typeof message === 'string') {assert.equal(apiMessage, message);}
    else {assert.match(apiMessage, message);}
    return true;
  };
}

interface RawEvent {
  event: string;
  data: Record<string, unknown>;
}

suite('emulator: real-API fidelity', () => {
  let emu: EmulatorHandle;
  let client: Anthropic;

  suiteSetup(async () => {
    // Thinking a model does unasked has its own contracts (thinking.test.ts); these read the other blocks exactly.
    emu = await startEmulator({ thinkUnasked: false });
    client = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0 });
  });
  suiteTeardown(() => emu.close());
  setup(() => emu.state.reset());

  async function streamed(request: Params): Promise<{ message: BetaMessage; events: BetaRawMessageStreamEvent[] }> {
    const events: BetaRawMessageStreamEvent[] = [];
    const stream = client.beta.messages.stream(request);
    stream.on('streamEvent', (event) => events.push(event));
    return { message: await stream.finalMessage(), events };
  }

  /** The SSE frames as the server wrote them, pings included (the SDK drops those). */
  async function rawStream(request: Params): Promise<RawEvent[]> {
    const { betas, ...body } = request;
    const response = await fetch(`${emu.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01', 'anthropic-beta': (betas ?? []).join(',') },
      body: JSON.stringify({ ...body, stream: true }),
    });
    const text = await response.text();
    return text
      .split('\n\n')
      .filter((frame) => frame.trim() !== '')
      .map((frame) => {
        const lines = frame.split('\n');
        return {
          event: lines.find((line) => line.startsWith('event: '))?.slice(7) ?? '',
          data: JSON.parse(lines.find((line) => line.startsWith('data: '))?.slice(6) ?? '{}') as Record<string, unknown>,
        };
      });
  }

  // ------------------------------------------------------------------ what the API refuses

  test('whitespace-only and empty text blocks are refused with the API messages, in any role', async () => {
    const base = { model: MODEL, max_tokens: 256 };
    const whitespace = 'messages: text content blocks must contain non-whitespace text';
    const empty = 'messages: text content blocks must be non-empty';
    await assert.rejects(
      client.beta.messages.create({ ...base, messages: [user('Hi'), assistant([{ type: 'text', text: '\n\n' }, { type: 'text', text: 'Hello.' }]), user('Go on')] }),
      refusedWith(whitespace),
    );
    await assert.rejects(client.beta.messages.create({ ...base, messages: [user('  \n\t ')] }), refusedWith(whitespace));
    await assert.rejects(
      client.beta.messages.create({ ...base, messages: [user('Hi'), assistant([{ type: 'text', text: '' }]), user('Go on')] }),
      refusedWith(empty),
    );
    const fine = await client.beta.messages.create({ ...base, messages: [user('Hi'), assistant([{ type: 'text', text: ' Hello. ' }]), user('Go on')] });
    assert.equal(fine.stop_reason, 'end_turn', 'text with surrounding whitespace is fine');
  });

  test('the emulator sends whitespace-only and empty text blocks when scripted, and refuses them on replay', async () => {
    emu.state.addReplies([{ textBlocks: ['\n\n', ''], text: 'Done.', toolUse: [{ id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } }] }]);
    const tools = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } }];
    const { message, events } = await streamed({ model: MODEL, max_tokens: 256, tools, messages: [user('Read a.ts')] });
    assert.deepEqual(
      message.content.map((block) => (block.type === 'text' ? JSON.stringify(block.text) : block.type)),
      ['"\\n\\n"', '""', '"Done."', 'tool_use'],
    );
    const starts = events.filter((event) => event.type === 'content_block_start').length;
    assert.equal(starts, 4, 'each block streams with its own start');
    const replay: BetaMessageParam[] = [
      user('Read a.ts'),
      assistant(message.content),
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'export {}' }] },
    ];
    await assert.rejects(client.beta.messages.create({ model: MODEL, max_tokens: 256, tools, messages: replay }), BadRequestError);
  });

  test('input + max_tokens over the window is refused with the API message (maxTokensInWindow)', async () => {
    emu.state.configure({ contextWindow: 2000, maxTokensInWindow: true });
    const messages = [user('x'.repeat(4000))]; // 1,000 tokens
    await assert.rejects(
      client.beta.messages.create({ model: MODEL, max_tokens: 1500, messages }),
      refusedWith('input length and `max_tokens` exceed context limit: 1000 + 1500 > 2000, decrease input length or `max_tokens` and try again'),
    );
    const fits = await client.beta.messages.create({ model: MODEL, max_tokens: 1000, messages });
    assert.equal(fits.usage.input_tokens, 1000);
    // The same limit holds for an on-demand compaction request, whose max_tokens caps the summary.
    await assert.rejects(
      client.beta.messages.create({ model: MODEL, max_tokens: 4096, messages: [...messages, assistant('Ok.')], compaction: { type: 'summarize' }, betas: [ON_DEMAND_BETA] }),
      refusedWith(/^input length and `max_tokens` exceed context limit: 1001 \+ 4096 > 2000/),
    );
    await assert.rejects(client.beta.messages.create({ model: MODEL, max_tokens: 10, messages: [user('x'.repeat(8004))] }), refusedWith(/^prompt is too long: 2001 tokens > 2000 maximum/));
  });

  test('an unsigned (threshold) block needs the threshold beta, even under the on-demand beta', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER, strictCompactionBetas: true });
    const paused = await client.beta.messages.create(thresholdParams(true));
    const history: BetaMessageParam[] = [...BIG_HISTORY, assistant(paused.content), assistant('Picking up.'), user('Compact, please')];
    const onDemand = (betas: string[]): Params => ({ model: MODEL, max_tokens: 4096, messages: history, compaction: { type: 'summarize' }, betas });
    await assert.rejects(client.beta.messages.create(onDemand([ON_DEMAND_BETA])), refusedWith(/compaction block has no signature.*requires the anthropic-beta header compact-2026-01-12$/));
    const both = await client.beta.messages.create(onDemand([THRESHOLD_BETA, ON_DEMAND_BETA]));
    assert.equal(both.stop_reason, 'compaction');
    const signed = both.content[0];
    assert.ok(signed?.type === 'compaction' && typeof signed.signature === 'string');
    // The signed block alone needs only its own beta.
    const next = await client.beta.messages.create({ model: MODEL, max_tokens: 256, messages: [assistant(both.content), user('Thanks')], betas: [ON_DEMAND_BETA] });
    assert.equal(next.stop_reason, 'end_turn');
  });

  test('unknown anthropic-beta values are refused with the API message; every SDK-named beta is accepted', async () => {
    await assert.rejects(
      client.beta.messages.create({ model: MODEL, max_tokens: 64, messages: [user('Hi')], betas: ['compact-2026-01-12', 'compaction-2026-01-12', 'made-up-1'] }),
      refusedWith('Unexpected value(s) `compaction-2026-01-12`, `made-up-1` for the `anthropic-beta` header. Please consult our documentation at docs.claude.com or try again without the header.'),
    );
    await assert.rejects(client.beta.models.retrieve(MODEL, { betas: ['made-up-1'] }), BadRequestError);
    const ok = await client.beta.messages.create({
      model: MODEL,
      max_tokens: 64,
      messages: [user('Hi')],
      betas: ['context-management-2025-06-27', 'thinking-binding-controls-2026-08-01', 'model-context-window-exceeded-2025-08-26', 'files-api-2025-04-14'],
    });
    assert.equal(ok.stop_reason, 'end_turn');
  });

  test('a cacheable prefix under the model minimum is not cached (1,024 on Sonnet 5.5, 4,096 on Haiku 5.5)', async () => {
    const system = (tokens: number) => [{ type: 'text' as const, text: 'S'.repeat(tokens * 4), cache_control: { type: 'ephemeral' as const } }];
    const ask = (model: string, tokens: number) => client.beta.messages.create({ model, max_tokens: 64, system: system(tokens), messages: [user('Hi')] });
    assert.equal((await ask(MODEL, 1000)).usage.cache_creation_input_tokens, 0, '1,000 < 1,024: nothing written');
    assert.equal((await ask(MODEL, 1000)).usage.cache_read_input_tokens, 0, 'nor read');
    assert.equal((await ask(MODEL, 1100)).usage.cache_creation_input_tokens, 1100);
    assert.equal((await ask(MODEL, 1100)).usage.cache_read_input_tokens, 1100);
    assert.equal((await ask('claude-haiku-5-5', 3000)).usage.cache_creation_input_tokens, 0, '3,000 < 4,096 on Haiku');
    assert.equal((await ask('claude-haiku-5-5', 4100)).usage.cache_creation_input_tokens, 4100);
    emu.state.configure({ minCacheableTokens: 0 });
    assert.equal((await ask('claude-haiku-4-5', 10)).usage.cache_creation_input_tokens, 10, 'a test may lift the minimum explicitly');
  });

  // ------------------------------------------------------------------ what the API can send

  test('a slow summary: only pings between the compaction block start and its delta; the SDK sees nothing there', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER, summaryDelayMs: 350 });
    const raw = await rawStream(thresholdParams(true));
    const start = raw.findIndex((frame) => frame.event === 'content_block_start');
    const delta = raw.findIndex((frame) => frame.event === 'content_block_delta');
    assert.ok(start >= 0 && delta > start + 1, raw.map((frame) => frame.event).join());
    assert.ok(raw.slice(start + 1, delta).every((frame) => frame.event === 'ping'), 'only pings while summarizing');
    const { message, events } = await streamed(thresholdParams(true));
    const types = events.map((event) => (event.type === 'content_block_delta' ? event.delta.type : event.type));
    assert.deepEqual(types.slice(1, 3), ['content_block_start', 'compaction_delta'], 'pings never reach the client');
    assert.equal(message.stop_reason, 'compaction');
  });

  test('a failed summary can pause: the null block alone, stop_reason compaction (fault null-compaction + pause)', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER });
    emu.state.addFaults([{ kind: 'null-compaction', pause: true }]);
    const { message } = await streamed(thresholdParams(true));
    assert.deepEqual(message.content, [{ type: 'compaction', content: null }]);
    assert.equal(message.stop_reason, 'compaction');
    assert.deepEqual(message.usage.iterations?.map((i) => i.type), ['compaction']);
    // Without `pause` the failed summary lets generation go on, as before.
    emu.state.addFaults([{ kind: 'null-compaction' }]);
    const goesOn = await client.beta.messages.create(thresholdParams(true));
    assert.deepEqual(goesOn.content.map((block) => block.type), ['compaction', 'text']);
  });

  test('scripted stop reasons: model_context_window_exceeded and stop_sequence, streamed like the JSON body', async () => {
    emu.state.addReplies([
      { text: 'Cut by the window', stopReason: 'model_context_window_exceeded' },
      { text: 'Cut by the window', stopReason: 'model_context_window_exceeded' },
      { text: 'Up to the stop', stopReason: 'stop_sequence', stopSequence: '###' },
    ]);
    const json = await client.beta.messages.create({ model: MODEL, max_tokens: 64, messages: [user('Hi')] });
    const { message } = await streamed({ model: MODEL, max_tokens: 64, messages: [user('Hi')] });
    assert.equal(json.stop_reason, 'model_context_window_exceeded');
    assert.equal(message.stop_reason, 'model_context_window_exceeded');
    assert.deepEqual(message.content, json.content);
    const stopped = await client.beta.messages.create({ model: MODEL, max_tokens: 64, messages: [user('Hi')] });
    assert.equal(stopped.stop_reason, 'stop_sequence');
    assert.equal(stopped.stop_sequence, '###');
  });

  // ------------------------------------------------------------------ stream shapes of other servers

  test('shape: a compaction start with content "" instead of null; the block ends as the delta says', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER, shapes: { compactionStartEmpty: true } });
    const { message, events } = await streamed(thresholdParams(true));
    const start = events.find((event) => event.type === 'content_block_start');
    assert.deepEqual(start?.type === 'content_block_start' && start.content_block, { type: 'compaction', content: '' });
    const block = message.content[0];
    assert.ok(block?.type === 'compaction' && typeof block.content === 'string' && block.content.startsWith('Summary of the conversation'));
    const json = await client.beta.messages.create(thresholdParams(true));
    assert.deepEqual(message.content, json.content);
  });

  test('shape: the summary split over several compaction_delta events; the SDK keeps only the last piece', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER, shapes: { summaryDeltas: 3 } });
    const json = await client.beta.messages.create(thresholdParams(true));
    const summary = json.content[0]?.type === 'compaction' ? json.content[0].content : null;
    assert.ok(summary);
    const { message, events } = await streamed(thresholdParams(true));
    const pieces = events.flatMap((event) => (event.type === 'content_block_delta' && event.delta.type === 'compaction_delta' ? [event.delta.content ?? ''] : []));
    assert.equal(pieces.length, 3);
    assert.equal(pieces.join(''), summary, 'the pieces make the summary');
    const accumulated = message.content[0];
    assert.ok(accumulated?.type === 'compaction');
    assert.equal(accumulated.content, pieces[2], 'BetaMessageStream assigns each compaction_delta (reference §3.4)');
  });

  test('shape: encrypted_content on the block or in the delta reaches the final block, and replaying it is accepted', async () => {
    for (const place of ['block', 'delta'] as const) {
      emu.state.reset();
      emu.state.configure({ tokenMultiplier: MULTIPLIER, shapes: { encryptedContent: place } });
      const { message, events } = await streamed(thresholdParams(true));
      const start = events.find((event) => event.type === 'content_block_start');
      const startBlock = start?.type === 'content_block_start' ? (start.content_block as unknown as Record<string, unknown>) : {};
      assert.equal('encrypted_content' in startBlock, place === 'block', place);
      const block = message.content[0];
      assert.ok(block?.type === 'compaction' && typeof block.encrypted_content === 'string' && block.encrypted_content.length > 0, place);
      const json = await client.beta.messages.create(thresholdParams(true));
      assert.deepEqual(message.content, json.content, place);
      const next = await client.beta.messages.create(thresholdParams(false, { messages: [...BIG_HISTORY, assistant(message.content)] }));
      assert.equal(next.stop_reason, 'end_turn', place);
    }
    // Without the shape the emulator still refuses an encrypted_content it never sent.
    emu.state.reset();
    emu.state.configure({ tokenMultiplier: MULTIPLIER });
    await assert.rejects(
      client.beta.messages.create(thresholdParams(false, { messages: [...BIG_HISTORY, assistant([{ type: 'compaction', content: 'S', encrypted_content: 'x' }])] })),
      refusedWith(/compaction\.encrypted_content: Extra inputs are not permitted/),
    );
  });

  test('shape: a compaction block that is not the first block of the message', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER, shapes: { textBeforeCompaction: 'Let me condense our conversation first.' } });
    const { message } = await streamed(thresholdParams(true));
    assert.deepEqual(message.content.map((block) => block.type), ['text', 'compaction']);
    assert.equal(message.stop_reason, 'compaction');
    const continued = await client.beta.messages.create(thresholdParams(false, { messages: [...BIG_HISTORY, assistant(message.content)] }));
    assert.deepEqual(continued.usage.iterations?.map((i) => i.type), ['message'], 'the block applies wherever it stands');
    const notPaused = await client.beta.messages.create(thresholdParams(false));
    assert.deepEqual(notPaused.content.map((block) => block.type), ['text', 'compaction', 'text']);
  });

  test('shape: on-demand blocks without tool_changes still verify on replay', async () => {
    emu.state.configure({ shapes: { omitToolChanges: true } });
    const history: BetaMessageParam[] = [user('Plan the refactor'), assistant('Step one: tests.'), user('And then?')];
    const { message } = await streamed({ model: MODEL, max_tokens: 4096, messages: history, compaction: { type: 'summarize' }, betas: [ON_DEMAND_BETA] });
    const block = message.content[0];
    assert.ok(block?.type === 'compaction');
    assert.deepEqual(Object.keys(block).sort(), ['content', 'signature', 'type'], 'no tool_changes key');
    const next = await client.beta.messages.create({ model: MODEL, max_tokens: 256, messages: [assistant(message.content), user('Thanks')], betas: [ON_DEMAND_BETA] });
    assert.equal(next.stop_reason, 'end_turn');
    const tampered = { ...block, tool_changes: [] };
    await assert.rejects(
      client.beta.messages.create({ model: MODEL, max_tokens: 256, messages: [assistant([tampered]), user('Thanks')], betas: [ON_DEMAND_BETA] }),
      BadRequestError,
    );
  });

  // ------------------------------------------------------------------ Models API

  test('Models API: every model of the reference, compaction capabilities with and without the on-demand beta', async () => {
    const threshold = [
      'claude-fable-5-1', 'claude-mythos-5-1', 'claude-fable-5', 'claude-mythos-5', 'claude-mythos-preview', 'claude-opus-5-5', 'claude-opus-5',
      'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-sonnet-5-5', 'claude-sonnet-5', 'claude-sonnet-4-6', 'claude-haiku-5-5',
    ];
    const listed: string[] = [];
    for await (const model of client.beta.models.list({ limit: 5 })) {listed.push(model.id);}
    for (const id of threshold) {
      assert.ok(listed.includes(id), `${id} is listed`);
      const plain = await client.beta.models.retrieve(id);
      assert.equal(plain.capabilities?.context_management.compact_20260112?.supported, true, id);
      assert.equal(plain.capabilities?.compaction, null, `${id}: the on-demand capability needs its beta header`);
      const withBeta = await client.beta.models.retrieve(id, { betas: [ON_DEMAND_BETA] });
      assert.equal(withBeta.capabilities?.compaction?.summarize.supported, id !== 'claude-haiku-5-5', id);
    }
    for (const id of ['claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-5']) {
      const info = await client.beta.models.retrieve(id, { betas: [ON_DEMAND_BETA] });
      assert.equal(info.capabilities?.context_management.compact_20260112?.supported, false, id);
      assert.equal(info.capabilities?.compaction?.summarize.supported, false, id);
      await assert.rejects(
        client.beta.messages.create({ model: id, max_tokens: 64, messages: [user('Hi')], betas: [THRESHOLD_BETA] }),
        refusedWith(/is not supported for model/),
      );
    }
  });
});
