// The bounded request state of one conversation: the last compaction block and what follows it.
// Everything older stays on disk for the user to scroll; it is never sent again.
import type { ConversationRecord, StoredBlock } from './records';

export interface ApiMessage {
  role: 'user' | 'assistant';
  content: StoredBlock[];
}

type MessageRecord = Extract<ConversationRecord, { kind: 'user' | 'assistant' }>;
type CompactionRecord = Extract<ConversationRecord, { kind: 'compaction' }>;

interface Entry {
  recordId: string;
  message: ApiMessage;
}

/** A compaction block with a real summary; `content: null` blocks are failed compactions (no-ops). */
export function isLiveCompactionBlock(block: StoredBlock): boolean {
  return block.type === 'compaction' && typeof block.content === 'string' && block.content.length > 0;
}

function lastLiveCompactionIndex(content: readonly StoredBlock[]): number {
  for (let i = content.length - 1; i >= 0; i--) {
    const block = content[i];
    if (block && isLiveCompactionBlock(block)) {
      return i;
    }
  }
  return -1;
}

/** Assistant content worth sending back: a stopped answer with no text is dropped. */
function sendableAssistantContent(record: Extract<MessageRecord, { kind: 'assistant' }>): StoredBlock[] {
  // Failed (null) or empty compaction blocks are no-ops for the server, and `content: ""` is refused.
  return record.content.filter((block) => !(block.type === 'compaction' && !isLiveCompactionBlock(block)));
}

/** Pinned files re-sent after a compaction: the marker record that carries them, and their blocks. */
export interface Pinned {
  recordId: string;
  blocks: StoredBlock[];
}
const NO_PINNED: Pinned = { recordId: '', blocks: [] };

/** Places pinned files just before the last user message, so they merge into it. */
function withPinned(entries: Entry[], pinned: Pinned): Entry[] {
  if (pinned.blocks.length === 0) {
    return entries;
  }
  const pinnedEntry: Entry = { recordId: pinned.recordId, message: { role: 'user', content: pinned.blocks } };
  const lastUser = entries.map((entry) => entry.message.role).lastIndexOf('user');
  const at = lastUser >= 0 ? lastUser : entries.length;
  return [...entries.slice(0, at), pinnedEntry, ...entries.slice(at)];
}

/** A second compaction block behind a new one would make the server ignore the new summary. */
function withoutCompactionBlocks(entry: Entry): Entry[] {
  const content = entry.message.content.filter((block) => block.type !== 'compaction');
  return content.length > 0 ? [{ recordId: entry.recordId, message: { role: entry.message.role, content } }] : [];
}

/** Consecutive messages of one role are merged into one, as the API would. */
function mergeRoles(messages: readonly ApiMessage[]): ApiMessage[] {
  const out: ApiMessage[] = [];
  for (const message of messages) {
    const previous = out.at(-1);
    if (previous && previous.role === message.role) {
      out[out.length - 1] = { role: previous.role, content: [...previous.content, ...message.content] };
    } else {
      out.push(message);
    }
  }
  return out;
}

export class RequestHistory {
  private anchor: ApiMessage | undefined;
  private anchorSigned = false;
  private entries: Entry[] = [];

  /** True while the conversation carries an on-demand (signed) block: threshold compaction is then refused by the API. */
  get signed(): boolean {
    return this.anchorSigned;
  }

  get hasThresholdBlock(): boolean {
    return this.anchor !== undefined && !this.anchorSigned;
  }

  /** Number of messages that a compaction now would summarize. */
  get messageCount(): number {
    return this.entries.length + (this.anchor ? 1 : 0);
  }

  get lastRole(): 'user' | 'assistant' | undefined {
    return this.entries.at(-1)?.message.role ?? this.anchor?.role;
  }

  push(record: MessageRecord): void {
    if (record.kind === 'user') {
      if (record.replaces) {
        this.dropFrom(record.replaces);
      }
      this.entries.push({ recordId: record.id, message: { role: 'user', content: record.content } });
      return;
    }
    const content = sendableAssistantContent(record);
    const liveIndex = lastLiveCompactionIndex(content);
    if (liveIndex >= 0) {
      // A threshold compaction inside this answer: the server ignores everything before the block.
      this.anchor = { role: 'assistant', content: content.slice(liveIndex) };
      this.anchorSigned = false;
      this.entries = [];
      return;
    }
    if (content.length > 0) {
      this.entries.push({ recordId: record.id, message: { role: 'assistant', content } });
    }
  }

  /** Drops the entry of `recordId` and everything after it (an edited message replaces them). */
  dropFrom(recordId: string): void {
    const index = this.entries.findIndex((entry) => entry.recordId === recordId);
    if (index >= 0) {
      this.entries.length = index;
    }
  }

  /** Drops the most recent entry when it belongs to `recordId` (an interrupted answer being retried). */
  dropLast(recordId: string): void {
    if (this.entries.at(-1)?.recordId === recordId) {
      this.entries.pop();
    }
  }

  /**
   * After a paused threshold compaction: the block becomes the anchor and the recent exchanges are
   * put back verbatim behind it. Returns the ids of the records put back.
   */
  applyPausedCompaction(block: StoredBlock, keepRecentTurns: number, pinned: Pinned = NO_PINNED): string[] {
    // A negative count puts nothing back: the summary alone carries the request.
    const putBack = keepRecentTurns < 0 ? [] : this.recentEntries(keepRecentTurns);
    this.anchor = { role: 'assistant', content: [block] };
    this.anchorSigned = false;
    this.entries = withPinned(putBack, pinned);
    return putBack.map((entry) => entry.recordId);
  }

  /** The trailing user messages not yet answered: a compaction run before the turn leaves them out. */
  pendingUserIds(): string[] {
    const pending: string[] = [];
    for (let i = this.entries.length - 1; i >= 0 && this.entries[i]?.message.role === 'user'; i--) {
      pending.unshift(this.entries[i]!.recordId);
    }
    return pending;
  }

  /** Messages to summarize: everything except the entries in `excludedIds` (kept after the block). */
  messagesExcept(excludedIds: readonly string[]): ApiMessage[] {
    const excluded = new Set(excludedIds);
    return mergeRoles([...(this.anchor ? [this.anchor] : []), ...this.entries.filter((entry) => !excluded.has(entry.recordId)).map((entry) => entry.message)]);
  }

  /** After an on-demand compaction: the signed block replaces everything it summarized; `keptIds` stay after it. */
  applyOnDemandCompaction(block: StoredBlock, keptIds: readonly string[] = [], pinned: Pinned = NO_PINNED): void {
    const kept = new Set(keptIds);
    this.entries = withPinned(
      this.entries.filter((entry) => kept.has(entry.recordId)),
      pinned,
    );
    this.anchor = { role: 'assistant', content: [block] };
    this.anchorSigned = true;
  }

  /**
   * Fallback when compaction is unavailable: drops the oldest entries until `fits` accepts the rest,
   * keeping at least the trailing user message. Returns the ids dropped.
   */
  trimOldest(fits: (messages: ApiMessage[]) => boolean): string[] {
    const dropped: string[] = [];
    while (this.entries.length > 1 && !fits(this.toMessages())) {
      dropped.push(this.entries.shift()!.recordId);
      // Without a summary in front, a request must open with a user message.
      while (!this.anchor && this.entries.length > 1 && this.entries[0]?.message.role === 'assistant') {
        dropped.push(this.entries.shift()!.recordId);
      }
    }
    return dropped;
  }

  /** Replays a trim from the records. */
  dropIds(ids: readonly string[]): void {
    const dropped = new Set(ids);
    this.entries = this.entries.filter((entry) => !dropped.has(entry.recordId));
  }

  /** Messages for the next request. */
  toMessages(): ApiMessage[] {
    return this.messagesExcept([]);
  }

  /** The last `turns` exchanges plus a trailing unanswered user message, stripped of older compaction blocks. */
  private recentEntries(turns: number): Entry[] {
    const roleAt = (index: number) => this.entries[index]?.message.role;
    let start = this.entries.length;
    while (start > 0 && roleAt(start - 1) === 'user') {
      start--;
    }
    for (let turn = 0; turn < turns && start > 0; turn++) {
      while (start > 0 && roleAt(start - 1) === 'assistant') {
        start--;
      }
      while (start > 0 && roleAt(start - 1) === 'user') {
        start--;
      }
    }
    return this.entries.slice(start).flatMap((entry) => withoutCompactionBlocks(entry));
  }

  /**
   * Rebuilds the request state from records, oldest first. Only the records from the last compaction
   * on (plus those it put back) matter, so callers may pass just the tail that contains the anchor.
   */
  static rebuild(records: readonly ConversationRecord[]): RequestHistory {
    const history = new RequestHistory();
    const byId = new Map<string, MessageRecord>();
    for (const record of records) {
      switch (record.kind) {
        case 'user':
        case 'assistant':
          byId.set(record.id, record);
          history.push(record);
          break;
        case 'compaction':
          history.applyCompactionRecord(record, byId);
          break;
        default:
          break;
      }
    }
    return history;
  }

  private applyCompactionRecord(record: CompactionRecord, byId: ReadonlyMap<string, MessageRecord>): void {
    if (record.compactionKind === 'trim') {
      this.dropIds(record.droppedIds ?? []);
      return;
    }
    if (record.failed) {
      return;
    }
    const putBack = (record.putBack ?? [])
      .map((id) => byId.get(id))
      .filter((found): found is MessageRecord => found !== undefined)
      .flatMap((found) => withoutCompactionBlocks({ recordId: found.id, message: { role: found.kind, content: found.kind === 'assistant' ? sendableAssistantContent(found) : found.content } }));
    const pinned: Pinned = { recordId: record.id, blocks: record.pinned ?? [] };
    if (record.compactionKind === 'onDemand' && record.block) {
      this.anchor = { role: 'assistant', content: [record.block] };
      this.anchorSigned = true;
      this.entries = withPinned(putBack, pinned);
      return;
    }
    if (this.anchor && record.putBack) {
      this.entries = withPinned(putBack, pinned);
    }
  }

  /** True when `records` (a tail, oldest first) already reaches back to the last compaction anchor. */
  static containsAnchor(records: readonly ConversationRecord[]): boolean {
    return records.some(
      (record) =>
        (record.kind === 'compaction' && !record.failed && record.compactionKind === 'onDemand' && record.block !== undefined) ||
        (record.kind === 'assistant' && lastLiveCompactionIndex(record.content) >= 0),
    );
  }
}
