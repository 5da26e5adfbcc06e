// A seeded randomized Agent session with thinking on, against the emulator with the prefix check
// enforced on every request (`forcePrefixError`: `drop_block` counts as `error`, the CI guard of the
// thinking reference §3.3): threshold and on-demand compactions, tool loops with interleaved thinking,
// redacted and skipped thinking, effort and model switches, retried faults, edits and reloads. After
// every step, every request the engine sent would have been accepted by the real API: none refused, every
// thinking block sent exactly as stored (signature included), a tool round's thinking kept with it whole
// (or, put back after a threshold summary, left out whole: reference §4), and a reopened session sends
// exactly what the live one would.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { JsonlConversationStore } from '../../src/core/store';
import { fallbackCapabilities, type EffortChoice } from '../../src/core/turn/thinking';
import type { ScriptedReply } from '../emulator/server';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { seededRandom } from '../stress/random';
import { ReadingTools } from '../fixtures/readingTools';

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: {
    model: string;
    max_tokens: number;
    thinking?: { type: string; block_binding?: unknown };
    output_config?: { effort?: string };
    compaction?: unknown;
    messages: Array<{ role: string; content: StoredBlock[] }>;
  };
}

const STEPS = 140;
/** Another seed explores other paths: MARATHON_THINKING_SEED=n. */
const SEED = Number(process.env.MARATHON_THINKING_SEED) || 20261204;
/** Models that think adaptively, two of them reading each other's blocks (reference §3.1), one summarizing its thinking. */
const MODELS = ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-fable-5-1', 'claude-sonnet-4-6'];
const isThinking = (block: StoredBlock): boolean => block.type === 'thinking' || block.type === 'redacted_thinking';
const bare = (block: StoredBlock): string => {
  const { cache_control: _cache, ...rest } = block;
  return JSON.stringify(rest);
};

/** The emulator's message for a refused request, sent again as it was (for the failure message only). */
async function refusal(emulator: EmulatorHandle, request: Recorded): Promise<string> {
  const response = await fetch(`${emulator.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'test-key', 'anthropic-version': '2023-06-01', 'anthropic-beta': request.betas.join(',') },
    body: JSON.stringify({ ...request.body, stream: false }),
  });
  return response.text();
}

suite('Engine: a seeded randomized session with thinking on, prefix check enforced', function () {
  this.timeout(120_000);
  let emulator: EmulatorHandle;
  let folder: string;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());
  setup(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-thinking-'));
  });
  teardown(() => fs.rmSync(folder, { recursive: true, force: true }));

  test('every request of every step would be accepted, and thinking round-trips exactly as received', async () => {
    const random = seededRandom(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    emulator.state.reset();
    emulator.state.configure({ tokenMultiplier: 30, forcePrefixError: true, thinkUnasked: true });
    const settings: SessionSettings = {
      model: MODELS[0]!,
      maxTokens: 32_000,
      triggerTokens: 50_000,
      instructions: '',
      mode: 'auto',
      keepRecentTurns: 1,
      contextWindow: 200_000,
      chatMode: 'agent',
      maxToolIterations: 10,
      thinking: { thinking: 'adaptive', budgetTokens: 8000, effort: 'default' },
      thinkingCapabilities: fallbackCapabilities(MODELS[0]!),
    };
    let store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    const events: SessionEvent[] = [];
    const open = async (): Promise<ConversationSession> => {
      const opened = await ConversationSession.open({
        store,
        conversationId: id,
        client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
        settings: () => settings,
        systemPrompt: async () => 'You are a coding agent in a long session with thinking on.',
        logger: silentLogger,
        retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetries: 2 },
        idleTimeoutMs: 1000,
        tools: new ReadingTools((path) => `contents of ${path}\n` + 'export const value = 1;\n'.repeat(6)),
      });
      opened.onEvent((event) => events.push(event));
      return opened;
    };
    let session = await open();
    const counts = { turns: 0, toolTurns: 0, thresholdCompactions: 0, onDemand: 0, effortSwitches: 0, modelSwitches: 0, faults: 0, retries: 0, edits: 0, reloads: 0, requests: 0, thinkingBlocksSent: 0, redacted: 0, roundsPutBack: 0 };
    let seen = 0;

    /** Scripted replies of one turn: optional tool steps, each with its own thinking, then the answer. */
    const script = (turn: number, tools: boolean): ScriptedReply[] => {
      const thought = (): Pick<ScriptedReply, 'thinking' | 'redactedThinking'> => {
        const roll = random();
        if (roll < 0.1) {
          counts.redacted++;
          return { redactedThinking: true };
        }
        // Adaptive thinking may skip thinking altogether (reference §2).
        return roll < 0.2 ? { thinking: null } : { thinking: `Step ${turn}: weigh the options. ` + 'Consider the callers. '.repeat(1 + Math.floor(random() * 6)) };
      };
      const replies: ScriptedReply[] = [];
      if (tools) {
        const calls = 1 + Math.floor(random() * 3);
        for (let step = 0; step < calls; step++) {
          replies.push({ ...thought(), text: `Reading file ${step + 1}.`, toolUse: [{ id: `toolu_${turn}_${step}_${Math.floor(random() * 1e6)}`, name: 'read_file', input: { path: `src/f${turn}_${step}.ts` } }] });
        }
      }
      replies.push({ ...thought(), text: `Turn ${turn} done. ` + 'The change keeps the tests green. '.repeat(2 + Math.floor(random() * 12)) });
      return replies;
    };
    const message = (turn: number): string => `Turn ${turn}: ` + 'refactor the parser module carefully '.repeat(3 + Math.floor(random() * 25));

    for (let step = 1; step <= STEPS; step++) {
      const roll = random();
      let injected = 0;
      let action = '';
      if (roll < 0.36) {
        action = 'send';
        emulator.state.addReplies(script(step, false));
        await session.send(message(step));
        counts.turns++;
      } else if (roll < 0.58) {
        action = 'tool loop';
        emulator.state.addReplies(script(step, true));
        await session.send(message(step));
        counts.toolTurns++;
      } else if (roll < 0.64) {
        // The effort switch: from the next turn, one of the model's levels or its default.
        action = 'effort';
        const offered = fallbackCapabilities(settings.model).efforts;
        settings.thinking = { ...settings.thinking!, effort: pick<EffortChoice>(['default', ...offered]) };
        counts.effortSwitches++;
        emulator.state.addReplies(script(step, random() < 0.5));
        await session.send(message(step));
      } else if (roll < 0.69) {
        // A model switch, as the host makes it: the Models API's facts for the new model.
        action = 'model';
        settings.model = pick(MODELS.filter((model) => model !== settings.model));
        settings.thinkingCapabilities = fallbackCapabilities(settings.model);
        const effort = settings.thinking!.effort;
        if (effort !== 'default' && !settings.thinkingCapabilities.efforts.includes(effort)) {
          settings.thinking = { ...settings.thinking!, effort: 'default' };
        }
        counts.modelSwitches++;
        emulator.state.addReplies(script(step, random() < 0.5));
        await session.send(message(step));
      } else if (roll < 0.77) {
        action = 'compact now';
        if (await session.compactNow()) {
          counts.onDemand++;
        }
      } else if (roll < 0.86) {
        // A transient fault the transport retries, or one that outlasts the retries and gets Retry.
        action = 'fault';
        const faults = [
          { kind: 'http', status: 529, errorType: 'overloaded_error', retryAfter: 0 },
          { kind: 'drop', afterDeltas: 1 },
          { kind: 'stream-error', afterDeltas: 1, errorType: 'api_error' },
        ] as const;
        const fault = pick(faults);
        const lasting = random() < 0.3;
        injected = lasting ? 3 : 1;
        emulator.state.addFaults(Array.from({ length: injected }, () => ({ ...fault })));
        emulator.state.addReplies(script(step, random() < 0.4));
        await session.send(message(step));
        counts.faults++;
        if (events.slice(seen).some((event) => event.type === 'turnFailed')) {
          emulator.state.replies.length = 0;
          emulator.state.addReplies(script(step, false));
          await session.retryLast();
          counts.retries++;
        }
      } else if (roll < 0.93) {
        action = 'edit';
        emulator.state.addReplies(script(step, random() < 0.5));
        await session.editLast(`Edited turn ${step}: ` + 'say it more simply '.repeat(2 + Math.floor(random() * 10)));
        counts.edits++;
      } else {
        // A reload: a new session reads the conversation file; the next request is the same as before it.
        action = 'reload';
        const before = await session.previewRequest();
        await store.dispose();
        store = new JsonlConversationStore(folder);
        session = await open();
        const after = await session.previewRequest();
        assert.deepEqual(after, before, `step ${step}: a reopened session sends what the live one would`);
        counts.reloads++;
      }
      emulator.state.replies.length = 0;
      emulator.state.faults.length = 0;

      const stepEvents = events.slice(seen);
      seen = events.length;
      const unexpected = stepEvents.filter((event) => event.type === 'turnFailed' && action !== 'fault');
      assert.deepEqual(unexpected, [], `step ${step} (${action}): no turn failed`);

      // What is stored: every thinking block as received, and each tool round's blocks by its call ids.
      const records: ConversationRecord[] = await store.readAll(id);
      const storedThinking = new Set<string>();
      const roundThinking = new Map<string, string[]>();
      for (const record of records) {
        if (record.kind !== 'assistant') {
          continue;
        }
        record.content.filter(isThinking).forEach((block) => storedThinking.add(bare(block)));
        const calls = record.content.filter((block) => block.type === 'tool_use').map((block) => String(block.id));
        if (calls.length > 0) {
          roundThinking.set(calls.join(','), record.content.filter(isThinking).map(bare));
        }
      }
      const requests = (emulator.state.requests as unknown as Recorded[]).filter((request) => request.path === '/v1/messages');
      const fresh = requests.slice(counts.requests);
      counts.requests = requests.length;
      for (const request of fresh) {
        const where = `step ${step} (${action}), ${request.body.model}: ${JSON.stringify(request.body.messages.map((m) => [m.role, m.content.map((b) => b.type)]))}`;
        // Faults injected on purpose come back as 529s; anything else refused is a request the API would refuse.
        if (!(request.status === 200 || (injected > 0 && request.status === 529))) {
          assert.fail(`${where}: refused with ${request.status}: ${await refusal(emulator, request)}`);
        }
        if (request.body.thinking !== undefined && request.body.thinking.type !== 'disabled') {
          assert.ok(request.body.thinking.block_binding !== undefined && request.betas.includes('thinking-binding-controls-2026-08-01'), `${where}: the binding controls ride along`);
        }
        if (request.body.compaction !== undefined) {
          // The summary shares max_tokens with its thinking (reference §4).
          assert.ok(request.body.max_tokens >= 4096 + 16_000, `${where}: on-demand max_tokens ${request.body.max_tokens} leaves room for thinking and the summary`);
        }
        const { messages } = request.body;
        messages.forEach((sent, index) => {
          sent.content.filter(isThinking).forEach((block) => {
            counts.thinkingBlocksSent++;
            assert.ok(storedThinking.has(bare(block)), `${where}: message ${index} sends a thinking block exactly as stored`);
          });
        });
        // The tool round in progress (of a turn, not a summary request) keeps all its thinking, in order, beside its calls (reference §3.1).
        const last = messages.at(-1);
        const round = messages.at(-2);
        if (request.body.compaction === undefined && last?.role === 'user' && last.content.some((block) => block.type === 'tool_result') && round?.role === 'assistant') {
          const calls = round.content.filter((block) => block.type === 'tool_use').map((block) => String(block.id)).join(',');
          const stored = roundThinking.get(calls);
          assert.ok(stored !== undefined, `${where}: the round in progress is one that was stored`);
          const sent = round.content.filter(isThinking).map(bare);
          if (sent.length === 0 && stored.length > 0) {
            // Put back after a threshold compaction: its thinking predates the block, so it all goes (§4).
            assert.equal(messages[0]?.content[0]?.type, 'compaction', `${where}: a round loses its thinking only when put back after a summary`);
            counts.roundsPutBack++;
          } else {
            assert.deepEqual(sent, stored, `${where}: the tool round's thinking goes with it, all of it, unchanged`);
          }
        }
      }
    }
    await store.dispose();

    const markers = events.filter((event): event is Extract<SessionEvent, { type: 'item' }> => event.type === 'item' && event.item.kind === 'compaction').map((event) => event.item);
    counts.thresholdCompactions = markers.filter((item) => item.kind === 'compaction' && item.compactionKind === 'threshold' && !item.failed).length;
    console.log(`      thinking session (seed ${SEED}): ${JSON.stringify(counts)}`);
    assert.ok(counts.thresholdCompactions >= 2, 'compacted at the threshold');
    assert.ok(counts.onDemand >= 3, 'compacted on demand');
    assert.ok(counts.toolTurns > 15 && counts.modelSwitches >= 3 && counts.effortSwitches >= 3 && counts.edits >= 3 && counts.reloads >= 3 && counts.retries >= 1);
    assert.ok(counts.thinkingBlocksSent > 100, 'thinking went back to the API, many times');
  });
});
