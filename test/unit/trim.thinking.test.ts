// The trim fallback with thinking on, against the emulator: on a model without compaction that thinks with
// a budget (the 4.5 line), the trim and the output cap measure what the next request really carries (its
// thinking blocks and tool definitions), so the request after a trim fits the window with max_tokens 64,000.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { ReadingTools } from '../fixtures/readingTools';

suite('Trim with thinking on', function () {
  this.timeout(120_000);
  let emulator: EmulatorHandle;
  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  test('after each trim the next request fits the window: thinking blocks and tools are counted', async () => {
    emulator.state.configure({ tokenMultiplier: 40 });
    const settings: SessionSettings = {
      model: 'claude-haiku-4-5',
      maxTokens: 64_000,
      triggerTokens: 150_000,
      instructions: '',
      mode: 'auto',
      keepRecentTurns: 1,
      contextWindow: 200_000,
      compactionSupported: false,
      chatMode: 'agent',
      maxToolIterations: 25,
      thinking: { thinking: 'budget', budgetTokens: 31_999, effort: 'default' },
    };
    const store = new InMemoryConversationStore();
    const session = await ConversationSession.open({
      store,
      conversationId: (await store.create()).id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a coding agent.',
      logger: silentLogger,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      tools: new ReadingTools(() => 'export const value = 1;\n'.repeat(8)),
    });
    const events: SessionEvent[] = [];
    session.onEvent((event) => events.push(event));
    for (let turn = 1; turn <= 40; turn++) {
      emulator.state.addReplies([
        { text: `Step ${turn}.`, toolUse: [{ id: `toolu_${turn}`, name: 'read_file', input: { path: `src/file${turn}.ts` } }] },
        { text: `Turn ${turn} done. ` + 'Here is what changed. '.repeat(10) },
      ]);
      await session.send(`Turn ${turn}: ` + 'please refactor this part of the code '.repeat(30));
      emulator.state.replies.length = 0;
    }
    // Each trim's estimate of what it left is what the next request's prompt measured, within the 5% of the
    // window that fitting max_tokens allows for the estimate's error.
    const records = await store.readAll(session.id);
    const misses: string[] = [];
    records.forEach((record, index) => {
      if (record.kind !== 'compaction' || record.compactionKind !== 'trim' || record.tokensAfter === undefined) {
        return;
      }
      const next = records.slice(index + 1).find((later) => later.kind === 'assistant' && later.usage);
      const usage = next?.kind === 'assistant' ? next.usage : undefined;
      const measured = usage ? usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens : 0;
      if (Math.abs(measured - record.tokensAfter) > settings.contextWindow * 0.05) {
        misses.push(`estimated ${record.tokensAfter}, measured ${measured}`);
      }
    });
    assert.deepEqual(misses, [], 'trim estimates match the next prompt');
    const requests = emulator.state.requests.filter((request) => request.path === '/v1/messages');
    const trims = events.filter((event) => event.type === 'item' && event.item.kind === 'compaction' && event.item.compactionKind === 'trim').length;
    assert.ok(trims >= 2, `the conversation was trimmed (${trims})`);
    assert.ok(requests.some((request) => JSON.stringify(request.body).includes('"type":"thinking"')), 'answers thought and their thinking was sent back');
    assert.deepEqual(requests.filter((request) => request.status !== 200).length, 0, 'every request accepted');
    assert.equal(events.filter((event) => event.type === 'turnFailed').length, 0);
  });
});
