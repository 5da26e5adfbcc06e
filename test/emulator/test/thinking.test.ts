// Contract tests of the emulator's thinking, through the official SDK (thinking-and-context-editing.md
// §1-4, §7): per-model types and unasked thinking, display modes, the stream shape, signatures bound to
// their prefix with `error` / `drop_block`, redacted blocks, thinking tokens and every 400 of §3.4.

import * as assert from 'node:assert/strict';
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import type {
  BetaContentBlock,
  BetaContentBlockParam,
  BetaMessage,
  BetaMessageParam,
  BetaRawMessageStreamEvent,
  BetaThinkingBlock,
  MessageCreateParamsNonStreaming,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import type { EmulatorHandle } from '../server';
import { startEmulator } from '../server';

const MODEL = 'claude-sonnet-5-5';
const BINDING = 'thinking-binding-controls-2026-08-01';
const UPDATES = 'thinking-display-updates-2026-08-18';
const SYSTEM = 'You are a careful coding assistant.';

type Params = MessageCreateParamsNonStreaming;

function user(text: string): BetaMessageParam {
  return { role: 'user', content: text };
}

function assistant(content: BetaContentBlock[] | BetaContentBlockParam[]): BetaMessageParam {
  return { role: 'assistant', content: content as BetaContentBlockParam[] };
}

function wire(message: object): Record<string, unknown> {
  const { id: _id, parsed_output: _parsed, ...rest } = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  return rest;
}

/** The API's own message of an SDK error (the SDK's `message` is status + the JSON body). */
function apiMessage(error: BadRequestError): string {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the SDK types the body as Object
  const body = error.error as { error?: { message?: string } } | undefined;
  return body?.error?.message ?? error.message;
}

function thinkingOf(message: BetaMessage): BetaThinkingBlock {
  const block = message.content.find((b) => b.type === 'thinking');
  assert.ok(block?.type === 'thinking', `no thinking block in ${JSON.stringify(message.content)}`);
  return block;
}

suite('emulator: thinking contract', () => {
  let emu: EmulatorHandle;
  let client: Anthropic;

  const params = (messages: BetaMessageParam[], extra: Partial<Params> = {}): Params => ({
    model: MODEL,
    max_tokens: 4096,
    system: SYSTEM,
    messages,
    ...extra,
  });
  const adaptive = (extra: Record<string, unknown> = {}): Params['thinking'] => ({ type: 'adaptive', display: 'summarized', ...extra });

  async function rejected(request: Params, pattern: RegExp): Promise<void> {
    await assert.rejects(client.beta.messages.create(request), (error: unknown) => {
      assert.ok(error instanceof BadRequestError, String(error));
      assert.match(apiMessage(error), pattern);
      return true;
    });
  }

  /** A two-turn conversation with a thinking answer, and the next user turn. */
  async function conversation(extra: Partial<Params> = {}): Promise<BetaMessageParam[]> {
    const first = await client.beta.messages.create(params([user('Explain closures')], { thinking: adaptive(), ...extra }));
    return [user('Explain closures'), assistant(first.content), user('And in Python?')];
  }

  suiteSetup(async () => {
    emu = await startEmulator();
    client = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0 });
  });
  suiteTeardown(() => emu.close());
  setup(() => {
    emu.state.reset();
    emu.state.configure({ thinkUnasked: true });
  });

  test('models API: thinking types and effort levels per model (§1.2)', async () => {
    const sonnet = await client.beta.models.retrieve('claude-sonnet-5-5');
    const types = sonnet.capabilities?.thinking.types;
    assert.equal(types?.adaptive.supported, true);
    assert.equal(types?.between_tools?.supported, true);
    assert.equal(types?.enabled.supported, false);
    assert.equal(types?.disabled?.supported, false);
    const old = await client.beta.models.retrieve('claude-sonnet-4-6');
    assert.equal(old.capabilities?.thinking.types.enabled.supported, true);
    assert.equal(old.capabilities?.effort?.xhigh?.supported, false, 'no xhigh on 4.6');
  });

  test('Sonnet 5.5 thinks unasked, omitted by default; Opus 4.6 does not; thinking tokens are in the usage', async () => {
    const unasked = await client.beta.messages.create(params([user('hello')]));
    const block = unasked.content[0];
    assert.ok(block?.type === 'thinking', 'responses may start with thinking blocks unasked');
    assert.equal(block.thinking, '', 'display defaults to omitted on 5.x');
    assert.ok(block.signature.length > 20);
    const details = unasked.usage.output_tokens_details;
    assert.ok(details && details.thinking_tokens > 0);
    assert.ok(details.thinking_tokens <= unasked.usage.output_tokens, 'output_tokens includes thinking');

    const old = await client.beta.messages.create(params([user('hello')], { model: 'claude-opus-4-6' }));
    assert.ok(old.content.every((b) => b.type !== 'thinking'), 'thinking is off by default on 4.6');
    assert.equal(old.usage.output_tokens_details, null);

    emu.state.configure({ thinkUnasked: false });
    const switchedOff = await client.beta.messages.create(params([user('hello')]));
    assert.ok(switchedOff.content.every((b) => b.type !== 'thinking'), 'the emulator switch turns unasked thinking off');
  });

  test('by default the emulator thinks unasked where the reference table says the model does (§1.2)', async () => {
    const fresh = await startEmulator();
    try {
      const sdk = new Anthropic({ apiKey: 'test-key', baseURL: fresh.url, maxRetries: 0 });
      for (const model of ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-fable-5-1', 'claude-haiku-5-5', 'claude-sonnet-5']) {
        const answer = await sdk.beta.messages.create(params([user('hello')], { model }));
        assert.equal(answer.content[0]?.type, 'thinking', `${model} thinks when thinking is omitted`);
      }
      for (const model of ['claude-opus-4-8', 'claude-sonnet-4-6', 'claude-haiku-4-5']) {
        const answer = await sdk.beta.messages.create(params([user('hello')], { model }));
        assert.ok(answer.content.every((block) => block.type !== 'thinking'), `${model} does not think unasked`);
      }
    } finally {
      await fresh.close();
    }
  });

  test('effort decides how much the model thinks; Opus 5.5 defaults to medium', async () => {
    const at = async (effort: 'low' | 'high', model = MODEL): Promise<number> => {
      const res = await client.beta.messages.create(params([user('Sort a list')], { model, thinking: adaptive(), output_config: { effort } }));
      return res.usage.output_tokens_details?.thinking_tokens ?? 0;
    };
    assert.ok((await at('low')) < (await at('high')));
    const opus = await client.beta.messages.create(params([user('Sort a list')], { model: 'claude-opus-5-5', thinking: adaptive() }));
    const opusHigh = await client.beta.messages.create(params([user('Sort a list')], { model: 'claude-opus-5-5', thinking: adaptive(), output_config: { effort: 'high' } }));
    assert.ok((opus.usage.output_tokens_details?.thinking_tokens ?? 0) < (opusHigh.usage.output_tokens_details?.thinking_tokens ?? 0));
  });

  test('stream: start with thinking:"" and signature:"", thinking_deltas, one signature_delta; equals the JSON body', async () => {
    const request = params([user('Explain closures')], { thinking: adaptive() });
    const events: BetaRawMessageStreamEvent[] = [];
    const thoughts: string[] = [];
    const signatures: string[] = [];
    const stream = client.beta.messages.stream(request);
    stream.on('streamEvent', (e) => events.push(e));
    stream.on('thinking', (delta) => thoughts.push(delta));
    stream.on('signature', (signature) => signatures.push(signature));
    const streamed = await stream.finalMessage();
    const json = await client.beta.messages.create(request);
    assert.deepEqual(wire(streamed), wire(json));
    const start = events.find((e) => e.type === 'content_block_start');
    assert.deepEqual(start?.type === 'content_block_start' ? start.content_block : null, { type: 'thinking', thinking: '', signature: '' });
    const deltas = events.filter((e) => e.type === 'content_block_delta' && e.index === 0).map((e) => (e.type === 'content_block_delta' ? e.delta.type : ''));
    assert.ok(deltas.length >= 2);
    assert.deepEqual(deltas.slice(0, -1).every((t) => t === 'thinking_delta'), true);
    assert.equal(deltas.at(-1), 'signature_delta', 'exactly one signature_delta, last');
    assert.equal(thoughts.join(''), thinkingOf(streamed).thinking);
    assert.deepEqual(signatures, [thinkingOf(streamed).signature]);
    const final = events.find((e) => e.type === 'message_delta');
    assert.ok(final?.type === 'message_delta' && (final.usage.output_tokens_details?.thinking_tokens ?? 0) > 0, 'thinking tokens on the final message_delta');
  });

  test('display omitted streams no thinking_delta; updates needs its beta and puts progress updates before tool calls', async () => {
    const events: BetaRawMessageStreamEvent[] = [];
    const stream = client.beta.messages.stream(params([user('hi')], { thinking: { type: 'adaptive', display: 'omitted' } }));
    stream.on('streamEvent', (e) => events.push(e));
    await stream.finalMessage();
    assert.ok(!events.some((e) => e.type === 'content_block_delta' && e.delta.type === 'thinking_delta'));

    await rejected(params([user('hi')], { thinking: { type: 'adaptive', display: 'updates' } }), /thinking\.adaptive\.display: Input should be 'summarized' or 'omitted'/);
    emu.state.addReplies([{ text: 'Reading it.', toolUse: [{ name: 'read_file', input: { path: 'src/a.ts' } }] }]);
    const res = await client.beta.messages.create({
      ...params([user('read a.ts')], { thinking: { type: 'adaptive', display: 'updates' } }),
      tools: [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } }],
      betas: [UPDATES],
    });
    assert.deepEqual(res.content.map((b) => b.type), ['thinking', 'text', 'thinking', 'tool_use']);
    assert.equal(thinkingOf(res).thinking, '', 'reasoning itself is empty under updates');
    const progress = res.content[2];
    assert.ok(progress?.type === 'thinking' && progress.thinking === 'Using read_file on src/a.ts.');
  });

  test('redacted blocks arrive whole in content_block_start and round-trip; tampered data is refused', async () => {
    emu.state.addReplies([{ text: 'Done.', redactedThinking: true }]);
    const events: BetaRawMessageStreamEvent[] = [];
    const stream = client.beta.messages.stream(params([user('hi')], { thinking: adaptive() }));
    stream.on('streamEvent', (e) => events.push(e));
    const message = await stream.finalMessage();
    const block = message.content[0];
    assert.ok(block?.type === 'redacted_thinking');
    assert.ok(!events.some((e) => e.type === 'content_block_delta' && e.index === 0), 'no delta for a redacted block');
    await client.beta.messages.create(params([user('hi'), assistant(message.content), user('next')], { thinking: adaptive() }));
    const tampered = [{ ...block, data: `${block.data.slice(0, -4)}AAAA` }, ...message.content.slice(1)];
    await rejected(params([user('hi'), assistant(tampered), user('next')], { thinking: adaptive() }), /^messages\.1\.content\.0: Invalid `data` in `redacted_thinking` block/);
  });

  test('max_tokens caps thinking plus text: too small stops after thinking with no text', async () => {
    emu.state.addReplies([{ text: 'x'.repeat(400), thinking: 'y'.repeat(400) }]);
    const res = await client.beta.messages.create(params([user('hi')], { max_tokens: 100, thinking: adaptive() }));
    assert.equal(res.stop_reason, 'max_tokens');
    assert.deepEqual(res.content.map((b) => b.type), ['thinking']);
    assert.equal(res.usage.output_tokens, 100);
  });

  test('the round trip: the answer sent back as received is accepted', async () => {
    const messages = await conversation();
    const res = await client.beta.messages.create(params(messages, { thinking: adaptive() }));
    assert.equal(res.content[0]?.type, 'thinking');
    // Moving cache_control and changing effort or display are not edits (§3.2).
    const moved = messages.map((m, i) => (i === 0 ? { role: m.role, content: [{ type: 'text' as const, text: 'Explain closures', cache_control: { type: 'ephemeral' as const } }] } : m));
    await client.beta.messages.create(params(moved, { thinking: { type: 'adaptive', display: 'omitted' }, output_config: { effort: 'low' } }));
  });

  test('prefix check: a changed system prompt is a 400 with `error`; drop_block drops the block and every later one', async () => {
    const messages = await conversation();
    const second = await client.beta.messages.create(params(messages, { thinking: adaptive() }));
    const longer = [...messages, assistant(second.content), user('And in Rust?')];
    await rejected(
      params(longer, { system: 'A changed system prompt.', thinking: adaptive() }),
      /messages\.1\.content\.0: Invalid `signature` in `thinking` block\. The block is bound to a different conversation\. Remove the block, or set `thinking\.block_binding\.prefix_mismatch_behavior` to "drop_block"\. That setting requires the `thinking-binding-controls-2026-08-01` value/,
    );
    const dropped = await client.beta.messages.create({
      ...params(longer, { system: 'A changed system prompt.', thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'drop_block' } }) }),
      betas: [BINDING],
    });
    assert.deepEqual(dropped.input_transformations, [
      { type: 'thinking_dropped', path: 'messages.1.content.0', reason: 'prefix_binding_mismatch' },
      { type: 'thinking_dropped', path: 'messages.3.content.0', reason: 'prefix_binding_mismatch' },
    ]);
    const intact = await client.beta.messages.create({ ...params(longer, { thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'drop_block' } }) }), betas: [BINDING] });
    assert.deepEqual(intact.input_transformations, [], '[] with the beta when nothing is dropped');
    const withoutBeta = await client.beta.messages.create(params(longer, { thinking: adaptive() }));
    assert.equal(withoutBeta.input_transformations, undefined, 'absent without the beta');
  });

  test('prefix check: dropped blocks are not billed; a removed earlier message invalidates later thinking', async () => {
    const messages = await conversation();
    const full = await client.beta.messages.create({ ...params(messages, { thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'drop_block' } }) }), betas: [BINDING] });
    const edited = [user('Explain closures, briefly'), ...messages.slice(1)];
    const dropped = await client.beta.messages.create({ ...params(edited, { thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'drop_block' } }) }), betas: [BINDING] });
    assert.equal(dropped.input_transformations?.length, 1);
    assert.ok(dropped.usage.input_tokens < full.usage.input_tokens, 'the dropped block contributes no input tokens');
    await rejected(params(edited, { thinking: adaptive() }), /bound to a different conversation/);
  });

  test('prefix check per account and model: legacy accounts only report, models without the check accept, forcePrefixError refuses', async () => {
    const messages = await conversation();
    const changed = (extra: Partial<Params> = {}): Params => params(messages, { system: 'Changed.', thinking: adaptive(), ...extra });
    emu.state.configure({ legacyAccount: true });
    const allowed = await client.beta.messages.create({ ...changed(), betas: [BINDING] });
    assert.deepEqual(allowed.input_transformations, [{ type: 'thinking_mismatch_allowed', path: 'messages.1.content.0', reason: 'prefix_binding_mismatch' }]);
    await rejected({ ...changed({ thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'error' } }) }), betas: [BINDING] }, /bound to a different conversation/);
    emu.state.configure({ legacyAccount: false });
    const sonnet5 = await client.beta.messages.create(params([user('Explain closures')], { model: 'claude-sonnet-5', thinking: adaptive() }));
    await client.beta.messages.create(params([user('Explain closures'), assistant(sonnet5.content), user('next')], { model: 'claude-sonnet-5', system: 'Changed.', thinking: adaptive() }));
    emu.state.configure({ forcePrefixError: true });
    await rejected({ ...changed({ thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'drop_block' } }) }), betas: [BINDING] }, /bound to a different conversation/);
  });

  test('signatures: empty or forged is invalid; edited latest-turn thinking cannot be modified', async () => {
    const messages = await conversation();
    const answer = messages[1]!.content as BetaContentBlockParam[];
    const block = answer[0] as BetaThinkingBlock;
    const withBlock = (replacement: object): BetaMessageParam[] => [messages[0]!, assistant([replacement, ...answer.slice(1)] as BetaContentBlockParam[]), messages[2]!];
    await rejected(params(withBlock({ ...block, signature: '' }), { thinking: adaptive() }), /^messages\.1\.content\.0: Invalid `signature` in `thinking` block$/);
    await rejected(params(withBlock({ ...block, signature: `${block.signature.slice(0, -6)}AAAAAA` }), { thinking: adaptive() }), /Invalid `signature` in `thinking` block$/);
    await rejected(
      params(withBlock({ ...block, thinking: `${block.thinking} (edited)` }), { thinking: adaptive() }),
      /messages\.1\.content\.0: `thinking` or `redacted_thinking` blocks in the latest assistant message cannot be modified/,
    );
    await rejected(params(withBlock({ type: 'thinking', thinking: block.thinking }), { thinking: adaptive() }), /messages\.1\.content\.0\.thinking\.signature: Field required/);
    await rejected(params(withBlock({ type: 'thinking', signature: block.signature }), { thinking: adaptive() }), /messages\.1\.content\.0\.thinking\.thinking: Field required/);
  });

  test('threshold compaction: thinking after the block is bound to it; re-inserted old thinking is refused, stripped it is accepted', async () => {
    const edit: Params['context_management'] = { edits: [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: 50_000 }, pause_after_compaction: true }] };
    emu.state.configure({ tokenMultiplier: 100 });
    const first = await client.beta.messages.create(params([user(`${'A'.repeat(2000)} first`)], { thinking: adaptive() }));
    const history = [user(`${'A'.repeat(2000)} first`), assistant(first.content), user('What next?')];
    const paused = await client.beta.messages.create({ ...params(history, { thinking: adaptive(), context_management: edit }), betas: ['compact-2026-01-12'] });
    assert.equal(paused.stop_reason, 'compaction');
    const reinserted = [assistant(paused.content), user('first'), assistant(first.content), user('What next?')];
    await rejected({ ...params(reinserted, { thinking: adaptive(), context_management: edit }), betas: ['compact-2026-01-12'] }, /messages\.2\.content\.0: Invalid `signature` in `thinking` block\. The block is bound to a different conversation/);
    const stripped = [assistant(paused.content), user('first'), assistant(first.content.filter((b) => b.type !== 'thinking')), user('What next?')];
    const reply = await client.beta.messages.create({ ...params(stripped, { thinking: adaptive(), context_management: edit }), betas: ['compact-2026-01-12'] });
    const next = [...stripped, assistant(reply.content), user('Go on')];
    await client.beta.messages.create({ ...params(next, { thinking: adaptive(), context_management: edit }), betas: ['compact-2026-01-12'] });
  });

  test('on demand: a kept turn right after the summarized messages keeps valid thinking; max_tokens must hold thinking + summary', async () => {
    const messages = await conversation();
    const second = await client.beta.messages.create(params(messages, { thinking: adaptive() }));
    const all = [...messages, assistant(second.content), user('And in Rust?')];
    const summarized = all.slice(0, 2);
    const compacted = await client.beta.messages.create({ ...params(summarized, { thinking: adaptive(), compaction: { type: 'summarize' } }), betas: ['compact-2026-09-04'] });
    assert.equal(compacted.stop_reason, 'compaction');
    const after = [assistant(compacted.content), ...all.slice(2)];
    await client.beta.messages.create({ ...params(after, { thinking: adaptive() }), betas: ['compact-2026-09-04'] });
    const gap = [assistant(compacted.content), ...all.slice(3)];
    await assert.rejects(client.beta.messages.create({ ...params([user('first'), ...gap], { thinking: adaptive() }), betas: ['compact-2026-09-04'] }));
    const tight = await client.beta.messages.create({ ...params(summarized, { max_tokens: 90, thinking: adaptive(), compaction: { type: 'summarize' } }), betas: ['compact-2026-09-04'] });
    assert.equal(tight.stop_reason, 'max_tokens', 'the summary and its thinking did not fit');
  });

  test('count_tokens runs the same check', async () => {
    const messages = await conversation();
    await assert.rejects(client.beta.messages.countTokens({ model: MODEL, system: 'Changed.', messages, thinking: adaptive() }), /bound to a different conversation/);
    const ok = await client.beta.messages.countTokens({ model: MODEL, system: SYSTEM, messages, thinking: adaptive() });
    assert.ok(ok.input_tokens > 0);
  });

  test('the 400s of §3.4: types per model, budgets, forced tools, effort', async () => {
    const enabled = { type: 'enabled' as const, budget_tokens: 2048 };
    await rejected(params([user('hi')], { thinking: enabled }), /^"thinking\.type\.enabled" is not supported for this model\. Use "thinking\.type\.adaptive" and "output_config\.effort" to control thinking behavior\./);
    await rejected(params([user('hi')], { thinking: { type: 'disabled' } }), /"thinking\.type\.disabled" is not supported for this model/);
    await rejected(params([user('hi')], { model: 'claude-sonnet-4-5', thinking: adaptive() }), /adaptive thinking is not supported on this model/);
    await rejected(params([user('hi')], { model: 'claude-sonnet-4-6', thinking: { type: 'enabled', budget_tokens: 512 } }), /thinking\.enabled\.budget_tokens: Input should be greater than or equal to 1024/);
    await rejected(params([user('hi')], { model: 'claude-sonnet-4-6', max_tokens: 2048, thinking: enabled }), /`max_tokens` must be greater than `thinking\.budget_tokens`\. Please consult our documentation/);
    const tools = [{ name: 'read_file', input_schema: { type: 'object' as const } }];
    await rejected(params([user('hi')], { tools, tool_choice: { type: 'any' } }), /tool_choice: type "tool" and "any" are not supported for this model\./);
    await rejected(params([user('hi')], { model: 'claude-sonnet-4-6', tools, tool_choice: { type: 'tool', name: 'read_file' }, thinking: enabled }), /Thinking may not be enabled when tool_choice forces tool use\./);
    const forced = await client.beta.messages.create(params([user('hi')], { model: 'claude-sonnet-4-6', tools, tool_choice: { type: 'any' }, thinking: adaptive() }));
    assert.ok(forced.content.every((b) => b.type !== 'thinking'), 'adaptive + forced tool skips thinking where allowed');
    await rejected(params([user('hi')], { thinking: { type: 'between_tools' }, output_config: { effort: 'max' } }), /between_tools is not supported with output_config\.effort "max"/);
    await rejected(params([user('hi')], { model: 'claude-sonnet-4-6', output_config: { effort: 'xhigh' } }), /output_config\.effort: "xhigh" is not supported for this model/);
    await rejected(params([user('hi')], { thinking: adaptive({ block_binding: { prefix_mismatch_behavior: 'drop_block' } }) }), /thinking\.adaptive\.block_binding: Extra inputs are not permitted/);
    await rejected({ ...params([user('hi')], { thinking: { type: 'between_tools', block_binding: {} } as never }), betas: [BINDING] }, /thinking\.between_tools\.block_binding: Extra inputs are not permitted/);
  });

  test('the 400s of §3.4: structure of assistant turns with thinking', async () => {
    const messages = await conversation();
    const answer = messages[1]!.content as BetaContentBlockParam[];
    const [thinking, text] = answer;
    assert.ok(thinking && text);
    await rejected(params([messages[0]!, assistant([text, thinking]), messages[2]!], { thinking: adaptive() }), /messages\.1\.content\.0: If an assistant message contains any thinking blocks, the first block must be thinking or redacted_thinking\. Found text\./);
    await rejected(params([messages[0]!, assistant(answer)], { model: 'claude-opus-4-6' }), /messages\.1\.content\.0: When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`/);
    await rejected(params([messages[0]!, assistant([thinking])], { thinking: adaptive() }), /messages\.1: The final block in an assistant message cannot be `thinking`\./);
    const tools = [{ name: 'read_file', input_schema: { type: 'object' as const } }];
    const loop: BetaMessageParam[] = [
      user('read it'),
      assistant([{ type: 'tool_use', id: 'toolu_1', name: 'read_file', input: {} }]),
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'file text' }] },
    ];
    await rejected(params(loop, { model: 'claude-sonnet-4-6', tools, thinking: { type: 'enabled', budget_tokens: 2048 } }), /messages\.1\.content\.0\.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`\. When `thinking` is enabled, a final `assistant` message must start with a thinking block/);
  });
});
