// The index after a crash: written a moment after the appends it describes, it can be behind the files.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConversationRecord } from '../../src/core/records';
import { JsonlConversationStore } from '../../src/core/store';

suite('Conversation index recovery after a crash', () => {
  let folder: string;
  setup(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-index-'));
  });
  teardown(() => fs.rmSync(folder, { recursive: true, force: true }));

  const line = (record: ConversationRecord) => `${JSON.stringify(record)}\n`;

  test('an index written before the last appends is corrected from the files when the store opens', async () => {
    const before = new JsonlConversationStore(folder);
    const { id } = await before.create();
    const at = Date.now() + 1000;
    await before.append(id, { v: 1, kind: 'user', id: 'u1', at, content: [{ type: 'text', text: 'first question' }] });
    await before.dispose();
    // What a process killed before its next index write leaves: records the index does not know.
    fs.appendFileSync(
      path.join(folder, `${id}.jsonl`),
      line({ v: 1, kind: 'assistant', id: 'a1', at: at + 1, content: [{ type: 'text', text: 'an answer' }], stopReason: 'end_turn', status: 'done', model: 'm' }) +
        line({ v: 1, kind: 'title', at: at + 2, title: 'Renamed just before the crash' }) +
        line({ v: 1, kind: 'user', id: 'u2', at: at + 3, content: [{ type: 'text', text: 'second question' }] }),
    );
    const after = new JsonlConversationStore(folder);
    const [entry] = await after.list();
    assert.equal(entry?.messageCount, 3);
    assert.equal(entry?.title, 'Renamed just before the crash');
    assert.equal(entry?.updatedAt, at + 3);
    await after.dispose();
    const index = JSON.parse(fs.readFileSync(path.join(folder, 'index.json'), 'utf8')) as { conversations: Array<{ messageCount: number }> };
    assert.equal(index.conversations[0]?.messageCount, 3, 'the corrected entry is written back');
  });

  test('an append that lands between the index snapshot and the index write is not missed', async () => {
    const writer = new JsonlConversationStore(folder);
    const { id } = await writer.create();
    await writer.append(id, { v: 1, kind: 'user', id: 'u1', at: Date.now(), content: [{ type: 'text', text: 'one' }] });
    await writer.dispose();
    const index = JSON.parse(fs.readFileSync(path.join(folder, 'index.json'), 'utf8')) as { writtenAt: number };
    // The record reached the file before the index file did, but after the snapshot it was made from.
    fs.appendFileSync(path.join(folder, `${id}.jsonl`), line({ v: 1, kind: 'user', id: 'u2', at: Date.now(), content: [{ type: 'text', text: 'two' }] }));
    const fileTime = new Date(index.writtenAt - 200);
    fs.utimesSync(path.join(folder, `${id}.jsonl`), fileTime, fileTime);
    const indexTime = new Date(index.writtenAt + 50);
    fs.utimesSync(path.join(folder, 'index.json'), indexTime, indexTime);
    const reader = new JsonlConversationStore(folder);
    assert.equal((await reader.list())[0]?.messageCount, 2);
    await reader.dispose();
  });

  test('after a clean shutdown nothing is rescanned', async () => {
    const writer = new JsonlConversationStore(folder);
    const { id } = await writer.create();
    await writer.append(id, { v: 1, kind: 'user', id: 'u1', at: Date.now(), content: [{ type: 'text', text: 'hello' }] });
    await writer.dispose();
    // The last write was a while before the window closed, as it usually is.
    const earlier = new Date(Date.now() - 5000);
    fs.utimesSync(path.join(folder, `${id}.jsonl`), earlier, earlier);
    const reader = new JsonlConversationStore(folder);
    const [entry] = await reader.list();
    assert.equal(entry?.messageCount, 1);
    assert.equal(reader.stats.bytesRead, 0, 'no conversation file was read');
    await reader.dispose();
  });
});
