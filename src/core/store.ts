// Append-only conversation storage: one JSONL file of records per conversation, plus a small index.
// Record lines are appended whole, with one write call each, and files are never rewritten, so a crash
// can at most tear the last line; reading drops it and the next append trims it (DESIGN.md "Failure").
// The index is only a cache of what the files say: when it is lost or stale it is rebuilt from them.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { silentLogger, type ConversationIndexEntry, type ConversationStore, type Logger } from './ports';
import { isConversationRecord, typedText, type ConversationRecord } from './records';

export const DEFAULT_TITLE = 'New conversation';
const AUTO_TITLE_MAX_CHARS = 60;
const INDEX_FILE = 'index.json';
const INDEX_VERSION = 1;
/** Index writes are coalesced: appends during a busy turn cost one small write, not one each. */
const INDEX_WRITE_DELAY_MS = 500;
const TAIL_CHUNK_BYTES = 64 * 1024;
/**
 * File times come from a coarse clock, and a line reaches the file a moment before the index hears of
 * it: files changed this close before an index snapshot are scanned again when the store opens.
 */
const INDEX_SNAPSHOT_MARGIN_MS = 1000;
/** Append handles kept open; enough for the conversations a user switches between. */
const MAX_OPEN_HANDLES = 8;
const NEWLINE = 0x0a;

// Lowercase only, so that two ids never name the same file on case-insensitive file systems; no dots,
// so `..` and extensions cannot be smuggled in; Windows device names are refused as file names.
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

export function validateConversationId(id: string): void {
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || WINDOWS_DEVICE_NAME.test(id)) {
    throw new Error(
      `Invalid conversation id ${JSON.stringify(id)}: ids are 1-128 lowercase letters, digits, "-" or "_" ` +
        '(no path separators or dots)',
    );
  }
}

/** `c-<ms since epoch, base36, padded so ids sort by creation time>-<random>`. */
export function newConversationId(now: number = Date.now()): string {
  return `c-${now.toString(36).padStart(9, '0')}-${randomBytes(5).toString('hex')}`;
}

/** First non-blank line of the user's text, whitespace collapsed, at most 60 characters. */
export function titleFromText(text: string): string | undefined {
  const line = text
    .split(/\r?\n/)
    .map((candidate) => candidate.replace(/\s+/g, ' ').trim())
    .find((candidate) => candidate.length > 0);
  if (line === undefined) {
    return undefined;
  }
  // Count code points, not UTF-16 units, so an emoji is never cut in half.
  const chars = Array.from(line);
  if (chars.length <= AUTO_TITLE_MAX_CHARS) {
    return line;
  }
  return `${chars.slice(0, AUTO_TITLE_MAX_CHARS - 1).join('').trimEnd()}…`;
}

function normalizeTitle(title: string): string {
  const normalized = title.replace(/\s+/g, ' ').trim();
  if (normalized.length === 0) {
    throw new Error('A conversation title cannot be empty');
  }
  return normalized;
}

/**
 * Folds one record into an index entry. The live store and the rebuild from files both use it, so an
 * index rebuilt after a crash says exactly what the lost one said.
 */
export function applyRecordToEntry(entry: ConversationIndexEntry, record: ConversationRecord): void {
  entry.updatedAt = Math.max(entry.updatedAt, record.at);
  switch (record.kind) {
    case 'title':
      if (typeof record.title === 'string' && record.title.trim().length > 0) {
        entry.title = record.title;
      }
      break;
    case 'user': {
      entry.messageCount += 1;
      // Only a conversation nobody has named yet takes its title from what the user asked first.
      if (entry.title === DEFAULT_TITLE && Array.isArray(record.content)) {
        // What the user typed (the last block), not the attachments before it.
        const title = titleFromText(typedText(record.content));
        if (title !== undefined) {
          entry.title = title;
        }
      }
      break;
    }
    case 'assistant':
      entry.messageCount += 1;
      break;
    default:
      break;
  }
}

function serializeRecord(record: ConversationRecord): string {
  if (!isConversationRecord(record)) {
    throw new Error('Refusing to store a value that is not a conversation record');
  }
  // JSON.stringify escapes newlines inside strings, so one record is always exactly one line.
  return JSON.stringify(record);
}

function unknownConversation(id: string): Error {
  return new Error(`No conversation with id ${JSON.stringify(id)}`);
}

function isErrnoException(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

function compareEntries(a: ConversationIndexEntry, b: ConversationIndexEntry): number {
  // Ties (same millisecond) fall back to the id, which sorts by creation time.
  return b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

function isIndexEntry(value: unknown): value is ConversationIndexEntry {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const entry = value as Partial<Record<keyof ConversationIndexEntry, unknown>>;
  return (
    typeof entry.id === 'string' &&
    ID_PATTERN.test(entry.id) &&
    typeof entry.title === 'string' &&
    Number.isFinite(entry.createdAt) &&
    Number.isFinite(entry.updatedAt) &&
    Number.isInteger(entry.messageCount)
  );
}

type IndexFileState =
  | { kind: 'ok'; entries: ConversationIndexEntry[]; writtenAt: number }
  | { kind: 'missing'; entries: [] }
  | { kind: 'corrupt'; reason: string; entries: [] };

/** What the JSONL store has read from disk; for tests and diagnostics. */
export interface ConversationStoreStats {
  /** Bytes read from conversation files (tail reads, full reads, rebuilds, torn-tail checks). */
  bytesRead: number;
  /** Times `index.json` was written. */
  indexWrites: number;
}

export class JsonlConversationStore implements ConversationStore {
  private readonly entries = new Map<string, ConversationIndexEntry>();
  /** Ids deleted in this process, so that a stale index from another window cannot bring them back. */
  private readonly deleted = new Set<string>();
  /** Per-conversation promise chains: writes land in call order and never interleave. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly handles = new Map<string, fs.FileHandle>();
  /** Conversations whose file tail was checked before this process first appended to them. */
  private readonly tailChecked = new Set<string>();
  /** Warnings already given, so that re-reading a damaged file does not flood the log. */
  private readonly warned = new Set<string>();
  private indexChain: Promise<void> = Promise.resolve();
  private loading: Promise<void> | undefined;
  private loaded = false;
  private folderReady: Promise<void> | undefined;
  private indexDirty = false;
  private indexTimer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly counters: ConversationStoreStats = { bytesRead: 0, indexWrites: 0 };

  /** Does no I/O: the folder is created on the first write, the index read on first use. */
  constructor(
    private readonly folder: string,
    private readonly logger: Logger = silentLogger,
  ) {}

  get stats(): Readonly<ConversationStoreStats> {
    return { ...this.counters };
  }

  async list(): Promise<ConversationIndexEntry[]> {
    const firstLoad = !this.loaded;
    await this.ensureLoaded();
    if (!firstLoad) {
      // Another window may have created, renamed or deleted conversations since we last looked.
      await this.syncWithDisk();
    }
    return [...this.entries.values()].map((entry) => ({ ...entry })).sort(compareEntries);
  }

  async create(title?: string): Promise<ConversationIndexEntry> {
    this.assertNotDisposed();
    const finalTitle = title === undefined ? DEFAULT_TITLE : normalizeTitle(title);
    await this.ensureLoaded();
    const at = Date.now();
    const id = newConversationId(at);
    const entry: ConversationIndexEntry = { id, title: finalTitle, createdAt: at, updatedAt: at, messageCount: 0 };
    // The title record makes the file self-describing, so a lost index can be rebuilt with the
    // right title and creation time. The file exists before the entry, which reconciliation relies on.
    const line = serializeRecord({ v: 1, kind: 'title', at, title: finalTitle });
    await this.enqueue(id, async () => {
      await this.writeLine(id, line);
      this.entries.set(id, entry);
      this.markIndexDirty();
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
    return this.enqueue(id, async () => {
      await this.requireEntry(id);
      await this.writeLine(id, line);
      const entry = this.entries.get(id);
      if (entry !== undefined) {
        const titleBefore = entry.title;
        applyRecordToEntry(entry, JSON.parse(line) as ConversationRecord);
        // A new title is written at once: a window reloaded right after the first message shows it.
        this.markIndexDirty(entry.title !== titleBefore);
      }
    });
  }

  async readTail(id: string, count: number): Promise<ConversationRecord[]> {
    validateConversationId(id);
    await this.chains.get(id);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.fileOf(id), 'r');
    } catch (error) {
      throw isErrnoException(error, 'ENOENT') ? unknownConversation(id) : error;
    }
    try {
      const wanted = Math.floor(count);
      return wanted > 0 ? await this.readTailFrom(id, handle, wanted) : [];
    } finally {
      await handle.close();
    }
  }

  async readAll(id: string): Promise<ConversationRecord[]> {
    validateConversationId(id);
    await this.chains.get(id);
    const records: ConversationRecord[] = [];
    try {
      await this.forEachRecord(id, (record) => records.push(record));
    } catch (error) {
      throw isErrnoException(error, 'ENOENT') ? unknownConversation(id) : error;
    }
    return records;
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
    await this.enqueue(id, async () => {
      await this.ensureLoaded();
      const handle = this.handles.get(id);
      this.handles.delete(id);
      await handle?.close();
      try {
        await fs.unlink(this.fileOf(id));
      } catch (error) {
        if (!isErrnoException(error, 'ENOENT')) {
          throw error;
        }
      }
      this.deleted.add(id);
      this.tailChecked.delete(id);
      if (this.entries.delete(id)) {
        this.markIndexDirty();
      }
    });
  }

  /** Waits for queued appends and writes pending index changes now. */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
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

  /** Flushes, then closes the open append handles. The store refuses writes afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) {
      return;
    }
    // Refuse new writes first, so that the flush below is the last word.
    this.disposed = true;
    await this.flush();
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }

  // --- writing -------------------------------------------------------------------------------------

  private enqueue(id: string, task: () => Promise<void>): Promise<void> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const result = previous.then(task);
    // The chain itself never rejects: one failed append must not block the ones behind it.
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.chains.set(id, tail);
    void tail.then(() => {
      if (this.chains.get(id) === tail) {
        this.chains.delete(id);
      }
    });
    return result;
  }

  /** Runs on the conversation's chain. One write call per line: O_APPEND keeps whole lines atomic. */
  private async writeLine(id: string, line: string): Promise<void> {
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    const handle = await this.appendHandle(id);
    try {
      let offset = 0;
      // A regular file takes the whole buffer in one write; the loop only covers a short write.
      while (offset < bytes.length) {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      // The line may be torn (disk full): check the tail again before the next append.
      this.tailChecked.delete(id);
      this.handles.delete(id);
      await handle.close().catch(() => undefined);
      throw error;
    }
  }

  private async appendHandle(id: string): Promise<fs.FileHandle> {
    const cached = this.handles.get(id);
    if (cached !== undefined) {
      // Map order doubles as recency order for eviction.
      this.handles.delete(id);
      this.handles.set(id, cached);
      return cached;
    }
    await this.ensureFolder();
    if (!this.tailChecked.has(id)) {
      await this.repairTornTail(id);
      this.tailChecked.add(id);
    }
    const handle = await fs.open(this.fileOf(id), 'a');
    this.handles.set(id, handle);
    this.evictHandles();
    return handle;
  }

  private evictHandles(): void {
    for (const [id, handle] of this.handles) {
      if (this.handles.size <= MAX_OPEN_HANDLES) {
        break;
      }
      this.handles.delete(id);
      // Closed on its own conversation's chain, after any write that is still using it.
      this.enqueue(id, () => handle.close()).catch((error: unknown) =>
        this.logger.warn(`Could not close conversation file ${id}: ${String(error)}`),
      );
    }
  }

  /**
   * A crash can leave the file ending in part of a line. Appending after it would glue the next record
   * to the torn bytes and lose both, so before this process first appends we cut the file back to its
   * last newline. A last line that is only missing its newline is a whole record: we complete it.
   */
  private async repairTornTail(id: string): Promise<void> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.fileOf(id), 'r+');
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) {
        return;
      }
      throw error;
    }
    try {
      const { size } = await handle.stat();
      if (size === 0) {
        return;
      }
      const last = await this.readAt(handle, size - 1, 1);
      if (last[0] === NEWLINE) {
        return;
      }
      const lineStart = await this.findLineStart(handle, size);
      const tail = await this.readAt(handle, lineStart, size - lineStart);
      if ((await handle.stat()).size !== size) {
        // Another window appended meanwhile; it owns the tail now and will have repaired it.
        return;
      }
      if (this.parseRecord(tail) !== undefined) {
        await handle.write(Buffer.from('\n'), 0, 1, size);
        this.logger.warn(`Conversation ${id}: its last record had no line end; completed it before appending`);
      } else {
        await handle.truncate(lineStart);
        this.logger.warn(
          `Conversation ${id}: removed a torn last line (${size - lineStart} bytes, probably cut off by a crash) ` +
            'before appending',
        );
      }
      this.warned.delete(`${id}:torn`);
    } finally {
      await handle.close();
    }
  }

  /** Offset just after the last newline before `end`, or 0. Reads backwards, chunk by chunk. */
  private async findLineStart(handle: fs.FileHandle, end: number): Promise<number> {
    let position = end;
    while (position > 0) {
      const length = Math.min(TAIL_CHUNK_BYTES, position);
      position -= length;
      const chunk = await this.readAt(handle, position, length);
      const newline = chunk.lastIndexOf(NEWLINE);
      if (newline !== -1) {
        return position + newline + 1;
      }
    }
    return 0;
  }

  // --- reading -------------------------------------------------------------------------------------

  /**
   * Walks backwards from the end of the file in 64 KiB chunks and stops as soon as it has `count`
   * records, so opening a long conversation costs the size of its tail, not of its history.
   */
  private async readTailFrom(id: string, handle: fs.FileHandle, count: number): Promise<ConversationRecord[]> {
    const { size } = await handle.stat();
    const newestFirst: ConversationRecord[] = [];
    // The bytes after the newline seen last while walking backwards: the end of a line whose start is
    // still ahead of us, in file order.
    let carry: Buffer[] = [];
    // The first segment met from the end is the file's last line, which has no newline if it is torn.
    let atFileTail = true;
    const accept = (bytes: Buffer): void => {
      const isTail = atFileTail;
      atFileTail = false;
      const record = this.acceptLine(id, bytes, isTail);
      if (record !== undefined) {
        newestFirst.push(record);
      }
    };
    let position = size;
    while (position > 0 && newestFirst.length < count) {
      const length = Math.min(TAIL_CHUNK_BYTES, position);
      position -= length;
      const chunk = await this.readAt(handle, position, length);
      let end = chunk.length;
      while (end > 0 && newestFirst.length < count) {
        const newline = chunk.lastIndexOf(NEWLINE, end - 1);
        if (newline === -1) {
          break;
        }
        const piece = chunk.subarray(newline + 1, end);
        accept(carry.length === 0 ? piece : Buffer.concat([piece, ...carry]));
        carry = [];
        end = newline;
      }
      carry.unshift(chunk.subarray(0, end));
    }
    if (position === 0 && newestFirst.length < count) {
      accept(Buffer.concat(carry));
    }
    return newestFirst.reverse();
  }

  /** Streams the file line by line; never holds more than one chunk and one line in memory. */
  private async forEachRecord(id: string, onRecord: (record: ConversationRecord) => void): Promise<void> {
    const stream = createReadStream(this.fileOf(id), { highWaterMark: TAIL_CHUNK_BYTES });
    let carry: Buffer[] = [];
    for await (const data of stream) {
      const chunk = data as Buffer;
      this.counters.bytesRead += chunk.length;
      let start = 0;
      for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
        const piece = chunk.subarray(start, newline);
        // Copy only for a line that spans chunks; most lines are parsed straight from the chunk.
        const record = this.acceptLine(id, carry.length === 0 ? piece : Buffer.concat([...carry, piece]), false);
        carry = [];
        if (record !== undefined) {
          onRecord(record);
        }
        start = newline + 1;
      }
      if (start < chunk.length) {
        carry.push(chunk.subarray(start));
      }
    }
    const record = this.acceptLine(id, Buffer.concat(carry), true);
    if (record !== undefined) {
      onRecord(record);
    }
  }

  private acceptLine(id: string, bytes: Buffer, isFileTail: boolean): ConversationRecord | undefined {
    if (bytes.length === 0) {
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      if (isFileTail) {
        this.warnOnce(
          `${id}:torn`,
          `Conversation ${id}: dropped a torn last line (${bytes.length} bytes, probably cut off by a crash)`,
        );
      } else {
        this.warnOnce(`${id}:corrupt`, `Conversation ${id}: skipped a line that is not valid JSON`);
      }
      return undefined;
    }
    if (!isConversationRecord(value)) {
      this.warnOnce(`${id}:foreign`, `Conversation ${id}: skipped a line that is not a conversation record`);
      return undefined;
    }
    return value;
  }

  private parseRecord(bytes: Buffer): ConversationRecord | undefined {
    try {
      const value: unknown = JSON.parse(bytes.toString('utf8'));
      return isConversationRecord(value) ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private async readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) {
        break; // The file shrank under us; return what there is.
      }
      filled += bytesRead;
    }
    this.counters.bytesRead += filled;
    return filled === length ? buffer : buffer.subarray(0, filled);
  }

  // --- index ---------------------------------------------------------------------------------------

  private ensureLoaded(): Promise<void> {
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

  private async requireEntry(id: string): Promise<void> {
    await this.ensureLoaded();
    if (!this.entries.has(id)) {
      // Perhaps another window created it since we loaded.
      await this.syncWithDisk();
    }
    if (!this.entries.has(id)) {
      throw unknownConversation(id);
    }
  }

  private markIndexDirty(soon = false): void {
    this.indexDirty = true;
    if (this.disposed) {
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
  private syncWithDisk(): Promise<void> {
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
        ({ mtimeMs } = await fs.stat(this.fileOf(id)));
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
    const [disk, files] = await Promise.all([this.readIndexFile(), this.listConversationFiles()]);
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
      await this.ensureFolder();
      // Write then rename: a reader (or a crash) sees the old index or the new one, never half of one.
      const target = path.join(this.folder, INDEX_FILE);
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
      writtenAt = (await fs.stat(path.join(this.folder, INDEX_FILE))).mtimeMs;
      text = await fs.readFile(path.join(this.folder, INDEX_FILE), 'utf8');
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

  private async listConversationFiles(): Promise<Set<string>> {
    let names: string[];
    try {
      names = await fs.readdir(this.folder);
    } catch (error) {
      if (isErrnoException(error, 'ENOENT')) {
        return new Set();
      }
      throw error;
    }
    const ids = new Set<string>();
    for (const name of names) {
      if (name.endsWith('.jsonl')) {
        const id = name.slice(0, -'.jsonl'.length);
        if (ID_PATTERN.test(id) && !WINDOWS_DEVICE_NAME.test(id)) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  /** Rebuilds one index entry from a conversation file; undefined if the file vanished. */
  private async scanFile(id: string): Promise<ConversationIndexEntry | undefined> {
    let entry: ConversationIndexEntry | undefined;
    try {
      await this.forEachRecord(id, (record) => {
        entry ??= { id, title: DEFAULT_TITLE, createdAt: record.at, updatedAt: record.at, messageCount: 0 };
        applyRecordToEntry(entry, record);
      });
      if (entry === undefined) {
        // An empty file: the conversation exists but has said nothing yet.
        const { mtimeMs } = await fs.stat(this.fileOf(id));
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

  // --- helpers -------------------------------------------------------------------------------------

  private fileOf(id: string): string {
    return path.join(this.folder, `${id}.jsonl`);
  }

  private ensureFolder(): Promise<void> {
    this.folderReady ??= fs.mkdir(this.folder, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.folderReady = undefined;
        throw error;
      },
    );
    return this.folderReady;
  }

  private warnOnce(key: string, message: string): void {
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.logger.warn(message);
    }
  }

  private assertNotDisposed(): void {
    if (this.disposed) {
      throw new Error('The conversation store has been disposed');
    }
  }
}

/**
 * The same contract without I/O, for tests of other modules. Records are kept as JSON text so that
 * they behave as stored ones do: later mutation by the caller changes nothing, `undefined` drops out.
 */
export class InMemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, { entry: ConversationIndexEntry; lines: string[] }>();
  private disposed = false;

  async list(): Promise<ConversationIndexEntry[]> {
    return [...this.conversations.values()].map(({ entry }) => ({ ...entry })).sort(compareEntries);
  }

  async create(title?: string): Promise<ConversationIndexEntry> {
    this.assertNotDisposed();
    const finalTitle = title === undefined ? DEFAULT_TITLE : normalizeTitle(title);
    const at = Date.now();
    const id = newConversationId(at);
    const entry: ConversationIndexEntry = { id, title: finalTitle, createdAt: at, updatedAt: at, messageCount: 0 };
    this.conversations.set(id, { entry, lines: [serializeRecord({ v: 1, kind: 'title', at, title: finalTitle })] });
    return { ...entry };
  }

  async append(id: string, record: ConversationRecord): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    const line = serializeRecord(record);
    const conversation = this.get(id);
    conversation.lines.push(line);
    applyRecordToEntry(conversation.entry, JSON.parse(line) as ConversationRecord);
  }

  async readTail(id: string, count: number): Promise<ConversationRecord[]> {
    const { lines } = this.get(id);
    const wanted = Math.floor(count);
    if (!(wanted > 0)) {
      return [];
    }
    return lines.slice(-wanted).map((line) => JSON.parse(line) as ConversationRecord);
  }

  async readAll(id: string): Promise<ConversationRecord[]> {
    return this.get(id).lines.map((line) => JSON.parse(line) as ConversationRecord);
  }

  async rename(id: string, title: string): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    await this.append(id, { v: 1, kind: 'title', at: Date.now(), title: normalizeTitle(title) });
  }

  async delete(id: string): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    this.conversations.delete(id);
  }

  async flush(): Promise<void> {
    // Nothing is pending: every call has already taken effect.
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private assertNotDisposed(): void {
    if (this.disposed) {
      throw new Error('The conversation store has been disposed');
    }
  }

  private get(id: string): { entry: ConversationIndexEntry; lines: string[] } {
    validateConversationId(id);
    const conversation = this.conversations.get(id);
    if (conversation === undefined) {
      throw unknownConversation(id);
    }
    return conversation;
  }
}
