// Append-only conversation storage: one JSONL file of records per conversation, plus a small index.
// Record lines are appended whole, with one write call each, and files are never rewritten, so a crash
// can at most tear the last line; reading drops it and the next append trims it (DESIGN.md "Failure").
// The index is only a cache of what the files say: when it is lost or stale it is rebuilt from them.
// This module puts the pieces under ./store behind the port: the files, the index, ids and titles.
import { silentLogger, type ConversationIndexEntry, type ConversationStore, type Logger } from './ports';
import type { ConversationRecord } from './records';
import { ConversationIndex } from './store/conversationIndex';
import { ConversationFiles, type ConversationStoreStats } from './store/conversationFiles';
import { DEFAULT_TITLE, applyRecordToEntry, newConversationId, normalizeTitle, serializeRecord, validateConversationId } from './store/entries';

export { DEFAULT_TITLE, titleFromText } from './store/entries';
export { InMemoryConversationStore } from './store/memoryStore';

export class JsonlConversationStore implements ConversationStore {
  private readonly counters: ConversationStoreStats = { bytesRead: 0, indexWrites: 0 };
  private readonly files: ConversationFiles;
  private readonly index: ConversationIndex;
  private disposed = false;

  /** Does no I/O: the folder is created on the first write, the index read on first use. */
  constructor(folder: string, logger: Logger = silentLogger) {
    this.files = new ConversationFiles(folder, logger, this.counters);
    this.index = new ConversationIndex(this.files, logger, this.counters);
  }

  get stats(): Readonly<ConversationStoreStats> {
    return { ...this.counters };
  }

  async list(): Promise<ConversationIndexEntry[]> {
    const firstLoad = !this.index.isLoaded;
    await this.index.ensureLoaded();
    if (!firstLoad) {
      // Another window may have created, renamed or deleted conversations since we last looked.
      await this.index.syncWithDisk();
    }
    return this.index.list();
  }

  async create(title?: string): Promise<ConversationIndexEntry> {
    this.assertNotDisposed();
    const finalTitle = title === undefined ? DEFAULT_TITLE : normalizeTitle(title);
    await this.index.ensureLoaded();
    const at = Date.now();
    const id = newConversationId(at);
    const entry: ConversationIndexEntry = { id, title: finalTitle, createdAt: at, updatedAt: at, messageCount: 0 };
    // The title record makes the file self-describing, so a lost index can be rebuilt with the
    // right title and creation time. The file exists before the entry, which reconciliation relies on.
    const line = serializeRecord({ v: 1, kind: 'title', at, title: finalTitle });
    await this.files.enqueue(id, async () => {
      await this.files.writeLine(id, line);
      this.index.add(entry);
    });
    return { ...entry };
  }

  append(id: string, record: ConversationRecord): Promise<void> {
    let line: string;
    try {
      this.assertNotDisposed();
      validateConversationId(id);
      // Serialized now, so that the caller mutating the record afterwards changes nothing.
      line = serializeRecord(record);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // Enqueued synchronously, before any await, so that concurrent appends keep their call order.
    return this.files.enqueue(id, async () => {
      await this.index.requireEntry(id);
      await this.files.writeLine(id, line);
      const entry = this.index.get(id);
      if (entry !== undefined) {
        const titleBefore = entry.title;
        applyRecordToEntry(entry, JSON.parse(line) as ConversationRecord);
        // A new title is written at once: a window reloaded right after the first message shows it.
        this.index.markDirty(entry.title !== titleBefore);
      }
    });
  }

  async readTail(id: string, count: number): Promise<ConversationRecord[]> {
    validateConversationId(id);
    return this.files.readTail(id, count);
  }

  async readAll(id: string): Promise<ConversationRecord[]> {
    validateConversationId(id);
    return this.files.readAll(id);
  }

  async rename(id: string, title: string): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    const finalTitle = normalizeTitle(title);
    await this.append(id, { v: 1, kind: 'title', at: Date.now(), title: finalTitle });
  }

  async delete(id: string): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    // On the conversation's chain, so that appends already queued finish before the file goes.
    await this.files.enqueue(id, async () => {
      await this.index.ensureLoaded();
      await this.files.remove(id);
      this.index.forget(id);
    });
  }

  /** Waits for queued appends and writes pending index changes now. */
  async flush(): Promise<void> {
    await this.files.settledAll();
    await this.index.flush();
  }

  /** Flushes, then closes the open append handles. The store refuses writes afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    // Refuse new writes first, so that the flush below is the last word.
    this.disposed = true;
    this.index.close();
    await this.flush();
    await this.files.closeAll();
  }

  private assertNotDisposed(): void {
    if (this.disposed) {
      throw new Error('The conversation store has been disposed');
    }
  }
}
