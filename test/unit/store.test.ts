import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConversationStore, Logger } from '../../src/core/ports';
import type { ConversationRecord } from '../../src/core/records';
import { DEFAULT_TITLE, InMemoryConversationStore, JsonlConversationStore, titleFromText } from '../../src/core/store';

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';

class RecordingLogger implements Logger {
  readonly messages: { level: Level; text: string }[] = [];
  trace(message: string): void {
    this.messages.push({ level: 'trace', text: message });
  }
  debug(message: string): void {
    this.messages.push({ level: 'debug', text: message });
  }
  info(message: string): void {
    this.messages.push({ level: 'info', text: message });
  }
  warn(message: string): void {
    this.messages.push({ level: 'warn', text: message });
  }
  error(message: string | Error): void {
    this.messages.push({ level: 'error', text: String(message) });
  }
  assertHasMessage(level: Level, pattern: RegExp): void {
    const found = this.messages.some((message) => message.level === level && pattern.test(message.text));
    assert.ok(found, `expected a ${level} matching ${pattern}, got ${JSON.stringify(this.messages)}`);
  }
  count(level: Level): number {
    return this.messages.filter((message) => message.level === level).length;
  }
}

type TestStore = ConversationStore & { flush(): Promise<void>; dispose(): Promise<void> };

/** Record times after any conversation a test creates, so that `updatedAt` follows them. */
const T = Date.now() + 3_600_000;

function user(id: string, text: string, at = T): ConversationRecord {
  return { v: 1, kind: 'user', id, at, content: [{ type: 'text', text }] };
}

function assistant(id: string, text: string, at = T): ConversationRecord {
  return {
    v: 1,
    kind: 'assistant',
    id,
    at,
    content: [{ type: 'text', text }],
    stopReason: 'end_turn',
    status: 'done',
    model: 'claude-sonnet-5-5',
  };
}

function idsOf(records: ConversationRecord[]): string[] {
  return records.map((record) => ('id' in record ? record.id : `${record.kind}:${record.at}`));
}

/** The behaviour every ConversationStore must have; run against both implementations. */
function contractSuite(name: string, makeStore: () => TestStore): void {
  suite(`${name} (ConversationStore contract)`, () => {
    let store: TestStore;

    setup(() => {
      store = makeStore();
    });

    teardown(async () => {
      await store.dispose();
    });

    test('round-trips appended records through readAll and readTail', async () => {
      const { id } = await store.create();
      const records = [user('u1', 'hello', T + 10), assistant('a1', 'hi there', T + 20), user('u2', 'more', T + 30)];
      for (const record of records) {
        await store.append(id, record);
      }
      const all = await store.readAll(id);
      assert.deepEqual(all[0], { v: 1, kind: 'title', at: all[0]?.at, title: DEFAULT_TITLE });
      assert.deepEqual(all.slice(1), records);
      assert.deepEqual(await store.readTail(id, 2), records.slice(1));
      assert.deepEqual(await store.readTail(id, 3), records);
      assert.equal((await store.readTail(id, 100)).length, 4);
      assert.deepEqual(await store.readTail(id, 0), []);
    });

    test('creates conversations with a default or given title and unique ids', async () => {
      const before = Date.now();
      const first = await store.create();
      const second = await store.create('Refactor the parser');
      assert.equal(first.title, 'New conversation');
      assert.equal(second.title, 'Refactor the parser');
      assert.notEqual(first.id, second.id);
      assert.match(first.id, /^c-[0-9a-z]+-[0-9a-f]+$/);
      assert.ok(first.createdAt >= before && first.createdAt <= Date.now());
      assert.equal(first.messageCount, 0);
      const listed = await store.list();
      assert.deepEqual(listed.map((entry) => entry.id).sort(), [first.id, second.id].sort());
    });

    test('keeps call order under 200 concurrent appends', async () => {
      const { id } = await store.create();
      const records = Array.from({ length: 200 }, (_, i) =>
        i % 2 === 0 ? user(`m${i}`, `question ${i}`, T + i) : assistant(`m${i}`, `answer ${i}`, T + i),
      );
      await Promise.all(records.map((record) => store.append(id, record)));
      const all = await store.readAll(id);
      assert.deepEqual(idsOf(all.slice(1)), idsOf(records));
      const [entry] = await store.list();
      assert.equal(entry?.messageCount, 200);
      assert.equal(entry?.updatedAt, T + 199);
    });

    test('titles a new conversation from the first line of the first user message', async () => {
      const { id } = await store.create();
      await store.append(id, user('u1', '\n  Why does   the build fail?  \nsecond line'));
      await store.append(id, assistant('a1', 'Because...'));
      await store.append(id, user('u2', 'Another question'));
      const [entry] = await store.list();
      assert.equal(entry?.title, 'Why does the build fail?');
      assert.equal(entry?.messageCount, 3);
    });

    test('titles a conversation from what the user typed, not from the files attached before it', async () => {
      const { id } = await store.create();
      const record = user('u1', 'Summarize this file');
      if (record.kind === 'user') {
        record.content.unshift({ type: 'text', text: '<file path="src/a.ts">\nconst a = 1;\n</file>' });
      }
      await store.append(id, record);
      const [entry] = await store.list();
      assert.equal(entry?.title, 'Summarize this file');
    });

    test('cuts a long first message to 60 characters with an ellipsis', async () => {
      const { id } = await store.create();
      const text = 'Please explain in detail how the compaction round trip works when the server compacts';
      await store.append(id, user('u1', text));
      const [entry] = await store.list();
      assert.equal(entry?.title.length, 60);
      assert.ok(entry?.title.endsWith('…'));
      assert.equal(entry?.title, `${text.slice(0, 59).trimEnd()}…`);
    });

    test('keeps a title given at creation when the first message arrives', async () => {
      const { id } = await store.create('Chosen title');
      await store.append(id, user('u1', 'Something else'));
      const [entry] = await store.list();
      assert.equal(entry?.title, 'Chosen title');
    });

    test('renames a conversation and records the title in its history', async () => {
      const { id } = await store.create();
      await store.append(id, user('u1', 'First question'));
      await store.rename(id, '  Parser work  ');
      const [entry] = await store.list();
      assert.equal(entry?.title, 'Parser work');
      const last = (await store.readTail(id, 1))[0];
      assert.equal(last?.kind, 'title');
      assert.equal(last?.kind === 'title' ? last.title : undefined, 'Parser work');
      await assert.rejects(store.rename(id, '   '), /title cannot be empty/);
    });

    test('deletes a conversation', async () => {
      const kept = await store.create('kept');
      const gone = await store.create('gone');
      await store.append(gone.id, user('u1', 'bye'));
      await store.delete(gone.id);
      assert.deepEqual(
        (await store.list()).map((entry) => entry.id),
        [kept.id],
      );
      await assert.rejects(store.readAll(gone.id), /No conversation with id/);
      await assert.rejects(store.append(gone.id, user('u2', 'again')), /No conversation with id/);
    });

    test('lists conversations by last update, newest first', async () => {
      const a = await store.create('a');
      const b = await store.create('b');
      const c = await store.create('c');
      const now = Date.now();
      await store.append(a.id, user('u', 'x', now + 3_000));
      await store.append(c.id, user('u', 'x', now + 2_000));
      await store.append(b.id, user('u', 'x', now + 1_000));
      assert.deepEqual(
        (await store.list()).map((entry) => entry.title),
        ['a', 'c', 'b'],
      );
    });

    test('refuses ids that could escape the folder', async () => {
      for (const bad of ['../evil', 'a/b', 'a\\b', '..', '', 'x.jsonl', 'Upper', 'con']) {
        await assert.rejects(store.append(bad, user('u', 'x')), /Invalid conversation id/, bad);
        await assert.rejects(store.readTail(bad, 5), /Invalid conversation id/, bad);
        await assert.rejects(store.readAll(bad), /Invalid conversation id/, bad);
        await assert.rejects(store.rename(bad, 'x'), /Invalid conversation id/, bad);
        await assert.rejects(store.delete(bad), /Invalid conversation id/, bad);
      }
    });

    test('refuses to append to a conversation that was never created', async () => {
      await assert.rejects(store.append('c-unknown', user('u', 'x')), /No conversation with id "c-unknown"/);
      await assert.rejects(store.readTail('c-unknown', 3), /No conversation with id/);
    });

    test('stores a copy: changing a record after appending changes nothing', async () => {
      const { id } = await store.create();
      const record = user('u1', 'original');
      await store.append(id, record);
      if (record.kind === 'user') {
        record.content.push({ type: 'text', text: 'mutated' });
      }
      const [stored] = await store.readTail(id, 1);
      assert.deepEqual(stored, user('u1', 'original'));
    });
  });
}

const tempFolders: string[] = [];

function tempFolder(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-store-'));
  tempFolders.push(folder);
  return folder;
}

suiteTeardown(() => {
  for (const folder of tempFolders) {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

contractSuite('InMemoryConversationStore', () => new InMemoryConversationStore());
contractSuite('JsonlConversationStore', () => new JsonlConversationStore(path.join(tempFolder(), 'store')));

suite('JsonlConversationStore on disk', () => {
  let folder: string;
  let logger: RecordingLogger;
  const open: JsonlConversationStore[] = [];

  function openStore(): JsonlConversationStore {
    const store = new JsonlConversationStore(folder, logger);
    open.push(store);
    return store;
  }

  function fileOf(id: string): string {
    return path.join(folder, `${id}.jsonl`);
  }

  function readIndex(): { version: number; conversations: { id: string; title: string; messageCount: number }[] } {
    return JSON.parse(fs.readFileSync(path.join(folder, 'index.json'), 'utf8')) as {
      version: number;
      conversations: { id: string; title: string; messageCount: number }[];
    };
  }

  setup(() => {
    folder = path.join(tempFolder(), 'conversations');
    logger = new RecordingLogger();
  });

  teardown(async () => {
    await Promise.all(open.splice(0).map((store) => store.dispose()));
  });

  test('does no I/O until the first write, then creates its folder', async () => {
    const store = openStore();
    assert.equal(fs.existsSync(folder), false);
    assert.deepEqual(await store.list(), []);
    assert.equal(fs.existsSync(folder), false, 'listing an empty store must not create the folder');
    const { id } = await store.create();
    assert.ok(fs.existsSync(fileOf(id)));
    assert.equal(logger.count('warn'), 0);
  });

  test('writes one JSON record per line and only ever appends', async () => {
    const store = openStore();
    const { id } = await store.create();
    await store.append(id, user('u1', 'multi\nline "quoted"'));
    const before = fs.readFileSync(fileOf(id));
    await store.append(id, assistant('a1', 'reply'));
    const after = fs.readFileSync(fileOf(id));
    assert.deepEqual(after.subarray(0, before.length), before);
    const lines = after.toString('utf8').split('\n');
    assert.equal(lines.length, 4);
    assert.equal(lines[3], '');
    assert.deepEqual(JSON.parse(lines[1] ?? ''), user('u1', 'multi\nline "quoted"'));
    assert.deepEqual(JSON.parse(lines[2] ?? ''), assistant('a1', 'reply'));
  });

  test('survives a reopen: another instance sees the same conversations and records', async () => {
    const first = openStore();
    const { id } = await first.create();
    await first.append(id, user('u1', 'Remember me', T + 5_000));
    await first.append(id, assistant('a1', 'I will', T + 6_000));
    await first.dispose();

    const second = openStore();
    const [entry] = await second.list();
    assert.deepEqual(entry, { id, title: 'Remember me', createdAt: entry?.createdAt, updatedAt: T + 6_000, messageCount: 2 });
    assert.deepEqual(idsOf(await second.readAll(id)).slice(1), ['u1', 'a1']);
    assert.equal(logger.count('warn'), 0);
  });

  test('keeps call order when concurrent appends race the opening of the file', async () => {
    const first = openStore();
    const { id } = await first.create();
    await first.dispose();
    // A fresh instance must load the index, check the file's tail and open it while appends pile up;
    // sizes vary so that unordered writes would finish out of order.
    const second = openStore();
    const records = Array.from({ length: 200 }, (_, i) => user(`m${i}`, 'x'.repeat(i % 7 === 0 ? 300_000 : 10), T + i));
    await Promise.all(records.map((record) => second.append(id, record)));
    const lines = fs.readFileSync(fileOf(id), 'utf8').split('\n');
    assert.equal(lines.length, 202);
    assert.deepEqual(idsOf(await second.readAll(id)).slice(1), idsOf(records));
  });

  test('coalesces index writes instead of writing the index on every append', async () => {
    const store = openStore();
    const { id } = await store.create();
    for (let i = 0; i < 100; i++) {
      await store.append(id, user(`u${i}`, `message ${i}`, T + i));
    }
    assert.ok(store.stats.indexWrites <= 1, `index written ${store.stats.indexWrites} times during 100 appends`);
    await store.flush();
    const index = readIndex();
    assert.equal(index.conversations[0]?.messageCount, 100);
    assert.equal(index.conversations[0]?.title, 'message 0');
    assert.ok(store.stats.indexWrites <= 2);
  });

  test('writes a pending index change by itself shortly after the last append', async () => {
    const store = openStore();
    const { id } = await store.create();
    await store.append(id, user('u1', 'Debounced title'));
    await new Promise((resolve) => setTimeout(resolve, 800));
    assert.equal(readIndex().conversations[0]?.title, 'Debounced title');
  });

  test('drops a torn last line on reopen, warns, and the next append starts clean', async () => {
    const first = openStore();
    const { id } = await first.create();
    await first.append(id, user('u1', 'one'));
    await first.append(id, assistant('a1', 'two'));
    await first.dispose();
    // A crash in the middle of writing the third record.
    fs.appendFileSync(fileOf(id), '{"v":1,"kind":"user","id":"u2","at":3,"content":[{"type":"te');

    const second = openStore();
    assert.deepEqual(idsOf(await second.readAll(id)).slice(1), ['u1', 'a1']);
    assert.deepEqual(idsOf(await second.readTail(id, 5)).slice(1), ['u1', 'a1']);
    logger.assertHasMessage('warn', new RegExp(`Conversation ${id}: dropped a torn last line`));

    await second.append(id, user('u3', 'three'));
    logger.assertHasMessage('warn', new RegExp(`Conversation ${id}: removed a torn last line`));
    const lines = fs.readFileSync(fileOf(id), 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    for (const line of lines) {
      JSON.parse(line); // every line is whole again
    }
    assert.deepEqual(idsOf(await second.readAll(id)).slice(1), ['u1', 'a1', 'u3']);
    assert.deepEqual(idsOf(await second.readTail(id, 2)), ['a1', 'u3']);
  });

  test('keeps a last record that only lost its newline, and completes it before appending', async () => {
    const first = openStore();
    const { id } = await first.create();
    await first.dispose();
    fs.appendFileSync(fileOf(id), JSON.stringify(user('u1', 'whole but unterminated')));

    const second = openStore();
    assert.deepEqual(idsOf(await second.readTail(id, 1)), ['u1']);
    await second.append(id, assistant('a1', 'reply'));
    assert.deepEqual(idsOf(await second.readAll(id)).slice(1), ['u1', 'a1']);
    assert.ok(fs.readFileSync(fileOf(id), 'utf8').endsWith('\n'));
  });

  test('skips corrupt middle lines and lines that are not records, with a warning', async () => {
    const first = openStore();
    const { id } = await first.create();
    await first.append(id, user('u1', 'before'));
    await first.dispose();
    fs.appendFileSync(fileOf(id), 'garbage that is not json\n{"some":"object"}\n\n');
    const second = openStore();
    await second.append(id, user('u2', 'after'));

    assert.deepEqual(idsOf(await second.readAll(id)).slice(1), ['u1', 'u2']);
    assert.deepEqual(idsOf(await second.readTail(id, 2)), ['u1', 'u2']);
    logger.assertHasMessage('warn', /skipped a line that is not valid JSON/);
    logger.assertHasMessage('warn', /skipped a line that is not a conversation record/);
  });

  test('rebuilds a garbage index from the conversation files', async () => {
    const first = openStore();
    const a = await first.create();
    await first.append(a.id, user('u1', 'Alpha question', T + 10_000));
    await first.append(a.id, assistant('a1', 'answer', T + 11_000));
    const b = await first.create('Named beta');
    await first.append(b.id, user('u1', 'Beta question', T + 12_000));
    await first.dispose();
    const expected = await new JsonlConversationStore(folder).list();
    fs.writeFileSync(path.join(folder, 'index.json'), '{"version":1,"conversations":[{"id":');

    const second = openStore();
    const rebuilt = await second.list();
    assert.deepEqual(rebuilt, expected);
    assert.deepEqual(
      rebuilt.map((entry) => [entry.title, entry.messageCount, entry.updatedAt]),
      [
        ['Named beta', 1, T + 12_000],
        ['Alpha question', 2, T + 11_000],
      ],
    );
    assert.equal(rebuilt[1]?.createdAt, a.createdAt);
    logger.assertHasMessage('warn', /index is unreadable.*rebuilding/);
    assert.deepEqual(
      readIndex().conversations.map((entry) => entry.id),
      [b.id, a.id],
    );
  });

  test('rebuilds a missing index', async () => {
    const first = openStore();
    const { id } = await first.create();
    await first.append(id, user('u1', 'Lost index'));
    await first.dispose();
    fs.unlinkSync(path.join(folder, 'index.json'));

    const second = openStore();
    const [entry] = await second.list();
    assert.equal(entry?.id, id);
    assert.equal(entry?.title, 'Lost index');
    assert.equal(entry?.messageCount, 1);
    logger.assertHasMessage('warn', /index is missing/);
    assert.equal(readIndex().conversations[0]?.id, id);
  });

  test('reconciles the index with the files: adds unindexed files, drops entries without a file', async () => {
    const first = openStore();
    const kept = await first.create('kept');
    const removed = await first.create('removed');
    await first.dispose();
    fs.unlinkSync(fileOf(removed.id));
    const stray = 'c-stray-1';
    fs.writeFileSync(
      fileOf(stray),
      `${JSON.stringify({ v: 1, kind: 'title', at: 500, title: 'Stray' })}\n${JSON.stringify(user('u1', 'hi', 700))}\n`,
    );
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not a conversation');

    const second = openStore();
    const listed = await second.list();
    assert.deepEqual(
      listed.map((entry) => entry.id).sort(),
      [kept.id, stray].sort(),
    );
    assert.deepEqual(
      listed.find((entry) => entry.id === stray),
      { id: stray, title: 'Stray', createdAt: 500, updatedAt: 700, messageCount: 1 },
    );
    assert.deepEqual(
      readIndex().conversations.map((entry) => entry.id).sort(),
      [kept.id, stray].sort(),
    );
  });

  test('two stores on one folder merge their index changes instead of overwriting them', async () => {
    const windowA = openStore();
    const windowB = openStore();
    const a = await windowA.create('from A');
    const b = await windowB.create('from B');
    await windowA.append(a.id, user('u1', 'x'));
    await windowB.append(b.id, user('u1', 'y'));
    await windowB.append(b.id, assistant('a1', 'z'));
    await windowA.flush();
    await windowB.flush();

    const byId = new Map(readIndex().conversations.map((entry) => [entry.id, entry]));
    assert.equal(byId.get(a.id)?.messageCount, 1);
    assert.equal(byId.get(b.id)?.messageCount, 2);
    assert.equal(byId.size, 2);

    await windowA.delete(a.id);
    await windowA.flush();
    await windowB.append(b.id, user('u2', 'again'));
    await windowB.flush();
    assert.deepEqual(
      readIndex().conversations.map((entry) => entry.id),
      [b.id],
    );
    assert.deepEqual(
      (await windowB.list()).map((entry) => entry.id),
      [b.id],
    );
  });

  test('refuses writes after dispose', async () => {
    const store = openStore();
    const { id } = await store.create();
    await store.dispose();
    await assert.rejects(store.append(id, user('u', 'late')), /disposed/);
  });

  suite('a 10,000-record conversation', () => {
    const RECORDS = 10_000;

    test('readTail(50) reads only the end of the file and returns the right records', async () => {
      const writer = openStore();
      const { id } = await writer.create();
      const lines: string[] = [];
      for (let i = 0; i < RECORDS; i++) {
        lines.push(JSON.stringify(i % 2 === 0 ? user(`m${i}`, `question ${i} `.repeat(10), i) : assistant(`m${i}`, `answer ${i} `.repeat(20), i)));
      }
      fs.appendFileSync(fileOf(id), `${lines.join('\n')}\n`);
      const size = fs.statSync(fileOf(id)).size;

      const reader = openStore();
      const started = performance.now();
      const tail = await reader.readTail(id, 50);
      const elapsed = performance.now() - started;

      assert.deepEqual(
        idsOf(tail),
        Array.from({ length: 50 }, (_, i) => `m${RECORDS - 50 + i}`),
      );
      assert.ok(reader.stats.bytesRead <= 64 * 1024, `read ${reader.stats.bytesRead} of ${size} bytes`);
      assert.ok(reader.stats.bytesRead < size / 10);
      console.log(`      readTail(50) of ${RECORDS} records (${size} bytes): ${elapsed.toFixed(2)} ms, read ${reader.stats.bytesRead} bytes`);
    });

    test('appending at record 10,000 reads nothing of the file, like at record 10', async () => {
      const store = openStore();
      const { id } = await store.create();
      const timeAppends = async (from: number, n: number): Promise<number> => {
        const started = performance.now();
        for (let i = from; i < from + n; i++) {
          await store.append(id, user(`m${i}`, `message number ${i} with some text`, i));
        }
        return (performance.now() - started) / n;
      };
      await timeAppends(0, 10);
      const readAfterFirstAppends = store.stats.bytesRead;
      const early = await timeAppends(10, 100);
      await timeAppends(110, RECORDS - 110);
      const late = await timeAppends(RECORDS, 100);

      assert.equal(store.stats.bytesRead, readAfterFirstAppends, 'appending must never read the file');
      await store.flush();
      assert.equal(readIndex().conversations[0]?.messageCount, RECORDS + 100);
      assert.deepEqual(idsOf(await store.readTail(id, 2)), [`m${RECORDS + 98}`, `m${RECORDS + 99}`]);
      console.log(`      append: ${(early * 1000).toFixed(0)} µs at record 10, ${(late * 1000).toFixed(0)} µs at record 10,000 (avg of 100)`);
    });
  });
});

suite('titleFromText', () => {
  test('keeps emoji whole when cutting', () => {
    const title = titleFromText('😀'.repeat(70));
    assert.equal(Array.from(title ?? '').length, 60);
    assert.equal(title, `${'😀'.repeat(59)}…`);
  });

  test('gives nothing for blank text', () => {
    assert.equal(titleFromText(' \n\t\n'), undefined);
  });
});
