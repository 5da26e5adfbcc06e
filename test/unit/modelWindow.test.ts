// A turn takes its settings once the Models API has told the model's real context window: manual
// compaction mode's "never fires" trigger sits past that window, never past the 200k default.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import { ConversationSession, type MessagesClient, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { DEFAULT_CONTEXT_WINDOW, ModelCapabilities } from '../../src/host/backend/models';
import { startEmulator, type EmulatorHandle } from '../emulator/server';

interface Recorded {
  path: string;
  status: number | null;
  body: { messages: Array<{ role: string; content: Array<Record<string, unknown>> }>; context_management?: { edits: Array<{ type: string; trigger?: { value: number } }> } };
}

const MODEL = 'claude-sonnet-5-5';
const ONE_MILLION = 1_000_000;

suite('The model’s real context window', function () {
  this.timeout(30_000);
  let emulator: EmulatorHandle;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  async function control(route: string, body: unknown): Promise<void> {
    const response = await fetch(`${emulator.url}/_emulator/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200);
  }

  async function requests(): Promise<Recorded[]> {
    const { requests: all } = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { requests: Recorded[] };
    return all.filter((request) => request.path === '/v1/messages');
  }

  /** A session as the host opens one after a restart: a fresh Models API cache, asked before each turn. */
  async function open(store: InMemoryConversationStore, id: string, mode: SessionSettings['mode']): Promise<ConversationSession> {
    const models = new ModelCapabilities(silentLogger, () => undefined);
    const client = (): Promise<MessagesClient> => createClient({ apiKey: 'test-key', baseURL: emulator.url });
    return ConversationSession.open({
      store,
      conversationId: id,
      client,
      settings: () => ({ model: MODEL, maxTokens: 1024, triggerTokens: 50_000, instructions: '', mode, keepRecentTurns: 1, contextWindow: models.contextWindow(MODEL) }),
      prepare: async () => models.probe(await client(), MODEL),
      systemPrompt: async () => 'You are a test assistant.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      idleTimeoutMs: 2000,
    });
  }

  test('manual mode’s first turn on a 1M model keeps its threshold summary with a trigger past 1M, not past 200k', async () => {
    await control('reset', {});
    await control('config', { contextWindow: ONE_MILLION, tokenMultiplier: 100 });
    const store = new InMemoryConversationStore();
    const id = (await store.create()).id;
    const auto = await open(store, id, 'auto');
    for (const word of ['alpha', 'beta', 'gamma', 'delta']) {
      await auto.send(`${word}: ` + `${word} `.repeat(60));
    }
    assert.ok((await store.readAll(id)).some((record) => record.kind === 'compaction'), 'the conversation holds a threshold summary');

    await control('config', { tokenMultiplier: 1 });
    const before = (await requests()).length;
    const manual = await open(store, id, 'manual');
    await manual.send('And now, in manual mode?');
    const first = (await requests())[before];
    assert.equal(first?.status, 200);
    assert.equal(first?.body.messages[0]?.content[0]?.type, 'compaction', 'the summary is sent');
    const edit = first?.body.context_management?.edits.find((entry) => entry.type === 'compact_20260112');
    assert.equal(edit?.trigger?.value, ONE_MILLION + 1, `the trigger sits past the real window (the default is ${DEFAULT_CONTEXT_WINDOW})`);
  });

  test('a caller that asks while the first probe is on its way gets its answer, not the default', async () => {
    await control('reset', {});
    await control('config', { contextWindow: ONE_MILLION });
    const models = new ModelCapabilities(silentLogger, () => undefined);
    const client = await createClient({ apiKey: 'test-key', baseURL: emulator.url });
    const first = models.probe(client, MODEL);
    await models.probe(client, MODEL);
    assert.equal(models.contextWindow(MODEL), ONE_MILLION);
    await first;
  });
});
