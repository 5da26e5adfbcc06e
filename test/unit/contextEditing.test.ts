// Context editing in the core: the clearing edits a turn's request carries (shape, order, beta, where they
// are never sent), the batched boundary that keeps the cache still, and Agent-mode sessions against the
// emulator that clear old tool results, store applied_edits as received and mark the cleared cards.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import type { ApiMessage } from '../../src/core/requestHistory';
import { silentLogger } from '../../src/core/ports';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { timelineItems } from '../../src/core/timeline';
import { AGENT_SUMMARY_SECTIONS, TOOL_NAMES } from '../../src/core/agentTools';
import { CLEAR_AT_LEAST_TOKENS, CONTEXT_MANAGEMENT_BETA, KEEP_TOOL_USES, ToolResultClearing } from '../../src/core/turn/contextEditing';
import { buildTurnRequest, type CompactionState } from '../../src/core/turn/request';
import { snapshotSettings } from '../../src/core/turn/settingsSnapshot';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import type { ScriptedReply } from '../emulator/types';
import { ReadingTools } from '../fixtures/readingTools';

const base: SessionSettings = {
  model: 'claude-sonnet-5-5',
  maxTokens: 1024,
  triggerTokens: 100_000,
  instructions: '',
  mode: 'auto',
  keepRecentTurns: 1,
  contextWindow: 200_000,
  chatMode: 'agent',
};
const fresh: CompactionState = { supported: true, signed: false, hasThresholdBlock: false };

/** A tool loop of `rounds` reads whose results are `resultChars` long (about resultChars / 4 tokens). */
function loop(rounds: number, resultChars = 40_000, name = 'read_file'): ApiMessage[] {
  const messages: ApiMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Refactor the parser.' }] }];
  for (let i = 0; i < rounds; i++) {
    messages.push({ role: 'assistant', content: [{ type: 'tool_use', id: `t${i}`, name: i === 0 ? 'edit_file' : name, input: { path: `f${i}.ts` } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `t${i}`, content: 'x'.repeat(resultChars) }] });
  }
  return messages;
}

type Edit = Record<string, unknown> & { type: string };
function bodyFor(clearing: ToolResultClearing, messages: ApiMessage[], contextTokens: number, overrides: Partial<SessionSettings> = {}, extra: Record<string, unknown> = {}) {
  const settings = snapshotSettings({ ...base, ...overrides });
  const body = { ...buildTurnRequest({ settings, system: 'Be brief.', messages, agentTools: [...TOOL_NAMES] }, fresh), ...extra };
  clearing.apply(body, messages, contextTokens, settings);
  return { body, edits: ((body.context_management as { edits: Edit[] } | undefined)?.edits ?? []), betas: (body.betas as string[] | undefined) ?? [] };
}

suite('context editing: the edits of a request', () => {
  test('below the clearing point the request carries compaction alone', () => {
    const { edits, betas } = bodyFor(new ToolResultClearing(), loop(12), 49_000);
    assert.deepEqual(edits.map((edit) => edit.type), ['compact_20260112']);
    assert.ok(!betas.includes(CONTEXT_MANAGEMENT_BETA));
  });

  test('at half the compaction trigger it clears all but the newest results, before compaction, with its beta', () => {
    const { edits, betas } = bodyFor(new ToolResultClearing(), loop(12), 50_000);
    assert.deepEqual(edits.map((edit) => edit.type), ['clear_tool_uses_20250919', 'compact_20260112']);
    assert.deepEqual(edits[0], {
      type: 'clear_tool_uses_20250919',
      trigger: { type: 'input_tokens', value: 50_000 },
      keep: { type: 'tool_uses', value: KEEP_TOOL_USES },
      // 30,000, or a fifth of a smaller trigger, so that a batch still fits under it.
      clear_at_least: { type: 'input_tokens', value: Math.min(CLEAR_AT_LEAST_TOKENS, 20_000) },
      exclude_tools: ['edit_file'],
    });
    assert.ok(betas.includes(CONTEXT_MANAGEMENT_BETA) && betas.includes('compact-2026-01-12'));
  });

  test('the cleared range holds still between batches, so the cache breaks once per batch', () => {
    const clearing = new ToolResultClearing();
    bodyFor(clearing, loop(12), 50_000);
    clearing.noteAnswer({ applied_edits: [{ type: 'clear_tool_uses_20250919', cleared_tool_uses: 5, cleared_input_tokens: 50_000 }] });
    // Three more reads, the context back under the clearing point: the same six calls stay cleared.
    const later = bodyFor(clearing, loop(15), 40_000).edits[0]!;
    assert.deepEqual(later.keep, { type: 'tool_uses', value: KEEP_TOOL_USES + 3 });
    // Over it again: the next batch.
    const next = bodyFor(clearing, loop(15), 61_000).edits[0]!;
    assert.deepEqual(next.keep, { type: 'tool_uses', value: KEEP_TOOL_USES });
  });

  test('breakpoints at the end of the cleared range: a batch reads up to the previous one and writes from there, four at most', () => {
    const clearing = new ToolResultClearing();
    bodyFor(clearing, loop(12), 50_000);
    clearing.noteAnswer({ applied_edits: [{ type: 'clear_tool_uses_20250919', cleared_tool_uses: 7, cleared_input_tokens: 70_000 }] });
    const breakpoints = (body: Record<string, unknown>) =>
      (body.messages as ApiMessage[]).flatMap((message, i) => message.content.flatMap((block) => (block.cache_control ? [`${i}:${String(block.tool_use_id ?? block.type)}`] : [])));
    // Between batches: the end of the cleared range (t7's result) and the latest two messages.
    const between = bodyFor(clearing, loop(15), 40_000).body;
    assert.deepEqual(breakpoints(between), ['16:t7', '29:tool_use', '30:t14']);
    // A batch: the previous end (read), the new end (written), the last message; the second-to-last goes.
    const batch = bodyFor(clearing, loop(20), 61_000).body;
    assert.deepEqual(breakpoints(batch), ['16:t7', '32:t15', '40:t19']);
    assert.ok(breakpoints(batch).length + 1 <= 4, 'with the system prompt, within the API limit');
  });

  test('a batch too small to pay for its cache write is not asked for', () => {
    // Past the newest four, one read of ~1,000 tokens (the first call is an edit, never cleared), even
    // scaled to the server's count of the prompt.
    const { edits } = bodyFor(new ToolResultClearing(), loop(6, 4000), 50_000);
    assert.deepEqual(edits.map((edit) => edit.type), ['compact_20260112']);
  });

  test('thinking turned on explicitly keeps every turn, listed first; never without explicit thinking', () => {
    const withThinking = bodyFor(new ToolResultClearing(), loop(12), 50_000, {}, { thinking: { type: 'adaptive' } }).edits;
    assert.deepEqual(withThinking.map((edit) => edit.type), ['clear_thinking_20251015', 'clear_tool_uses_20250919', 'compact_20260112']);
    assert.deepEqual(withThinking[0], { type: 'clear_thinking_20251015', keep: 'all' });
    const disabled = bodyFor(new ToolResultClearing(), loop(12), 50_000, {}, { thinking: { type: 'disabled' } }).edits;
    assert.ok(!disabled.some((edit) => edit.type === 'clear_thinking_20251015'));
  });

  test('never in Ask mode, with the setting off, on a model without it, or once the server refused it', () => {
    const none = (clearing: ToolResultClearing, overrides: Partial<SessionSettings>) =>
      assert.ok(!bodyFor(clearing, loop(12), 90_000, overrides).edits.some((edit) => edit.type.startsWith('clear_')), JSON.stringify(overrides));
    none(new ToolResultClearing(), { chatMode: 'ask' });
    none(new ToolResultClearing(), { contextEditing: 'off' });
    none(new ToolResultClearing(), { contextEditingSupported: false });
    const refused = new ToolResultClearing();
    assert.equal(refused.refuse(), true);
    assert.equal(refused.refuse(), false, 'said once');
    none(refused, {});
  });

  test('without compaction (a model that cannot compact) the clearing edit goes alone', () => {
    const { edits, betas } = bodyFor(new ToolResultClearing(), loop(12), 50_000, { compactionSupported: false });
    assert.deepEqual(edits.map((edit) => edit.type), ['clear_tool_uses_20250919']);
    assert.deepEqual(betas, [CONTEXT_MANAGEMENT_BETA]);
  });

  test('the Agent summary asks for the seven sections of a coding session, in order', () => {
    const body = buildTurnRequest({ settings: snapshotSettings(base), system: 'x', messages: loop(1), agentTools: [...TOOL_NAMES] }, fresh);
    const instructions = String(((body.context_management as { edits: Edit[] }).edits[0]!).instructions);
    const positions = AGENT_SUMMARY_SECTIONS.map((section) => instructions.indexOf(`## ${section}`));
    assert.ok(positions.every((position, i) => position > (positions[i - 1] ?? -1)), positions.join(','));
    const own = buildTurnRequest({ settings: snapshotSettings({ ...base, instructions: 'Be terse.' }), system: 'x', messages: loop(1), agentTools: [...TOOL_NAMES] }, fresh);
    assert.equal((own.context_management as { edits: Edit[] }).edits[0]!.instructions, 'Be terse.', "the user's instructions replace them");
  });
});

interface Recorded {
  path: string;
  status: number | null;
  body: { context_management?: { edits: Edit[] }; compaction?: unknown; messages: Array<{ role: string; content: StoredBlock[] }> };
}

suite('context editing: Agent sessions against the emulator', function () {
  this.timeout(120_000);
  let emulator: EmulatorHandle;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());
  setup(() => {
    emulator.state.reset();
    // Reads of about 3,000 tokens, x2: 6,000 tokens each; the compaction trigger is 150,000, clearing starts at 90,000.
    emulator.state.configure({ tokenMultiplier: 2 });
  });

  const reads = (count: number, from = 0): ScriptedReply[] =>
    Array.from({ length: count }, (_, i) => ({ text: `Reading file ${from + i}.`, toolUse: [{ id: `toolu_${from + i}`, name: 'read_file', input: { path: `src/file${(from + i) % 40}.ts` } }] }));

  const agent: SessionSettings = { ...base, triggerTokens: 150_000 };

  async function run(settings: SessionSettings, steps: number, store = new InMemoryConversationStore(), events: SessionEvent[] = []) {
    const id = (await store.create()).id;
    emulator.state.addReplies([...reads(steps), { text: 'Done with the refactor.' }]);
    const tools = new ReadingTools((path) => `// ${path}\n` + `export const value = '${path}';\n`.repeat(Math.ceil(10_000 / 30)));
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => ({ ...settings, maxToolIterations: 500 }),
      systemPrompt: async () => 'You are a test agent.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      tools,
    });
    session.onEvent((event) => events.push(event));
    await session.send('Refactor every module.');
    const records = await store.readAll(id);
    const requests = emulator.state.requests.filter((request) => request.path === '/v1/messages') as unknown as Recorded[];
    return { session, store, id, records, requests, tools, events };
  }

  const compactions = (records: ConversationRecord[]) => records.filter((record) => record.kind === 'compaction').length;

  test('clears old results in batches, stores applied_edits as received, marks the cards, and compacts less', async () => {
    const events: SessionEvent[] = [];
    const { records, requests, session } = await run(agent, 30, undefined, events);
    const answers = records.filter((record): record is Extract<ConversationRecord, { kind: 'assistant' }> => record.kind === 'assistant');
    const clearingAnswers = answers.filter((record) => record.contextManagement?.applied_edits.some((edit) => edit.type === 'clear_tool_uses_20250919'));
    assert.ok(clearingAnswers.length > 5, `cleared in ${clearingAnswers.length} answers`);
    // Stored exactly as the emulator sent it.
    const entry = clearingAnswers[0]!.contextManagement!.applied_edits[0]!;
    assert.deepEqual(Object.keys(entry).sort(), ['cleared_input_tokens', 'cleared_tool_uses', 'type']);
    // Batches: the cleared range moved in few steps, not at every request.
    const batches = answers.filter((record) => record.clearedToolResults !== undefined);
    assert.ok(batches.length >= 2 && batches.length <= 6, `${batches.length} batches`);
    const keeps = requests.map((request) => request.body.context_management?.edits.find((edit) => edit.type === 'clear_tool_uses_20250919')?.keep).filter(Boolean);
    assert.ok(keeps.length > 5);
    assert.equal(compactions(records), 0, 'clearing kept the context under the compaction trigger');
    // The view: cleared cards are marked live and after a reload, with the tokens freed.
    const cleared = events.filter((event): event is Extract<SessionEvent, { type: 'toolsCleared' }> => event.type === 'toolsCleared').flatMap((event) => event.cleared);
    assert.ok(cleared.length >= 10);
    assert.ok(cleared.every((item) => item.tokens > 4000 && item.tokens < 9000), JSON.stringify(cleared.slice(0, 3)));
    const cards = timelineItems(records).filter((item) => item.kind === 'tool');
    assert.deepEqual(
      cards.filter((card) => card.kind === 'tool' && card.clearedTokens !== undefined).map((card) => card.id),
      cleared.map((item) => item.toolUseId),
    );
    // The meter counts what the model saw: the last answer's prompt after clearing, far under the full history.
    const lastUsage = answers.at(-1)!.usage!;
    assert.equal(session.meter().contextTokens, lastUsage.contextTokens);
    assert.ok(lastUsage.contextTokens < 150_000);
  });

  test('without context editing the same loop compacts', async () => {
    const { records } = await run({ ...agent, contextEditing: 'off' }, 30);
    assert.ok(compactions(records) >= 1);
    assert.ok(records.every((record) => record.kind !== 'assistant' || record.clearedToolResults === undefined));
  });

  test('a read repeated after its result was cleared is answered in full', async () => {
    const { records, tools } = await run(agent, 45);
    const repeated = tools.calls.filter((call, i) => tools.calls.findIndex((other) => JSON.stringify(other.input) === JSON.stringify(call.input)) < i);
    assert.ok(repeated.length > 0, 'the script reads src/file0.ts again at step 40');
    const clearedIds = new Set(records.flatMap((record) => (record.kind === 'assistant' ? (record.clearedToolResults ?? []).map((c) => c.toolUseId) : [])));
    assert.ok(clearedIds.has('toolu_0'), 'the first read was cleared');
    const answer = records.find((record) => record.kind === 'user' && record.content.some((block) => block.type === 'tool_result' && block.tool_use_id === 'toolu_40'));
    const result = answer?.kind === 'user' ? answer.content.find((block) => block.type === 'tool_result') : undefined;
    assert.ok(typeof result?.content === 'string' && result.content.length > 10_000, 'the repeated read went back whole');
  });

  test('a model that refuses the edits: the turn goes on without them and still compacts', async () => {
    const { records, requests } = await run({ ...agent, model: 'claude-sonnet-5-5-no-context-editing' }, 30);
    assert.ok(requests.some((request) => request.status === 400), 'the server refused once');
    const after = requests.slice(requests.findIndex((request) => request.status === 400) + 1);
    assert.ok(after.every((request) => !request.body.context_management?.edits.some((edit) => edit.type.startsWith('clear_'))));
    assert.ok(compactions(records) >= 1);
    assert.ok(!records.some((record) => record.kind === 'error'));
  });

  test('on-demand compaction requests never carry context_management', async () => {
    const { requests } = await run(agent, 8);
    assert.ok(requests.every((request) => request.body.compaction === undefined || request.body.context_management === undefined));
  });
});
