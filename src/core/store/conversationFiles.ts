// The conversation files: one JSONL file of records each, appended whole lines at a time on a
// per-conversation queue, read back from the end, and cut back to the last whole line after a crash.
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../ports';
import { isConversationRecord, type ConversationRecord } from '../records';
import { isConversationId, unknownConversation } from './entries';

const TAIL_CHUNK_BYTES = 64 * 1024;
/** Append handles kept open; enough for the conversations a user switches between. */
const MAX_OPEN_HANDLES = 8;
const NEWLINE = 0x0a;

/** What the JSONL store has read from disk; for tests and diagnostics. */
export interface ConversationStoreStats {
  /** Bytes read from conversation files (tail reads, full reads, rebuilds, torn-tail checks). */
  bytesRead: number;
  /** Times `index.json` was written. */
  indexWrites: number;
}

export function isErrnoException(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

export class ConversationFiles {
  /** Per-conversation promise chains: writes land in call order and never interleave. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly handles = new Map<string, fs.FileHandle>();
  /** Conversations whose file tail was checked before this process first appended to them. */
  private readonly tailChecked = new Set<string>();
  /** Warnings already given, so that re-reading a damaged file does not flood the log. */
  private readonly warned = new Set<string>();
  private folderReady: Promise<void> | undefined;

  constructor(
    readonly folder: string,
    private readonly logger: Logger,
    private readonly counters: ConversationStoreStats,
  ) {}

  /** Resolves when the writes queued for `id` so far have landed. */
  async settled(id: string): Promise<void> {
    await this.chains.get(id);
  }

  /** Resolves when every queued write has landed. */
  async settledAll(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  async readTail(id: string, count: number): Promise<ConversationRecord[]> {
    await this.settled(id);
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
    await this.settled(id);
    const records: ConversationRecord[] = [];
    try {
      await this.forEachRecord(id, (record) => records.push(record));
    } catch (error) {
      throw isErrnoException(error, 'ENOENT') ? unknownConversation(id) : error;
    }
    return records;
  }

  /** Runs on the conversation's queue: closes its handle and removes its file. */
  async remove(id: string): Promise<void> {
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
    this.tailChecked.delete(id);
  }

  /** Closes the open append handles (after the queued writes). */
  async closeAll(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((handle) => handle.close()));
  }

  /** Ids of the conversation files in the folder. */
  async listIds(): Promise<Set<string>> {
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
        if (isConversationId(id)) {
          ids.add(id);
        }
      }
    }
    return ids;
  }

  fileOf(id: string): string {
    return path.join(this.folder, `${id}.jsonl`);
  }

  ensureFolder(): Promise<void> {
    this.folderReady ??= fs.mkdir(this.folder, { recursive: true }).then(
      () => undefined,
      (error: unknown) => {
        this.folderReady = undefined;
        throw error;
      },
    );
    return this.folderReady;
  }

  // --- writing -------------------------------------------------------------------------------------

  enqueue(id: string, task: () => Promise<void>): Promise<void> {
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
  async writeLine(id: string, line: string): Promise<void> {
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
  async forEachRecord(id: string, onRecord: (record: ConversationRecord) => void): Promise<void> {
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

  private warnOnce(key: string, message: string): void {
    if (!this.warned.has(key)) {
      this.warned.add(key);
      this.logger.warn(message);
    }
  }
}
