import * as assert from 'node:assert/strict';
import { MIN_TRIGGER_TOKENS, ON_DEMAND_BETA, THRESHOLD_BETA } from '../../src/core/betas';
import type { ApiMessage } from '../../src/core/requestHistory';
import type { StoredBlock } from '../../src/core/records';
import { AGENT_COMPACTION_INSTRUCTIONS } from '../../src/core/agentTools';
import { buildOnDemandRequest, buildTurnRequest, type CompactionState, type RequestSource } from '../../src/core/turn/request';
import { snapshotSettings, type SessionSettings } from '../../src/core/turn/settingsSnapshot';

const settings = (overrides: Partial<SessionSettings> = {}): SessionSettings => ({
  model: 'claude-sonnet-5-5',
  maxTokens: 1024,
  triggerTokens: 80_000,
  instructions: '',
  mode: 'auto',
  keepRecentTurns: 1,
  contextWindow: 200_000,
  ...overrides,
});
const text = (value: string): StoredBlock => ({ type: 'text', text: value });
const conversation = (): ApiMessage[] => [
  { role: 'user', content: [text('one')] },
  { role: 'assistant', content: [text('two')] },
  { role: 'user', content: [text('three')] },
];
const source = (overrides: Partial<RequestSource> = {}): RequestSource => ({ settings: snapshotSettings(settings()), system: 'Be brief.', messages: conversation(), ...overrides });
const fresh: CompactionState = { supported: true, signed: false, hasThresholdBlock: false };
type Edit = { type: string; trigger: { type: string; value: number }; pause_after_compaction?: boolean; instructions?: string };
const edits = (body: Record<string, unknown>): Edit[] => (body.context_management as { edits: Edit[] } | undefined)?.edits ?? [];

suite('request builder', () => {
  test('puts cache breakpoints on the system prompt and the last block of the latest two messages only', () => {
    const messages = conversation();
    const body = buildTurnRequest(source({ messages }), fresh);
    assert.deepEqual(body.system, [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }]);
    const sent = body.messages as ApiMessage[];
    assert.deepEqual(sent.map((message) => message.content.at(-1)!.cache_control), [undefined, { type: 'ephemeral' }, { type: 'ephemeral' }]);
    // The history's own blocks stay exactly as stored.
    assert.ok(messages.every((message) => message.content.every((block) => block.cache_control === undefined)));
  });

  test('never marks a failed compaction block (content null) as a breakpoint', () => {
    const messages: ApiMessage[] = [{ role: 'assistant', content: [{ type: 'compaction', content: null }] }, { role: 'user', content: [text('go on')] }];
    const sent = buildTurnRequest(source({ messages }), fresh).messages as ApiMessage[];
    assert.equal(sent[0]!.content[0]!.cache_control, undefined);
    assert.deepEqual(sent[1]!.content[0]!.cache_control, { type: 'ephemeral' });
  });

  test('declares threshold compaction at the trigger, paused after compacting, with the user instructions', () => {
    const body = buildTurnRequest(source({ settings: snapshotSettings(settings({ instructions: 'Keep the plan.' })) }), fresh);
    assert.equal(body.model, 'claude-sonnet-5-5');
    assert.equal(body.max_tokens, 1024);
    assert.deepEqual(body.betas, [THRESHOLD_BETA]);
    assert.deepEqual(edits(body), [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: 80_000 }, pause_after_compaction: true, instructions: 'Keep the plan.' }]);
  });

  test('never sends a trigger below the API minimum', () => {
    const body = buildTurnRequest(source({ settings: snapshotSettings(settings({ triggerTokens: 1000 })) }), fresh);
    assert.equal(edits(body)[0]!.trigger.value, MIN_TRIGGER_TOKENS);
  });

  test('after an on-demand block sends only the on-demand beta, without a threshold strategy', () => {
    const body = buildTurnRequest(source(), { ...fresh, signed: true });
    assert.deepEqual(body.betas, [ON_DEMAND_BETA]);
    assert.equal(body.context_management, undefined);
  });

  test('in manual mode declares the strategy only for a threshold block, with a trigger past the window', () => {
    const manual = source({ settings: snapshotSettings(settings({ mode: 'manual' })) });
    assert.equal(buildTurnRequest(manual, fresh).context_management, undefined);
    const withBlock = buildTurnRequest(manual, { ...fresh, hasThresholdBlock: true });
    assert.deepEqual(withBlock.betas, [THRESHOLD_BETA]);
    assert.deepEqual(edits(withBlock), [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: 200_001 } }]);
  });

  test('goes without the betas where compaction is not supported', () => {
    for (const body of [buildTurnRequest(source(), { ...fresh, supported: false }), buildTurnRequest(source({ settings: snapshotSettings(settings({ compactionSupported: false })) }), fresh)]) {
      assert.equal(body.betas, undefined);
      assert.equal(body.context_management, undefined);
    }
  });

  test('offers Agent mode tools, and in Agent mode compacts with instructions that forbid tool calls', () => {
    const body = buildTurnRequest(source({ agentTools: ['read_file', 'not_a_tool'] }), fresh);
    assert.deepEqual((body.tools as { name: string }[]).map((tool) => tool.name), ['read_file']);
    assert.equal(body.tool_choice, undefined);
    assert.equal(edits(body)[0]!.instructions, AGENT_COMPACTION_INSTRUCTIONS);
  });

  test('in Ask mode sends no tools, unless the history holds calls: then all of them with tool_choice none', () => {
    assert.equal(buildTurnRequest(source(), fresh).tools, undefined);
    const messages: ApiMessage[] = [
      { role: 'user', content: [text('read it')] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'read_file', input: { path: 'a.ts' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'x' }, text('thanks')] },
    ];
    const body = buildTurnRequest(source({ messages }), fresh);
    assert.ok((body.tools as unknown[]).length > 1);
    assert.deepEqual(body.tool_choice, { type: 'none' });
  });

  test('builds the on-demand request from the messages to compact, with at least 4096 output tokens', () => {
    const toCompact = conversation().slice(0, 2);
    const body = buildOnDemandRequest(source({ agentTools: ['read_file'] }), toCompact);
    assert.equal(body.max_tokens, 4096);
    assert.deepEqual(body.messages, toCompact);
    assert.deepEqual(body.betas, [ON_DEMAND_BETA]);
    assert.deepEqual(body.compaction, { type: 'summarize', instructions: AGENT_COMPACTION_INSTRUCTIONS });
    assert.deepEqual((body.tools as { name: string }[]).map((tool) => tool.name), ['read_file']);
    assert.deepEqual(buildOnDemandRequest(source(), toCompact).compaction, { type: 'summarize' });
  });
});
