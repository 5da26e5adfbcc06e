// Contract tests of the emulator's context editing through the official SDK: clear_tool_uses_20250919 and
// clear_thinking_20251015 next to compact_20260112, what they clear, what they report in applied_edits,
// how they move the compaction trigger and the prompt cache, and every request the API refuses.

import * as assert from 'node:assert/strict';
import Anthropic, { BadRequestError } from '@anthropic-ai/sdk';
import type {
  BetaClearToolUses20250919Edit,
  BetaContentBlockParam,
  BetaContextManagementConfig,
  BetaMessage,
  BetaMessageParam,
  MessageCreateParamsNonStreaming,
} from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { CLEARED_TOOL_RESULT } from '../contextEditing';
import type { EmulatorHandle } from '../server';
import { startEmulator } from '../server';

const MODEL = 'claude-sonnet-5-5';
const CONTEXT = 'context-management-2025-06-27';
const THRESHOLD = 'compact-2026-01-12';
const TOOLS: MessageCreateParamsNonStreaming['tools'] = [
  { name: 'read_file', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } } } },
  { name: 'todo_write', description: 'Write the plan', input_schema: { type: 'object', properties: { items: { type: 'string' } } } },
];

type Params = MessageCreateParamsNonStreaming;

/** A tool loop of `rounds` reads, each result `resultChars` long (4 chars a token, multiplier 1). */
function loop(rounds: number, resultChars = 4000, name: (i: number) => string = () => 'read_file'): BetaMessageParam[] {
  const messages: BetaMessageParam[] = [{ role: 'user', content: 'Refactor the parser.' }];
  for (let i = 0; i < rounds; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `toolu_${i}`, name: name(i), input: { path: `src/file${i}.ts` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `toolu_${i}`, content: `${i}:`.padEnd(resultChars, 'x') }] });
  }
  return messages;
}

function clearEdit(extra: Partial<BetaClearToolUses20250919Edit> = {}): BetaClearToolUses20250919Edit {
  return { type: 'clear_tool_uses_20250919', trigger: { type: 'input_tokens', value: 3000 }, keep: { type: 'tool_uses', value: 2 }, ...extra };
}

suite('emulator: context editing contract', () => {
  let emu: EmulatorHandle;
  let client: Anthropic;

  const request = (messages: BetaMessageParam[], edits: NonNullable<BetaContextManagementConfig['edits']>, extra: Partial<Params> = {}): Params => ({
    model: MODEL,
    max_tokens: 1024,
    tools: TOOLS,
    messages,
    context_management: { edits },
    betas: [CONTEXT, THRESHOLD],
    ...extra,
  });

  /** The whole prompt the model saw: uncached, read and written input. */
  function inputOf(message: BetaMessage): number {
    return message.usage.input_tokens + (message.usage.cache_read_input_tokens ?? 0) + (message.usage.cache_creation_input_tokens ?? 0);
  }

  suiteSetup(async () => {
    // Thinking a model does unasked has its own contracts (thinking.test.ts); these read the other blocks exactly.
    emu = await startEmulator({ thinkUnasked: false });
    client = new Anthropic({ apiKey: 'test-key', baseURL: emu.url, maxRetries: 0 });
  });
  suiteTeardown(() => emu.close());
  setup(() => emu.state.reset());

  test('above the trigger it clears the oldest tool results but the newest `keep`, and reports it in applied_edits', async () => {
    const messages = loop(5);
    const plain = await client.beta.messages.create(request(messages, [clearEdit({ trigger: { type: 'input_tokens', value: 100_000 } })]));
    assert.deepEqual(plain.context_management, { applied_edits: [] }, 'below the trigger nothing is cleared');
    const cleared = await client.beta.messages.create(request(messages, [clearEdit()]));
    const entry = cleared.context_management?.applied_edits[0];
    assert.ok(entry?.type === 'clear_tool_uses_20250919');
    assert.equal(entry.cleared_tool_uses, 3, 'five calls, two kept');
    const placeholder = Math.ceil(CLEARED_TOOL_RESULT.length / 4);
    assert.equal(entry.cleared_input_tokens, 3 * (1000 - placeholder));
    assert.equal(inputOf(cleared), inputOf(plain) - entry.cleared_input_tokens, 'the model is billed for what it sees');
  });

  test('the streamed message carries applied_edits in its final message_delta, as the JSON body does', async () => {
    const messages = loop(5);
    const json = await client.beta.messages.create(request(messages, [clearEdit()]));
    const deltas: unknown[] = [];
    const stream = client.beta.messages.stream(request(messages, [clearEdit()]));
    stream.on('streamEvent', (event) => {
      if (event.type === 'message_delta') {deltas.push(event.context_management);}
      if (event.type === 'message_start') {assert.equal(event.message.context_management, null, 'not known before the end');}
    });
    const streamed = await stream.finalMessage();
    assert.deepEqual(streamed.context_management, json.context_management);
    assert.deepEqual(deltas, [json.context_management]);
  });

  test('clear_at_least: nothing is cleared when the edit cannot remove that many tokens', async () => {
    const messages = loop(5);
    const skipped = await client.beta.messages.create(request(messages, [clearEdit({ clear_at_least: { type: 'input_tokens', value: 5000 } })]));
    assert.deepEqual(skipped.context_management, { applied_edits: [] });
    const applied = await client.beta.messages.create(request(messages, [clearEdit({ clear_at_least: { type: 'input_tokens', value: 2000 } })]));
    assert.equal(applied.context_management?.applied_edits.length, 1);
  });

  test('exclude_tools are never cleared, and a tool_uses trigger counts calls', async () => {
    const messages = loop(5, 4000, (i) => (i === 0 ? 'todo_write' : 'read_file'));
    const res = await client.beta.messages.create(request(messages, [clearEdit({ exclude_tools: ['todo_write'], trigger: { type: 'tool_uses', value: 4 } })]));
    const entry = res.context_management?.applied_edits[0];
    assert.ok(entry?.type === 'clear_tool_uses_20250919');
    assert.equal(entry.cleared_tool_uses, 2, 'calls 1 and 2: call 0 is excluded, 3 and 4 are kept');
    const notYet = await client.beta.messages.create(request(messages, [clearEdit({ trigger: { type: 'tool_uses', value: 5 } })]));
    assert.deepEqual(notYet.context_management, { applied_edits: [] }, 'five calls do not exceed a trigger of five');
  });

  test('clear_tool_inputs also clears the calls, all of them or those of the listed tools', async () => {
    const messages = loop(5);
    const results = await client.beta.messages.create(request(messages, [clearEdit()]));
    const withInputs = await client.beta.messages.create(request(messages, [clearEdit({ clear_tool_inputs: true })]));
    const listedOther = await client.beta.messages.create(request(messages, [clearEdit({ clear_tool_inputs: ['todo_write'] })]));
    const tokens = (m: BetaMessage) => (m.context_management?.applied_edits[0]?.cleared_input_tokens ?? 0);
    assert.ok(tokens(withInputs) > tokens(results), 'the inputs count too');
    assert.equal(tokens(listedOther), tokens(results), 'no read_file input is cleared');
  });

  test('clearing runs before the compaction trigger is checked, so a cleared prompt under it does not compact', async () => {
    emu.state.configure({ tokenMultiplier: 20 });
    // 6 reads of 1,000 tokens x 20 = 120,000 input tokens; clearing 4 brings the prompt to about 40,000.
    const messages = loop(6);
    const compact = { type: 'compact_20260112' as const, trigger: { type: 'input_tokens' as const, value: 100_000 } };
    const onlyCompaction = await client.beta.messages.create(request(messages, [compact]));
    assert.equal(onlyCompaction.content[0]?.type, 'compaction');
    const both = await client.beta.messages.create(
      request(messages, [clearEdit({ trigger: { type: 'input_tokens', value: 60_000 } }), compact]),
    );
    assert.notEqual(both.content[0]?.type, 'compaction');
    assert.equal(both.context_management?.applied_edits[0]?.type, 'clear_tool_uses_20250919');
    assert.ok(inputOf(both) < 100_000);
  });

  test('the cache reads the prefix up to the first cleared result, and the next request reads the new one', async () => {
    const cached = (messages: BetaMessageParam[]): BetaMessageParam[] => {
      const last = messages[messages.length - 1]!;
      const blocks = last.content as unknown as Array<Record<string, unknown>>;
      const content = blocks.map((b, i) => (i === blocks.length - 1 ? { ...b, cache_control: { type: 'ephemeral' } } : b));
      return [...messages.slice(0, -1), { role: last.role, content } as unknown as BetaMessageParam];
    };
    const edit = clearEdit({ trigger: { type: 'input_tokens', value: 4500 } });
    const first = await client.beta.messages.create(request(cached(loop(4)), [edit]));
    assert.deepEqual(first.context_management, { applied_edits: [] }, '4 reads: under the trigger');
    const second = await client.beta.messages.create(request(cached(loop(5)), [edit]));
    assert.equal(second.context_management?.applied_edits[0]?.type, 'clear_tool_uses_20250919');
    // The first result is cleared now: only the tools, the first message and the first call are read.
    const toolsAndFirst = (first.usage.cache_creation_input_tokens ?? 0) - 4 * 1000 - 4 * 12;
    assert.ok((second.usage.cache_read_input_tokens ?? 0) < toolsAndFirst, `read ${second.usage.cache_read_input_tokens}`);
    const third = await client.beta.messages.create(request(cached(loop(5)), [edit]));
    assert.equal(third.usage.cache_read_input_tokens, inputOf(second), 'the edited prompt is cached as sent');
  });

  test('count_tokens counts the cleared prompt and reports the original size', async () => {
    const messages = loop(5);
    const counted = await client.beta.messages.countTokens({ model: MODEL, tools: TOOLS, messages, context_management: { edits: [clearEdit()] }, betas: [CONTEXT] });
    const created = await client.beta.messages.create(request(messages, [clearEdit()]));
    assert.equal(counted.input_tokens, inputOf(created));
    assert.equal(counted.context_management?.original_input_tokens, counted.input_tokens + (created.context_management?.applied_edits[0]?.cleared_input_tokens ?? 0));
  });

  test('clear_thinking_20251015 removes the thinking of all but the newest turns; keep "all" removes none', async () => {
    // Signed thinking comes from the emulator itself: three answered questions, then a fourth.
    const thinking = { type: 'adaptive' as const, display: 'summarized' as const };
    const messages: BetaMessageParam[] = [];
    for (let i = 0; i < 3; i++) {
      messages.push({ role: 'user', content: `Question ${i}: how should the parser recover from errors?` });
      const answer = await client.beta.messages.create({ model: MODEL, max_tokens: 4096, tools: TOOLS, messages, thinking });
      assert.ok(answer.content.some((b) => b.type === 'thinking'), 'the model thought');
      messages.push({ role: 'assistant', content: answer.content as BetaContentBlockParam[] });
    }
    messages.push({ role: 'user', content: 'Next?' });
    const one = await client.beta.messages.create(
      request(messages, [{ type: 'clear_thinking_20251015', keep: { type: 'thinking_turns', value: 1 } }, clearEdit()], { thinking, max_tokens: 4096 }),
    );
    const entry = one.context_management?.applied_edits[0];
    assert.ok(entry?.type === 'clear_thinking_20251015');
    assert.equal(entry.cleared_thinking_turns, 2);
    assert.ok(entry.cleared_input_tokens > 0);
    const all = await client.beta.messages.create(request(messages, [{ type: 'clear_thinking_20251015', keep: 'all' }], { thinking, max_tokens: 4096 }));
    assert.deepEqual(all.context_management, { applied_edits: [] });
    const allObject = await client.beta.messages.create(request(messages, [{ type: 'clear_thinking_20251015', keep: { type: 'all' } }], { thinking, max_tokens: 4096 }));
    assert.deepEqual(allObject.context_management, { applied_edits: [] });
    assert.equal(inputOf(one), inputOf(all) - entry.cleared_input_tokens, 'cleared thinking is not billed');
  });

  test('all three edits in one array: thinking first, tool results, then compaction', async () => {
    const res = await client.beta.messages.create(
      request(loop(5), [{ type: 'clear_thinking_20251015', keep: 'all' }, clearEdit(), { type: 'compact_20260112' }], { thinking: { type: 'adaptive' } }),
    );
    assert.deepEqual(
      res.context_management?.applied_edits.map((e) => e.type),
      ['clear_tool_uses_20250919'],
    );
  });

  test('the Models API reports the capability, and a model without it refuses the edits', async () => {
    const model = await client.beta.models.retrieve(MODEL);
    assert.equal(model.capabilities?.context_management.clear_tool_uses_20250919?.supported, true);
    assert.equal(model.capabilities?.context_management.clear_thinking_20251015?.supported, true);
    const without = await client.beta.models.retrieve('claude-sonnet-5-5-no-context-editing');
    assert.equal(without.capabilities?.context_management.clear_tool_uses_20250919?.supported, false);
    assert.equal(without.capabilities?.context_management.compact_20260112?.supported, true);
    await assert.rejects(
      client.beta.messages.create(request(loop(1), [clearEdit()], { model: 'claude-sonnet-5-5-no-context-editing' })),
      (error: unknown) => error instanceof BadRequestError && /not supported for model/.test(error.message),
    );
  });

  suite('refuses what the API refuses', () => {
    const refused = async (params: Params, pattern: RegExp): Promise<void> => {
      await assert.rejects(client.beta.messages.create(params), (error: unknown) => {
        assert.ok(error instanceof BadRequestError, String(error));
        assert.match(error.message, pattern);
        return true;
      });
    };

    test('without the context-management beta', () =>
      refused({ ...request(loop(1), [clearEdit()]), betas: [THRESHOLD] }, /clear_tool_uses_20250919 requires the anthropic-beta header context-management-2025-06-27/));

    test('clear_thinking_20251015 anywhere but first', () =>
      refused(
        request(loop(1), [clearEdit(), { type: 'clear_thinking_20251015', keep: 'all' }], { thinking: { type: 'adaptive' } }),
        /edits\.1: clear_thinking_20251015 must be listed first in the edits array/,
      ));

    test('clear_thinking_20251015 without thinking', () =>
      refused(request(loop(1), [{ type: 'clear_thinking_20251015', keep: 'all' }]), /`clear_thinking_20251015` strategy requires `thinking` to be enabled/));

    test('unknown fields, wrong tags and bad values', async () => {
      const bad = (edit: Record<string, unknown>) => request(loop(1), [edit as unknown as BetaClearToolUses20250919Edit]);
      await refused(bad({ type: 'clear_tool_uses_20250919', clear_tool_results: true }), /edits\.0\.clear_tool_results: Extra inputs are not permitted/);
      await refused(bad({ type: 'clear_tool_uses_20250919', keep: { type: 'input_tokens', value: 3 } }), /edits\.0\.keep: Input tag 'input_tokens' found using 'type' does not match any of the expected tags: 'tool_uses'/);
      await refused(bad({ type: 'clear_tool_uses_20250919', trigger: { type: 'messages', value: 3 } }), /edits\.0\.trigger: Input tag 'messages'/);
      await refused(bad({ type: 'clear_tool_uses_20250919', trigger: { type: 'input_tokens', value: 3, extra: 1 } }), /edits\.0\.trigger\.extra: Extra inputs are not permitted/);
      await refused(bad({ type: 'clear_tool_uses_20250919', keep: { type: 'tool_uses', value: 1.5 } }), /edits\.0\.keep\.value: Input should be a valid integer/);
      await refused(bad({ type: 'clear_tool_uses_20250919', exclude_tools: 'todo_write' }), /edits\.0\.exclude_tools: Input should be a valid list/);
      await refused(bad({ type: 'clear_tool_uses_20250919', clear_tool_inputs: 'yes' }), /edits\.0\.clear_tool_inputs: Input should be a valid boolean or list/);
      await refused(request(loop(1), [clearEdit(), clearEdit()]), /edits\.1: clear_tool_uses_20250919 may be listed only once/);
      await refused(
        { ...bad({ type: 'clear_thinking_20251015', keep: { type: 'thinking_turns', value: 0 } }), thinking: { type: 'adaptive' } },
        /edits\.0\.keep\.value: Input should be greater than or equal to 1/,
      );
      await refused(bad({ type: 'clear_everything_20990101' }), /edits\.0\.type: Input tag 'clear_everything_20990101'/);
    });

    test('edits together with a top-level on-demand compaction', () =>
      refused(
        { ...request(loop(1), [clearEdit()]), compaction: { type: 'summarize' }, betas: [CONTEXT, 'compact-2026-09-04'] },
        /compaction: cannot be combined with `context_management`/,
      ));
  });
});
