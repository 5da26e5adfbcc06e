// Long and randomized sessions against the emulator: the invariants that make hours-long
// conversations safe, checked after every step, and the figures quoted in the README.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createClient } from '../../src/core/client';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { JsonlConversationStore } from '../../src/core/store';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { seededRandom } from '../stress/random';
import { testSettings } from '../fixtures/settings';

interface Recorded {
  path: string;
  status: number | null;
  body: { messages: Array<{ role: string; content: StoredBlock[] }>; compaction?: unknown };
}

suite('Long sessions', function () {
  this.timeout(120_000);
  let emulator: EmulatorHandle;
  let folder: string;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());
  setup(async () => {
    await control('reset', {});
    requestsSeen = 0;
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-long-'));
  });
  teardown(() => fs.rmSync(folder, { recursive: true, force: true }));

  async function control(route: string, body: unknown): Promise<void> {
    const response = await fetch(`${emulator.url}/_emulator/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200);
  }

  let requestsSeen = 0;
  /** Requests recorded since the last call. */
  async function takeRequests(): Promise<Recorded[]> {
    const response = await fetch(`${emulator.url}/_emulator/requests`);
    const { requests } = (await response.json()) as { requests: Recorded[] };
    const fresh = requests.slice(requestsSeen);
    requestsSeen = requests.length;
    return fresh.filter((request) => request.path === '/v1/messages');
  }

  function openSession(store: JsonlConversationStore, id: string, settings: SessionSettings, events: SessionEvent[]): Promise<ConversationSession> {
    return ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test assistant in a long session.',
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      idleTimeoutMs: 2000,
    }).then((session) => {
      session.onEvent((event) => events.push(event));
      return session;
    });
  }

  test('a randomized session keeps every invariant after every step, across faults, compactions and crashes', async () => {
    const random = seededRandom(20261126);
    const settings: SessionSettings = testSettings();
    await control('config', { tokenMultiplier: 60 });
    let store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    const events: SessionEvent[] = [];
    let session = await openSession(store, id, settings, events);
    const sentTexts: string[] = [];
    let seen = 0;
    const counts = { turns: 0, faults: 0, cancels: 0, onDemand: 0, crashes: 0 };

    for (let step = 0; step < 120; step++) {
      const roll = random();
      const text = `step ${step} ` + 'lorem ipsum '.repeat(Math.floor(random() * 40));
      if (roll < 0.55) {
        await session.send(text);
        counts.turns++;
      } else if (roll < 0.7) {
        const faults = [
          { kind: 'http', status: 529, errorType: 'overloaded_error', retryAfter: 0 },
          { kind: 'drop', afterDeltas: 1 + Math.floor(random() * 3) },
          { kind: 'stream-error', afterDeltas: 1, errorType: 'api_error' },
          { kind: 'null-compaction' },
          { kind: 'http', status: 500, errorType: 'api_error' },
        ];
        await control('faults', { faults: [faults[Math.floor(random() * faults.length)]] });
        await session.send(text);
        counts.faults++;
      } else if (roll < 0.8) {
        const sending = session.send(`${text} long`);
        for (let waited = 0; waited < 100 && !events.slice(seen).some((event) => event.type === 'textDelta'); waited++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        session.cancel();
        await sending;
        counts.cancels++;
      } else if (roll < 0.9) {
        await session.compactNow();
        counts.onDemand++;
      } else {
        // A crash: no dispose, the last line possibly torn, then a new process opens the folder.
        const file = path.join(folder, `${id}.jsonl`);
        if (random() < 0.5) {
          fs.appendFileSync(file, '{"v":1,"kind":"user","id":"torn","at":1,"content":[{"type":"te');
        }
        // The dead process's file handles are closed without it writing anything more.
        const dead = store;
        store = new JsonlConversationStore(folder);
        session = await openSession(store, id, settings, events);
        await dead.dispose();
        counts.crashes++;
      }
      if (roll < 0.8) {
        sentTexts.push(roll < 0.7 ? text : `${text} long`);
      }
      seen = events.length;

      // Invariants on what was sent.
      const records: ConversationRecord[] = await store.readAll(id);
      const storedBlocks = new Set<string>();
      for (const record of records) {
        if (record.kind === 'assistant') {
          record.content.filter((block) => block.type === 'compaction').forEach((block) => storedBlocks.add(JSON.stringify(block)));
        }
        if (record.kind === 'compaction' && record.block) {
          storedBlocks.add(JSON.stringify(record.block));
        }
      }
      for (const request of await takeRequests()) {
        const { messages } = request.body;
        for (let i = 1; i < messages.length; i++) {
          assert.notEqual(messages[i]!.role, messages[i - 1]!.role, `step ${step}: roles alternate`);
        }
        assert.ok(messages[0]!.role === 'user' || messages[0]!.content[0]!.type === 'compaction', `step ${step}: a request opens with the user or a summary`);
        messages.forEach((message, m) =>
          message.content.forEach((block, b) => {
            if (block.type !== 'compaction') {
              return;
            }
            const { cache_control: _cache, ...sent } = block;
            assert.ok(storedBlocks.has(JSON.stringify(sent)), `step ${step}: compaction block round-trips byte for byte`);
            if (typeof block.signature === 'string') {
              assert.deepEqual([m, b], [0, 0], `step ${step}: a signed block stands first`);
            }
          }),
        );
        assert.ok(JSON.stringify(messages).length < 60_000, `step ${step}: request size stays bounded (${JSON.stringify(messages).length})`);
        assert.notEqual(request.status, 400, `step ${step}: the emulator accepted the request ${JSON.stringify(messages.map((message) => [message.role, message.content.map((block) => block.type)]))}`);
      }
      // No user message is ever lost.
      const storedTexts = new Set(records.filter((record) => record.kind === 'user').map((record) => JSON.stringify(record.content.at(-1))));
      for (const sent of sentTexts) {
        assert.ok(storedTexts.has(JSON.stringify({ type: 'text', text: sent })), `step ${step}: user message kept`);
      }
    }
    await store.dispose();
    console.log(`      randomized session: ${JSON.stringify(counts)}`);
    assert.ok(counts.turns > 40 && counts.crashes > 3 && counts.onDemand > 3);
  });

  test('a scripted 500-turn session stays within one turn of the trigger, with bounded requests', async () => {
    const settings: SessionSettings = testSettings();
    await control('config', { tokenMultiplier: 25 });
    const store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    const events: SessionEvent[] = [];
    const session = await openSession(store, id, settings, events);
    const requestBytes: number[] = [];
    let maxContext = 0;
    let maxGrowth = 0;
    let previousContext = 0;
    for (let turn = 1; turn <= 500; turn++) {
      await session.send(`Turn ${turn}: please look at this part of the code ` + 'token '.repeat(20 + (turn % 7) * 5));
      const preview = JSON.stringify(await session.previewRequest());
      requestBytes.push(Buffer.byteLength(preview));
      const context = session.meter().contextTokens;
      maxContext = Math.max(maxContext, context);
      if (context > previousContext) {
        maxGrowth = Math.max(maxGrowth, context - previousContext);
      }
      previousContext = context;
    }
    const compactions = events.filter((event) => event.type === 'item' && event.item.kind === 'compaction').length;
    assert.equal(events.filter((event) => event.type === 'turnFailed').length, 0);
    assert.ok(compactions >= 10, `compacted ${compactions} times`);
    assert.ok(maxContext <= settings.triggerTokens + maxGrowth, `peak context ${maxContext} stays within one turn (${maxGrowth}) of the trigger`);
    const at50 = requestBytes[49]!;
    const at500 = requestBytes[499]!;
    assert.ok(at500 < at50 * 3, `request bytes at turn 500 (${at500}) stay near turn 50 (${at50})`);
    // Reopening the 500-turn conversation shows its last screen without reading everything.
    const started = process.hrtime.bigint();
    const reopened = await ConversationSession.open({
      store: new JsonlConversationStore(folder),
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test assistant in a long session.',
    });
    const openMs = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(reopened.items().items.length > 0);
    await store.dispose();
    console.log(
      `      500 turns: ${compactions} compactions, request bytes turn 50 = ${at50}, turn 500 = ${at500}, peak context ${maxContext} tokens (trigger ${settings.triggerTokens}, largest turn ${maxGrowth}), reopen ${openMs.toFixed(1)} ms`,
    );
  });
});
