import * as assert from 'node:assert/strict';
import { silentLogger } from '../../src/core/ports';
import { PendingAttachments, type PendingEntry } from '../../src/host/context/pendingAttachments';

/** A workspace state as VS Code keeps it: values survive a new extension host (a window reload). */
class MemoryMemento {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    // Stored values come back as JSON, as from VS Code's storage.
    const value = this.values.get(key);
    return value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as T);
  }
  update(key: string, value: unknown): Promise<void> {
    if (value === undefined) {
      this.values.delete(key);
    } else {
      this.values.set(key, JSON.parse(JSON.stringify(value)));
    }
    return Promise.resolve();
  }
}

function entry(id: string, label: string, pinned?: boolean): PendingEntry {
  return {
    id,
    key: `file:${label}`,
    uri: `file:///w/${label}`,
    built: { block: { type: 'text', text: `<file path="${label}">…</file>` }, summary: { kind: 'file', label, tokens: 12, ...(pinned ? { pinned } : {}) } },
  };
}

suite('pending attachments: kept across a reload with what they send', () => {
  test('a new host reads back the same entries, blocks and pins included, per conversation', () => {
    const state = new MemoryMemento();
    const before = new PendingAttachments(state, silentLogger);
    before.set('c-1', [entry('a1', 'src/a.ts', true), entry('a2', 'README.md')]);
    before.set('c-2', [entry('a3', 'other.ts')]);
    const after = new PendingAttachments(state, silentLogger);
    assert.deepEqual(after.get('c-1'), [entry('a1', 'src/a.ts', true), entry('a2', 'README.md')]);
    assert.deepEqual(after.get('c-2').map((pending) => pending.id), ['a3']);
    assert.deepEqual(after.get('c-3'), []);
  });

  test('a pin set in place is kept once the list is set again; a taken list leaves nothing behind', () => {
    const state = new MemoryMemento();
    const pending = new PendingAttachments(state, silentLogger);
    pending.set('c-1', [entry('a1', 'src/a.ts')]);
    const list = pending.get('c-1');
    list[0]!.built.summary.pinned = true;
    pending.set('c-1', list);
    assert.equal(new PendingAttachments(state, silentLogger).get('c-1')[0]?.built.summary.pinned, true);
    pending.set('c-1', []);
    assert.equal(state.values.size, 0);
    pending.set('c-1', [entry('a1', 'src/a.ts')]);
    pending.delete('c-1');
    assert.deepEqual(new PendingAttachments(state, silentLogger).get('c-1'), []);
  });

  test('malformed stored entries are dropped, not sent', () => {
    const state = new MemoryMemento();
    void state.update('marathon.pending.c-1', [entry('a1', 'ok.ts'), { id: 'a2' }, { ...entry('a3', 'x.ts'), built: { summary: { kind: 'file', label: 'x.ts', tokens: 1 } } }, 'junk']);
    assert.deepEqual(new PendingAttachments(state, silentLogger).get('c-1').map((pending) => pending.id), ['a1']);
  });

  test('ids differ between hosts, so a chip from before a reload never names a new attachment', () => {
    const state = new MemoryMemento();
    const ids = new Set<string>();
    for (let host = 0; host < 3; host++) {
      const pending = new PendingAttachments(state, silentLogger);
      for (let i = 0; i < 5; i++) {
        ids.add(pending.newId());
      }
    }
    assert.equal(ids.size, 15);
  });
});
