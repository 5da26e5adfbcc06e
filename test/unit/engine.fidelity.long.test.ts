// A seeded 300-turn Agent session against the emulator with the real API's rules and the shapes it sends:
// whitespace-only text before tool calls, thinking the model does unasked, summaries slower than the idle
// limit (the limit is scaled down, not the clock up), a switch to a model without compaction and back,
// and max_tokens 64,000 on a 200k window. Every turn completes and the API accepts every request.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import type { StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import type { ScriptedReply } from '../emulator/server';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { seededRandom } from '../stress/random';
import { ReadingTools } from '../fixtures/readingTools';

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: { model: string; max_tokens: number; messages: Array<{ role: string; content: StoredBlock[] }> };
}

const TURNS = 300;
const SWITCH_AWAY = 120;
const SWITCH_BACK = 150;

suite('Engine fidelity: a seeded 300-turn Agent session', function () {
  this.timeout(300_000);
  let emulator: EmulatorHandle;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  test('every turn completes and every request is accepted', async () => {
    const random = seededRandom(20261203);
    // Thinking the default model does whether asked or not (thinking reference §1.2), and a summary
    // that takes longer than the idle limit before its compaction_delta (pings only meanwhile).
    emulator.state.configure({ tokenMultiplier: 40, summaryDelayMs: 250, thinkUnasked: true });
    const settings: SessionSettings = {
      model: 'claude-sonnet-5-5',
      maxTokens: 64_000,
      triggerTokens: 150_000,
      instructions: '',
      mode: 'auto',
      keepRecentTurns: 1,
      contextWindow: 200_000,
      chatMode: 'agent',
      maxToolIterations: 25,
      // As the host sends it by default: adaptive thinking (a budget on models without it), binding controls.
      thinking: { thinking: 'adaptive', budgetTokens: 31_999, effort: 'default' },
    };
    const store = new InMemoryConversationStore();
    const id = (await store.create()).id;
    const events: SessionEvent[] = [];
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a coding agent in a long session.',
      logger: silentLogger,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      idleTimeoutMs: 120,
      compactionIdleTimeoutMs: 5000,
      tools: new ReadingTools((path) => `contents of ${path}\n` + 'export const value = 1;\n'.repeat(8)),
    });
    session.onEvent((event) => events.push(event));

    const counts = { toolTurns: 0, whitespaceBlocks: 0, compactions: 0, trims: 0, loweredMaxTokens: 0, requests: 0, summaryAsText: 0, blockRestored: 0 };
    let seen = 0;
    for (let turn = 1; turn <= TURNS; turn++) {
      if (turn === SWITCH_AWAY || turn === SWITCH_BACK) {
        // As the host does on a model change: the Models API says whether the model compacts.
        settings.model = turn === SWITCH_AWAY ? 'claude-haiku-4-5' : 'claude-sonnet-5-5';
        const info = await (await createClient({ apiKey: 'test-key', baseURL: emulator.url })).beta.models.retrieve(settings.model);
        settings.compactionSupported = info.capabilities?.context_management.compact_20260112?.supported !== false;
        settings.contextWindow = info.max_input_tokens ?? settings.contextWindow;
      }
      const replies: ScriptedReply[] = [];
      if (random() < 0.6) {
        counts.toolTurns++;
        const calls = 1 + Math.floor(random() * 2);
        for (let step = 0; step < calls; step++) {
          const whitespace = random() < 0.7;
          counts.whitespaceBlocks += whitespace ? 1 : 0;
          replies.push({
            ...(whitespace ? { textBlocks: [random() < 0.5 ? '\n\n' : ''] } : { text: `Step ${step + 1}: reading a file.` }),
            toolUse: [{ id: `toolu_${turn}_${step}`, name: 'read_file', input: { path: `src/file${turn}_${step}.ts` } }],
          });
        }
      }
      replies.push({ text: `Turn ${turn} done. ` + 'Here is what changed. '.repeat(3 + Math.floor(random() * 20)) });
      emulator.state.addReplies(replies);
      await session.send(`Turn ${turn}: ` + 'please refactor this part of the code '.repeat(5 + Math.floor(random() * 40)));
      emulator.state.replies.length = 0;

      const failed = events.filter((event) => event.type === 'turnFailed');
      assert.equal(failed.length, 0, `turn ${turn}: ${JSON.stringify(failed.map((event) => event.type === 'turnFailed' && event.error))}`);
      const requests = (emulator.state.requests.filter((request) => request.path === '/v1/messages') as unknown as Recorded[]).slice(seen);
      seen += requests.length;
      counts.requests += requests.length;
      for (const request of requests) {
        assert.equal(
          request.status,
          200,
          `turn ${turn}: refused ${JSON.stringify(request.body.messages.map((m) => [m.role, m.content.map((b) => b.type)]))} betas ${request.betas.join(',')}`,
        );
        if (request.body.max_tokens < settings.maxTokens) {
          counts.loweredMaxTokens++;
        }
        const opening = request.body.messages[0]?.content[0];
        if (turn >= SWITCH_AWAY && turn < SWITCH_BACK) {
          assert.deepEqual(request.betas.filter((beta) => beta.startsWith('compact-')), [], `turn ${turn}: no compaction beta on a model without compaction`);
          counts.summaryAsText += opening?.type === 'text' && String(opening.text).startsWith('Summary of the earlier conversation: ') ? 1 : 0;
        } else if (turn === SWITCH_BACK) {
          counts.blockRestored += opening?.type === 'compaction' ? 1 : 0;
        }
        for (const message of request.body.messages) {
          for (const block of message.content) {
            assert.ok(block.type !== 'text' || String(block.text).trim() !== '', `turn ${turn}: a blank text block was sent`);
          }
        }
      }
      const finished = events.filter((event) => event.type === 'turnFinished').at(-1);
      assert.ok(finished?.type === 'turnFinished' && finished.item.kind === 'assistant', `turn ${turn} finished`);
    }
    const markers = events.filter((event) => event.type === 'item' && event.item.kind === 'compaction').map((event) => (event.type === 'item' ? event.item : undefined));
    counts.compactions = markers.filter((item) => item?.kind === 'compaction' && item.compactionKind !== 'trim' && !item.failed).length;
    counts.trims = markers.filter((item) => item?.kind === 'compaction' && item.compactionKind === 'trim').length;
    const thinkingBlocks = (await store.readAll(id)).filter((record) => record.kind === 'assistant' && record.content.some((block) => block.type === 'thinking')).length;
    console.log(`      300-turn agent session: ${JSON.stringify({ ...counts, answersWithThinking: thinkingBlocks })}`);
    assert.ok(counts.compactions >= 5, 'compacted several times');
    assert.ok(counts.whitespaceBlocks > 50 && thinkingBlocks > 50);
    assert.ok(counts.loweredMaxTokens > 0, 'max_tokens was lowered to fit the window at times');
    assert.ok(counts.summaryAsText > 0, 'the summary went as text while compaction was off');
    assert.ok(counts.blockRestored > 0, 'the summary block came back after the switch back');
  });
});
