// Contract tests of the emulator's compaction (reference §6 golden tests): threshold and on-demand
// compaction through the official SDK, JSON vs SSE equality, replay validation and the SDK error classes.

import * as assert from 'node:assert/strict';
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import type {
  BetaCompactionBlock,
  BetaContentBlock,
  BetaContentBlockParam,
  BetaMessage,
  BetaMessageParam,
  BetaRawMessageStreamEvent,
  MessageCreateParamsNonStreaming,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import {
  CompactionBlockAmbiguousError,
  CompactionBlockMisplacedError,
  CompactionContentMismatchError,
  CompactionIncompleteTurnError,
  CompactionNothingToSummarizeError,
  CompactionSignatureInvalidError,
  CompactionToolChangesMismatchError,
  CompactionUnavailableError,
} from '@anthropic-ai/sdk/resources/messages';
import type { EmulatorHandle } from '../server';
import { startEmulator } from '../server';

const MODEL = 'claude-sonnet-5-5';
const THRESHOLD = ['compact-2026-01-12'];
const ON_DEMAND = ['compact-2026-09-04'];
const MULTIPLIER = 100;

type Params = MessageCreateParamsNonStreaming;

function user(text: string): BetaMessageParam {
  return { role: 'user', content: text };
}

/** Reusing response content as request content is what a client does (reference §2.2). */
function assistant(content: BetaContentBlock[] | BetaContentBlockParam[]): BetaMessageParam {
  return { role: 'assistant', content: content as BetaContentBlockParam[] };
}

function wire(message: object): Record<string, unknown> {
  const { id: _id, parsed_output: _parsed, ...rest } = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  return rest;
}

function compactionEdit(extra: { pause_after_compaction?: boolean; instructions?: string } = {}): Params['context_management'] {
  return { edits: [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50_000 }, ...extra }] };
}

/** 504 + 3 + 3 tokens, x100 = 51,000: just over the 50,000 minimum trigger. */
const BIG_HISTORY: BetaMessageParam[] = [
  user('A'.repeat(2000) + ' first question'),
  { role: 'assistant', content: 'Answer one.' },
  user('What next?'),
];

function textOf(message: BetaMessage): string {
  return message.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
}

suite('emulator: compaction contract', () => {
  let emu: EmulatorHandle;
  let client: Anthropic;

  const threshold = (extra: Partial<Params> = {}, edit: Parameters<typeof compactionEdit>[0] = {}): Params => ({
    model: MODEL,
    max_tokens: 2048,
    messages: BIG_HISTORY,
    context_management: compactionEdit(edit),
    betas: THRESHOLD,
    ...extra,
  });
  const onDemand = (messages: BetaMessageParam[], extra: Partial<Params> = {}): Params => ({
    model: MODEL,
    max_tokens: 4096,
    messages,
    compaction: { type: 'summarize' },
    betas: ON_DEMAND,
    ...extra,
  });

  /** Streams `request`, returning the final message, the raw events and how often on('compaction') fired. */
  async function streamed(request: Params): Promise<{ message: BetaMessage; events: BetaRawMessageStreamEvent[]; compactionEvents: string[] }> {
    const events: BetaRawMessageStreamEvent[] = [];
    const compactionEvents: string[] = [];
    const stream = client.beta.messages.stream(request);
    stream.on('streamEvent', (e) => events.push(e));
    stream.on('compaction', (content) => compactionEvents.push(content));
    return { message: await stream.finalMessage(), events, compactionEvents };
  }

  async function signedBlock(): Promise<BetaCompactionBlock> {
    const res = await client.beta.messages.create(onDemand([user('Plan the refactor'), { role: 'assistant', content: 'Step one: tests.' }]));
    const block = res.content[0];
    assert.ok(block?.type === 'compaction');
    return block;
  }

  suiteSetup(async () => {
    // Thinking a model does unasked has its own contracts (thinking.test.ts); these read the other blocks exactly.
    emu = await startEmulator({ thinkUnasked: false });
    client = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0 });
  });
  suiteTeardown(() => emu.close());
  setup(() => {
    emu.state.reset();
    emu.state.configure({ tokenMultiplier: MULTIPLIER });
  });

  test('threshold: the block comes first, then the reply; iterations and top-level usage add up', async () => {
    const res = await client.beta.messages.create(threshold());
    const [block, reply] = res.content;
    assert.ok(block?.type === 'compaction');
    assert.deepEqual(Object.keys(block).sort(), ['content', 'type'], 'threshold blocks carry no signature or encrypted_content');
    assert.match(block.content ?? '', /^Summary of the conversation \(3 messages\): the user's latest request was "What next\?"/);
    assert.equal(reply?.type, 'text');
    assert.equal(res.stop_reason, 'end_turn');
    assert.deepEqual(res.context_management, { applied_edits: [] });

    const [compaction, message] = res.usage.iterations ?? [];
    assert.equal(compaction?.type, 'compaction');
    assert.ok(compaction && compaction.input_tokens > 51_000, 'the summarization reads the whole prompt plus its own');
    assert.equal(compaction?.output_tokens, Math.ceil((block.content ?? '').length / 4));
    assert.ok(message?.type === 'message');
    assert.equal(message.model, MODEL);
    assert.equal(message.input_tokens, Math.ceil((block.content ?? '').length / 4) * MULTIPLIER, 'the reply reads only the summary');
    assert.equal(res.usage.input_tokens, message.input_tokens, 'top-level excludes the compaction entry');
    assert.equal(res.usage.output_tokens, message.output_tokens);
    assert.ok(message.input_tokens < 50_000 / 2, 'far below the trigger after compaction');
  });

  test('golden: the streamed threshold compaction equals the JSON body; on("compaction") fires once', async () => {
    const { message, events, compactionEvents } = await streamed(threshold());
    const json = await client.beta.messages.create(threshold());
    assert.deepEqual(wire(message), wire(json));
    const block = message.content[0];
    assert.ok(block?.type === 'compaction');
    assert.deepEqual(compactionEvents, [block.content]);
    const start = events.find((e) => e.type === 'content_block_start');
    assert.deepEqual(start?.type === 'content_block_start' && start.content_block, { type: 'compaction', content: null });
    const compactionDeltas = events.filter((e) => e.type === 'content_block_delta' && e.delta.type === 'compaction_delta');
    assert.equal(compactionDeltas.length, 1, 'exactly one compaction_delta');
  });

  test('replaying finalMessage().content passes strict validation; count_tokens applies the block', async () => {
    const { message } = await streamed(threshold());
    const next: BetaMessageParam[] = [...BIG_HISTORY, assistant(message.content), user('Thanks')];
    const res = await client.beta.messages.create(threshold({ messages: next }));
    assert.deepEqual(res.usage.iterations?.map((i) => i.type), ['message'], 'the block is applied, no new compaction');
    const counted = await client.beta.messages.countTokens({ model: MODEL, messages: next, context_management: compactionEdit(), betas: THRESHOLD });
    assert.equal(counted.input_tokens, res.usage.input_tokens);
    assert.ok((counted.context_management?.original_input_tokens ?? 0) > 51_000);
    assert.ok(counted.input_tokens < 50_000);
  });

  test('pause_after_compaction: block only, stop_reason compaction, 0/0 usage; the continuation needs no user turn', async () => {
    emu.state.addReplies([{ text: 'Scripted continuation.' }]);
    const paused = await client.beta.messages.create(threshold({}, { pause_after_compaction: true }));
    assert.equal(paused.stop_reason, 'compaction');
    assert.deepEqual(paused.content.map((b) => b.type), ['compaction']);
    assert.equal(paused.usage.input_tokens, 0);
    assert.equal(paused.usage.output_tokens, 0);
    assert.deepEqual(paused.usage.iterations?.map((i) => i.type), ['compaction']);
    assert.equal(emu.state.replies.length, 1, 'a paused compaction samples nothing');

    const { message: streamedPaused } = await streamed(threshold({}, { pause_after_compaction: true }));
    assert.deepEqual(wire(streamedPaused), wire(paused));

    const continued = await client.beta.messages.create(threshold({ messages: [...BIG_HISTORY, assistant(paused.content)] }));
    assert.equal(textOf(continued), 'Scripted continuation.');
    assert.deepEqual(continued.usage.iterations?.map((i) => i.type), ['message']);
    const unscripted = await client.beta.messages.create(threshold({ messages: [...BIG_HISTORY, assistant(paused.content)] }));
    assert.match(textOf(unscripted), /^Picking up where we left off\. Summary of the conversation/);
  });

  test('null-compaction fault: a failed block, no compaction event, generation from the full prompt', async () => {
    emu.state.addFaults([{ kind: 'null-compaction' }]);
    const { message, compactionEvents } = await streamed(threshold());
    assert.deepEqual(message.content[0], { type: 'compaction', content: null });
    assert.equal(message.content[1]?.type, 'text');
    assert.deepEqual(compactionEvents, []);
    const [compaction, sampling] = message.usage.iterations ?? [];
    assert.equal(compaction?.type, 'compaction');
    assert.equal(sampling?.input_tokens, 51_000, 'the un-compacted prompt');

    // The null block is a no-op on replay; the still-large prompt compacts now.
    const again = await client.beta.messages.create(threshold({ messages: [...BIG_HISTORY, assistant(message.content), user('Again')] }));
    const block = again.content[0];
    assert.ok(block?.type === 'compaction' && typeof block.content === 'string');
  });

  test('trigger: default 150,000; below the trigger nothing happens', async () => {
    const res = await client.beta.messages.create(threshold({ context_management: { edits: [{ type: 'compact_20260112' }] } }));
    assert.deepEqual(res.usage.iterations?.map((i) => i.type), ['message']);
    assert.equal(res.usage.input_tokens, 51_000);
  });

  test('on demand: only the signed block, stop_reason compaction, 0/0; streamed identically; no compaction event', async () => {
    const tools = [{ name: 'grep', description: 'Search', input_schema: { type: 'object' as const } }];
    const request = onDemand([user('Plan the refactor'), { role: 'assistant', content: 'Step one: tests.' }], { tools, system: 'Be careful.' });
    const res = await client.beta.messages.create(request);
    assert.equal(res.stop_reason, 'compaction');
    assert.equal(res.content.length, 1);
    const block = res.content[0];
    assert.ok(block?.type === 'compaction');
    assert.match(block.content ?? '', /^Summary of the conversation \(2 messages\)/);
    assert.match(block.signature ?? '', /^EuYB[A-Za-z0-9+/]{64}$/);
    assert.deepEqual(block.tool_changes, []);
    assert.equal(res.usage.input_tokens, 0);
    assert.equal(res.usage.output_tokens, 0);
    const iterations = res.usage.iterations ?? [];
    assert.deepEqual(iterations.map((i) => i.type), ['compaction']);
    assert.equal(iterations[0]?.output_tokens, Math.ceil((block.content ?? '').length / 4));

    const { message, events, compactionEvents } = await streamed(request);
    assert.deepEqual(wire(message), wire(res), 'same block, signature, iterations and stop_reason');
    assert.deepEqual(compactionEvents, []);
    assert.equal(events.filter((e) => e.type === 'content_block_delta').length, 0, 'the block arrives whole');
    const start = events.find((e) => e.type === 'content_block_start');
    assert.deepEqual(start?.type === 'content_block_start' && start.content_block, block);
  });

  test('on demand round trip: the block first (own message or first block of the first message), re-compaction', async () => {
    const block = await signedBlock();
    const next = await client.beta.messages.create({ model: MODEL, max_tokens: 1024, messages: [assistant([block]), user('Continue')], betas: ON_DEMAND });
    assert.match(textOf(next), /^You said: "Continue"/);
    assert.equal(next.usage.input_tokens, (Math.ceil((block.content ?? '').length / 4) + 2) * MULTIPLIER);
    const inUserTurn = await client.beta.messages.create({
      model: MODEL,
      max_tokens: 1024,
      messages: [{ role: 'user', content: [block, { type: 'text', text: 'Continue' }] }],
      betas: ON_DEMAND,
    });
    assert.equal(inUserTurn.stop_reason, 'end_turn');
    const again = await client.beta.messages.create(onDemand([assistant([block]), user('More'), { role: 'assistant', content: 'Done.' }]));
    const second = again.content[0];
    assert.ok(second?.type === 'compaction');
    assert.match(second.content ?? '', /\(3 messages\)/);
    assert.notEqual(second.signature, block.signature);
  });

  test('on demand replay errors map to the SDK error classes', async () => {
    const block = await signedBlock();
    const send = (messages: BetaMessageParam[], betas = ON_DEMAND, extra: Partial<Params> = {}): Promise<BetaMessage> =>
      client.beta.messages.create({ model: MODEL, max_tokens: 1024, messages, betas, ...extra });
    const tamper = (patch: Partial<BetaCompactionBlock>): BetaContentBlockParam => ({ ...block, ...patch });
    const signature = block.signature ?? '';
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);

    await assert.rejects(send([user('hi'), assistant([block]), user('x')]), (err: unknown) => {
      assert.ok(err instanceof CompactionBlockMisplacedError);
      assert.equal(err.errorCode, 'compaction_block_misplaced');
      return true;
    });
    await assert.rejects(send([assistant([block]), user('a'), assistant([block]), user('b')]), CompactionBlockAmbiguousError);
    await assert.rejects(send([assistant([tamper({ signature: flipped })]), user('x')]), CompactionSignatureInvalidError);
    await assert.rejects(send([assistant([tamper({ content: `${block.content ?? ''} (edited)` })]), user('x')]), CompactionContentMismatchError);
    const addition = { type: 'tool_addition', tool: { type: 'tool_reference', tool_name: 'grep' } };
    await assert.rejects(
      send([assistant([tamper({ tool_changes: [addition] as unknown as BetaCompactionBlock['tool_changes'] })]), user('x')]),
      CompactionToolChangesMismatchError,
    );
    const { tool_changes: _dropped, ...withoutToolChanges } = block;
    await assert.rejects(send([assistant([withoutToolChanges]), user('x')]), CompactionToolChangesMismatchError);
    await assert.rejects(send([assistant([block]), user('x')], THRESHOLD), (err: unknown) => {
      assert.ok(err instanceof BadRequestError);
      assert.match(err.apiMessage ?? '', /^messages\.0\.content\.0: .*not one of the expected content block types/);
      return true;
    });
    await assert.rejects(
      send([assistant([block]), user('x')], [...ON_DEMAND, ...THRESHOLD], { context_management: compactionEdit() }),
      /can't run on a request that carries a signed compaction block/,
    );
  });

  test('on demand request validation: incomplete turn, nothing to summarize, incompatible parameters', async () => {
    const toolTurn: BetaMessageParam[] = [user('x'), { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 't', input: {} }] }];
    await assert.rejects(client.beta.messages.create(onDemand(toolTurn)), CompactionIncompleteTurnError);
    await assert.rejects(client.beta.messages.create(onDemand([])), CompactionNothingToSummarizeError);
    await assert.rejects(
      client.beta.messages.create(onDemand([assistant([{ type: 'compaction', content: null }])])),
      CompactionNothingToSummarizeError,
    );
    const conflicts: Partial<Params>[] = [
      { context_management: compactionEdit(), betas: [...ON_DEMAND, ...THRESHOLD] },
      { stop_sequences: ['END'] },
      { tool_choice: { type: 'any' }, tools: [{ name: 't', input_schema: { type: 'object' } }] },
    ];
    for (const extra of conflicts) {
      await assert.rejects(client.beta.messages.create(onDemand([user('x')], extra)), (err: unknown) => {
        assert.ok(err instanceof BadRequestError);
        assert.equal(err.errorCode, null, 'parameter errors carry no error_code');
        assert.match(err.apiMessage ?? '', /^compaction: cannot be combined with/);
        return true;
      });
    }
    await assert.rejects(client.beta.messages.create(onDemand([user('x')], { betas: [] })), /requires anthropic-beta: compact-2026-09-04/);
    await assert.rejects(client.beta.messages.create(onDemand([user('x')], { model: 'claude-haiku-5-5' })), /not supported for model claude-haiku-5-5/);
    await assert.rejects(
      client.beta.messages.create(onDemand([user('x')], { compaction: { type: 'summarize', instructions: 'i'.repeat(16_385) } })),
      /at most 16384 characters/,
    );
  });

  test('replayed blocks must be exact: extra keys, empty content, missing beta', async () => {
    const { message } = await streamed(threshold());
    const block = message.content[0] as BetaCompactionBlock;
    const send = (blockParam: object, betas = THRESHOLD): Promise<BetaMessage> =>
      client.beta.messages.create(threshold({ messages: [user('hi'), assistant([blockParam as BetaContentBlockParam]), user('x')], betas }));
    for (const key of ['encrypted_content', 'index', 'text', 'citations']) {
      await assert.rejects(send({ ...block, [key]: null }), (err: unknown) => {
        assert.ok(err instanceof BadRequestError);
        assert.equal(err.apiMessage, `messages.1.content.0.compaction.${key}: Extra inputs are not permitted`);
        return true;
      });
    }
    await assert.rejects(send({ ...block, content: '' }), /^.*messages\.1\.content\.0\.compaction\.content: content can't be empty/);
    await assert.rejects(
      client.beta.messages.create({ model: MODEL, max_tokens: 100, messages: [user('hi'), assistant([block]), user('x')] }),
      /not one of the expected content block types/,
    );
    emu.state.configure({ allowEncryptedContent: true });
    assert.equal((await send({ ...block, encrypted_content: null })).stop_reason, 'end_turn');
  });

  test('threshold edit validation: beta, minimum trigger, extra keys, unsupported model', async () => {
    const reject = (request: Params, message: RegExp): Promise<void> => assert.rejects(client.beta.messages.create(request), message);
    await reject(threshold({ betas: [] }), /compact_20260112 requires the anthropic-beta header compact-2026-01-12/);
    await reject(
      threshold({ context_management: { edits: [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: 49_999 } }] } }),
      /trigger\.value: Input should be greater than or equal to 50000/,
    );
    await reject(
      threshold({ context_management: { edits: [{ type: 'compact_20260112', keep: 3 } as unknown as { type: 'compact_20260112' }] } }),
      /context_management\.edits\.0\.keep: Extra inputs are not permitted/,
    );
    await reject(threshold({ model: 'claude-test-no-compaction' }), /compact-2026-01-12 is not supported for model claude-test-no-compaction/);
  });

  test('on-demand failures: 200 with content [] and the stop reason, streamed alike, never a compaction event', async () => {
    const history = [user('Summarize me'), { role: 'assistant' as const, content: 'Sure.' }];
    emu.state.addFaults([{ kind: 'on-demand-fail', stopReason: 'tool_use' }]);
    const failed = await client.beta.messages.create(onDemand(history));
    assert.deepEqual(failed.content, []);
    assert.equal(failed.stop_reason, 'tool_use');
    assert.deepEqual(failed.usage.iterations?.map((i) => i.type), ['compaction']);

    emu.state.addFaults([{ kind: 'on-demand-fail', stopReason: 'refusal' }]);
    const { message, compactionEvents } = await streamed(onDemand(history));
    assert.equal(message.stop_reason, 'refusal');
    assert.deepEqual(message.content, []);
    assert.deepEqual(compactionEvents, []);

    const cut = await client.beta.messages.create(onDemand(history, { max_tokens: 10 }));
    assert.equal(cut.stop_reason, 'max_tokens', 'a summary longer than max_tokens is cut off');
    assert.deepEqual(cut.content, []);
  });

  test('529 compaction_unavailable maps to CompactionUnavailableError', async () => {
    emu.state.addFaults([{ kind: 'http', status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable' }]);
    await assert.rejects(client.beta.messages.create(threshold()), (err: unknown) => {
      assert.ok(err instanceof CompactionUnavailableError);
      assert.equal(err.errorCode, 'compaction_unavailable');
      return true;
    });
  });

  test('caching across a compaction: the summarization reads the cached prefix, the reply only the system prefix', async () => {
    const system = [{ type: 'text' as const, text: 'S'.repeat(400), cache_control: { type: 'ephemeral' as const } }];
    const auto = { cache_control: { type: 'ephemeral' as const } };
    const warm = await client.beta.messages.create({ model: MODEL, max_tokens: 100, system, messages: BIG_HISTORY, ...auto });
    assert.equal(warm.usage.cache_creation_input_tokens, 61_000);

    const res = await client.beta.messages.create(threshold({ system, ...auto }));
    const [compaction, message] = res.usage.iterations ?? [];
    assert.equal(compaction?.cache_read_input_tokens, 61_000);
    assert.equal(message?.cache_read_input_tokens, 10_000, 'only the system prompt survives a compaction');
    const block = res.content[0];
    const summaryTokens = Math.ceil((block?.type === 'compaction' ? (block.content ?? '') : '').length / 4) * MULTIPLIER;
    assert.equal(message?.cache_creation_input_tokens, summaryTokens, 'the summary is the new cached prefix');
    assert.equal(message?.input_tokens, 0);
  });
});
