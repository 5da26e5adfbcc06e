// The conversation index (index.json): a cache of what the files say, merged with other windows'
// changes, written coalesced and atomically, and rebuilt from the files when it is lost or stale.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ConversationIndexEntry, Logger } from '../ports';
import { ConversationFiles, isErrnoException, type ConversationStoreStats } from './conversationFiles';
import { DEFAULT_TITLE, applyRecordToEntry, compareEntries, isIndexEntry, unknownConversation } from './entries';

const INDEX_FILE = 'index.json';
const INDEX_VERSION = 1;
/** Index writes are coalesced: appends during a busy turn cost one small write, not one each. */
const INDEX_WRITE_DELAY_MS = 500;
/**
 * File times come from a coarse clock, and a line reaches the file a moment before the index hears of
 * it: files changed this close before an index snapshot are scanned again when the store opens.
 */
const INDEX_SNAPSHOT_MARGIN_MS = 1000;

type IndexFileState =
  | { kind: 'ok'; entries: ConversationIndexEntry[]; writtenAt: number }
  | { kind: 'missing'; entries: [] }
  | { kind: 'corrupt'; reason: string; entries: [] };

export class ConversationIndex {
  private readonly entries = new Map<string, ConversationIndexEntry>();
  /** Ids deleted in this process, so that a stale index from another window cannot bring them back. */
  private readonly deleted = new Set<string>();
  private indexChain: Promise<void> = Promise.resolve();
  private loading: Promise<void> | undefined;
  private loaded = false;
  private indexDirty = false;
  private indexTimer: NodeJS.Timeout | undefined;
  /** Set when the store is disposed: changes are still noted, but written only by the last flush. */
  private closing = false;

  constructor(
    private readonly files: ConversationFiles,
    private readonly logger: Logger,
    private readonly counters: ConversationStoreStats,
  ) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** Entries, most recently updated first, as copies. */
  list(): ConversationIndexEntry[] {
    return [...this.entries.values()].map((entry) => ({ ...entry })).sort(compareEntries);
  }

  /** The live entry of `id`, changed in place as records are appended. */
  get(id: string): ConversationIndexEntry | undefined {
    return this.entries.get(id);
  }

  add(entry: ConversationIndexEntry): void {
    this.entries.set(entry.id, entry);
    this.markDirty();
  }

  /** Drops a deleted conversation for good, even if another window's index still lists it. */
  forget(id: string): void {
    this.deleted.add(id);
    if (this.entries.delete(id)) {
      this.markDirty();
    }
  }

  /** Writes pending index changes now. */
  async flush(): Promise<void> {
    if (this.indexTimer !== undefined) {
      clearTimeout(this.indexTimer);
      this.indexTimer = undefined;
    }
    if (this.indexDirty) {
      await this.runIndexTask(() => this.writeIndex());
    } else {
      await this.indexChain;
    }
  }

  /** From now on changes are written by the next flush only. */
  close(): void {
    this.closing = true;
  }

  ensureLoaded(): Promise<void> {
    this.loading ??= this.syncWithDisk().then(
      () => {
        this.loaded = true;
      },
      (error: unknown) => {
        this.loading = undefined; // Let the next call try again.
        throw error;
      },
    );
    return this.loading;
  }

  async requireEntry(id: string): Promise<void> {
    await this.ensureLoaded();
    if (!this.entries.has(id)) {
      // Perhaps another window created it since we loaded.
      await this.syncWithDisk();
    }
    if (!this.entries.has(id)) {
      throw unknownConversation(id);
    }
  }

  markDirty(soon = false): void {
    this.indexDirty = true;
    if (this.closing) {
      return;
    }
    if (soon && this.indexTimer !== undefined) {
      clearTimeout(this.indexTimer);
      this.indexTimer = undefined;
    }
    if (this.indexTimer !== undefined) {
      return;
    }
    this.indexTimer = setTimeout(() => {
      this.indexTimer = undefined;
      this.runIndexTask(() => this.writeIndex()).catch((error: unknown) =>
        this.logger.error(new Error(`Could not write the conversation index: ${String(error)}`)),
      );
    }, soon ? 0 : INDEX_WRITE_DELAY_MS);
    // A pending index write must not keep a process alive; dispose() and flush() write it anyway.
    this.indexTimer.unref();
  }

  private runIndexTask(task: () => Promise<void>): Promise<void> {
    const result = this.indexChain.then(task);
    this.indexChain = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Brings the in-memory index up to date with the index file and the conversation files. */
  syncWithDisk(): Promise<void> {
    return this.runIndexTask(async () => {
      const { disk, files, stale } = await this.mergeFromDisk();
      let rewrite = stale;
      if (disk.kind === 'corrupt') {
        this.logger.warn(`Conversation index is unreadable (${disk.reason}); rebuilding it from the conversation files`);
        rewrite = true;
      } else if (disk.kind === 'missing' && files.size > 0) {
        this.logger.warn('Conversation index is missing; rebuilding it from the conversation files');
        rewrite = true;
      }
      const scanned = new Set<string>();
      for (const id of files) {
        if (this.entries.has(id) || this.deleted.has(id)) {
          continue;
        }
        scanned.add(id);
        const entry = await this.scanFile(id);
        if (entry === undefined || this.entries.has(id)) {
          continue;
        }
        this.entries.set(id, entry);
        if (disk.kind === 'ok') {
          // Normal after a crash before the index was written, or when another window created it.
          this.logger.info(`Conversation ${id} had a file but no index entry; added it to the index`);
        }
        rewrite = true;
      }
      if (!this.loaded && disk.kind === 'ok' && (await this.rescanFilesWrittenSince(disk.writtenAt, files, scanned))) {
        rewrite = true;
      }
      if (rewrite) {
        try {
          await this.writeIndex();
        } catch (error) {
          // The rebuilt list is still right in memory; a later flush tries the write again.
          this.logger.error(new Error(`Could not write the rebuilt conversation index: ${String(error)}`));
        }
      }
    });
  }

  /**
   * The index is written a moment after the appends it describes, so a crash in between leaves it
   * behind the files (message counts, titles). On first load, the files changed since the index was
   * written are scanned again; after a clean shutdown that is none of them (or the last one, when the
   * append and the index write share a clock tick).
   */
  private async rescanFilesWrittenSince(writtenAt: number, files: Set<string>, skip: Set<string>): Promise<boolean> {
    let changed = false;
    for (const id of files) {
      if (skip.has(id) || this.deleted.has(id)) {
        continue;
      }
      let mtimeMs: number;
      try {
        ({ mtimeMs } = await fs.stat(this.files.fileOf(id)));
      } catch (error) {
        if (isErrnoException(error, 'ENOENT')) {
          continue;
        }
        throw error;
      }
      if (mtimeMs < writtenAt - INDEX_SNAPSHOT_MARGIN_MS) {
        continue;
      }
      const entry = await this.scanFile(id);
      const known = this.entries.get(id);
      if (entry === undefined || (known !== undefined && known.messageCount === entry.messageCount && known.title === entry.title && known.updatedAt >= entry.updatedAt)) {
        continue;
      }
      this.entries.set(id, { ...entry, createdAt: known?.createdAt ?? entry.createdAt });
      this.logger.info(`Conversation ${id} changed after the index was last written; updated its entry from the file`);
      changed = true;
    }
    return changed;
  }

  /**
   * Merges the index file into memory, entry by entry, keeping whichever side was updated last, and
   * drops entries whose file is gone. Another window's changes are thereby adopted, not overwritten.
   */
  private async mergeFromDisk(): Promise<{ disk: IndexFileState; files: Set<string>; stale: boolean }> {
    // Only entries known before the directory listing may be dropped for a missing file: an entry added
    // meanwhile belongs to a conversation created after the listing (its file is written first).
    const knownBefore = [...this.entries.keys()];
    const [disk, files] = await Promise.all([this.readIndexFile(), this.files.listIds()]);
    let stale = false;
    for (const entry of disk.entries) {
      if (this.deleted.has(entry.id) || !files.has(entry.id)) {
        stale = true;
        continue;
      }
      const mine = this.entries.get(entry.id);
      // On a tie (same millisecond) the side that has seen more messages knows more.
      if (
        mine === undefined ||
        entry.updatedAt > mine.updatedAt ||
        (entry.updatedAt === mine.updatedAt && entry.messageCount > mine.messageCount)
      ) {
        this.entries.set(entry.id, { ...entry });
      }
    }
    for (const id of knownBefore) {
      if (!files.has(id)) {
        this.entries.delete(id);
      }
    }
    return { disk, files, stale };
  }

  /** Runs on the index chain. Re-reads and merges first, so two windows do not overwrite each other. */
  private async writeIndex(): Promise<void> {
    this.indexDirty = false;
    try {
      await this.mergeFromDisk();
      // When the snapshot was taken: appends after it (or just before) may be missing from it.
      const writtenAt = Date.now();
      const conversations = [...this.entries.values()].sort(compareEntries);
      const body = `${JSON.stringify({ version: INDEX_VERSION, writtenAt, conversations }, null, 1)}\n`;
      await this.files.ensureFolder();
      // Write then rename: a reader (or a crash) sees the old index or the new one, never half of one.
      const target = path.join(this.files.folder, INDEX_FILE);
      const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await fs.writeFile(temp, body, 'utf8');
        await fs.rename(temp, target);
      } catch (error) {
        await fs.unlink(temp).catch(() => undefined);
        throw error;
      }
      this.counters.indexWrites += 1;
    } catch (error) {
      this.indexDirty = true;
      throw error;
    }
  }

  private async readIndexFile(): Promise<IndexFileState> {
    let text: string;
    let writtenAt: number;
    try {
      // Stat first: if the index is replaced in between, the older time only causes extra rescans.
      writtenAt = (await fs.stat(path.join(this.files.folder, INDEX_FILE))).mtimeMs;
      text = await fs.readFile(path.join(this.files.folder, INDEX_FILE), 'utf8');
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) {
        return { kind: 'missing', entries: [] };
      }
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { kind: 'corrupt', reason: 'not valid JSON', entries: [] };
    }
    const conversations = (value as { conversations?: unknown } | null)?.conversations;
    if ((value as { version?: unknown } | null)?.version !== INDEX_VERSION || !Array.isArray(conversations)) {
      return { kind: 'corrupt', reason: 'unexpected shape', entries: [] };
    }
    const entries = conversations.filter(isIndexEntry);
    const snapshotAt = (value as { writtenAt?: unknown }).writtenAt;
    if (typeof snapshotAt === 'number' && Number.isFinite(snapshotAt)) {
      // The snapshot time, not the file's: an append can land between the snapshot and the write.
      writtenAt = Math.min(writtenAt, snapshotAt);
    }
    if (entries.length < conversations.length) {
      // Their files are still there; reconciliation re-adds them from the files.
      this.logger.warn(`Conversation index: ignored ${conversations.length - entries.length} malformed entries`);
    }
    return { kind: 'ok', entries, writtenAt };
  }

  /** Rebuilds one index entry from a conversation file; undefined if the file vanished. */
  private async scanFile(id: string): Promise<ConversationIndexEntry | undefined> {
    let entry: ConversationIndexEntry | undefined;
    try {
      await this.files.forEachRecord(id, (record) => {
        entry ??= { id, title: DEFAULT_TITLE, createdAt: record.at, updatedAt: record.at, messageCount: 0 };
        applyRecordToEntry(entry, record);
      });
      if (entry === undefined) {
        // An empty file: the conversation exists but has said nothing yet.
        const { mtimeMs } = await fs.stat(this.files.fileOf(id));
        entry = { id, title: DEFAULT_TITLE, createdAt: mtimeMs, updatedAt: mtimeMs, messageCount: 0 };
      }
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) {
        return undefined;
      }
      throw error;
    }
    return entry;
  }
}
