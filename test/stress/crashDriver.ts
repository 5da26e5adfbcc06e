// The process the crash test kills: the real conversation engine and JSONL store, writing conversations
// against the emulator as fast as it can until SIGKILL. It says on stdout (a pipe, written synchronously)
// which record it is about to append ("begin") and which has reached the file ("wrote"), so that the
// parent knows, after the kill, what must be on disk and what was in flight.
// Usage: node crashDriver.js <folder> <emulator url> <seed>; it loads, says "loaded", and starts on a
// line "go" on stdin (so that the parent can start the next driver while it checks the last kill).
import * as fs from 'node:fs';
import { createClient } from '../../src/core/client';
import type { ConversationIndexEntry, ConversationStore } from '../../src/core/ports';
import type { ConversationRecord } from '../../src/core/records';
import { ConversationSession, type SessionSettings } from '../../src/core/session';
import { JsonlConversationStore } from '../../src/core/store';
import { between, pick, seededRandom } from './random';
import { testSettings } from '../fixtures/settings';

/** How a record is recognised in the file: its id, or what a title or settings record says. */
export function recordKey(record: ConversationRecord): string {
  switch (record.kind) {
    case 'title':
      return `title@${record.at}:${record.title}`;
    case 'settings':
      return `settings@${record.at}:${record.compactionMode}`;
    default:
      return record.id;
  }
}

function say(line: string): void {
  // writeSync: the line is in the pipe before the next statement runs, so a kill cannot reorder it.
  fs.writeSync(1, `${line}\n`);
}

/** The real store, reporting each append before and after. */
class ReportingStore implements ConversationStore {
  constructor(private readonly inner: JsonlConversationStore) {}
  list(): Promise<ConversationIndexEntry[]> {
    return this.inner.list();
  }
  async create(title?: string): Promise<ConversationIndexEntry> {
    say('begin-create');
    const entry = await this.inner.create(title);
    say(`created ${entry.id}`);
    return entry;
  }
  async append(id: string, record: ConversationRecord): Promise<void> {
    const key = recordKey(record);
    say(`begin ${id} ${key}`);
    await this.inner.append(id, record);
    say(`wrote ${id} ${key}`);
  }
  readTail(id: string, count: number): Promise<ConversationRecord[]> {
    return this.inner.readTail(id, count);
  }
  readAll(id: string): Promise<ConversationRecord[]> {
    return this.inner.readAll(id);
  }
  rename(id: string, title: string): Promise<void> {
    // Through append, so that the title record is reported like any other.
    return this.append(id, { v: 1, kind: 'title', at: Date.now(), title });
  }
  delete(id: string): Promise<void> {
    return this.inner.delete(id);
  }
}

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    let buffered = '';
    process.stdin.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (buffered.includes('go\n')) {
        resolve();
      }
    });
  });
}

async function main(): Promise<void> {
  const [folder, url, seedText] = process.argv.slice(2);
  if (!folder || !url || !seedText) {
    throw new Error('usage: crashDriver <folder> <emulator url> <seed>');
  }
  say('loaded');
  await waitForGo();
  const random = seededRandom(Number(seedText));
  const store = new ReportingStore(new JsonlConversationStore(folder));
  const settings: SessionSettings = testSettings();
  const open = (conversationId: string) =>
    ConversationSession.open({
      store,
      conversationId,
      client: () => createClient({ apiKey: 'crash-test-key', baseURL: url }),
      settings: () => settings,
      systemPrompt: async () => 'You are the assistant of a crash test.',
      retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetries: 2 },
      idleTimeoutMs: 2000,
    });
  const ids = (await store.list()).map((entry) => entry.id);
  while (ids.length < 3) {
    ids.push((await store.create()).id);
  }
  say('ready');
  for (let step = 0; ; step++) {
    const roll = random();
    if (roll < 0.08) {
      ids.push((await store.create()).id);
      continue;
    }
    if (roll < 0.16) {
      await store.rename(pick(random, ids), `Renamed at step ${step} ${'·'.repeat(between(random, 0, 40))}`);
      continue;
    }
    // Some turns run in two conversations at once, so that two appends can be in flight when the kill comes.
    const chosen = roll < 0.3 ? [...new Set([pick(random, ids), pick(random, ids)])] : [pick(random, ids)];
    await Promise.all(
      chosen.map(async (id) => {
        const session = await open(id);
        const action = random();
        // A large message now and then, so that a kill can land inside one long write.
        const size = random() < 0.15 ? between(random, 64_000, 256_000) : between(random, 10, 400);
        if (action < 0.85) {
          await session.send(`step ${step}: ${'lorem ipsum dolor '.repeat(Math.ceil(size / 18)).slice(0, size)}`);
        } else if (action < 0.93) {
          // Answers a message whose answer a previous kill cut off (or says there is nothing to retry).
          await session.retryLast();
        } else {
          await session.compactNow();
        }
      }),
    );
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    say(`error ${error instanceof Error ? (error.stack ?? error.message).replace(/\n/g, ' | ') : String(error)}`);
    process.exit(1);
  });
}
