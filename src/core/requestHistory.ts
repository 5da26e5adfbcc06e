// The bounded request state of one conversation: the last compaction block and what follows it.
// Everything older stays on disk for the user to scroll; it is never sent again.
import { hasToolUse, isToolResult, isToolUse, mergeRoles, repairToolPairs } from './messageRules';
import type { ConversationRecord, StoredBlock } from './records';
import { withoutThinking } from './thinkingBlocks';

export interface ApiMessage {
  role: 'user' | 'assistant';
  content: StoredBlock[];
}

type MessageRecord = Extract<ConversationRecord, { kind: 'user' | 'assistant' }>;
type CompactionRecord = Extract<ConversationRecord, { kind: 'compaction' }>;

interface Entry {
  recordId: string;
  message: ApiMessage;
  /** Pinned files re-sent after a compaction: not something the user typed, and never put back (fresh copies are). */
  pinned?: true;
  /**
   * Its thinking no longer verifies: it was made on a prefix that is gone (put back after a compaction,
   * kept after an on-demand block with messages summarized around it, behind a trim). Requests leave
   * those blocks out (thinking reference §4); the record keeps them.
   */
  unbound?: true;
}

function unbound(entry: Entry): Entry {
  return entry.message.role === 'assistant' ? { ...entry, unbound: true } : entry;
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

/**
 * A text block the API refuses on replay: empty ("text content blocks must be non-empty") or only
 * whitespace ("... must contain non-whitespace text"). The API itself sends such blocks, often "\n\n"
 * before a tool call; the record keeps them, the request leaves them out.
 */
function isBlankText(block: StoredBlock): boolean {
  return block.type === 'text' && (typeof block.text !== 'string' || block.text.trim() === '');
}

/** Assistant content worth sending back: an answer left with nothing is dropped (never an empty turn). */
function sendableAssistantContent(record: Extract<MessageRecord, { kind: 'assistant' }>): StoredBlock[] {
  // Failed (null) or empty compaction blocks are no-ops for the server, and `content: ""` is refused.
  return record.content.filter((block) => !(block.type === 'compaction' && !isLiveCompactionBlock(block)) && !isBlankText(block));
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
  const pinnedEntry: Entry = { recordId: pinned.recordId, message: { role: 'user', content: pinned.blocks }, pinned: true };
  const lastUser = entries.map((entry) => entry.message.role).lastIndexOf('user');
  const at = lastUser >= 0 ? lastUser : entries.length;
  return [...entries.slice(0, at), pinnedEntry, ...entries.slice(at)];
}

/** A second compaction block behind a new one would make the server ignore the new summary. */
function withoutCompactionBlocks(entry: Entry): Entry[] {
  const content = entry.message.content.filter((block) => block.type !== 'compaction');
  return content.length > 0 ? [{ recordId: entry.recordId, message: { role: entry.message.role, content } }] : [];
}

/** A user entry that answers tool calls (as opposed to one the user typed). */
function isToolResultEntry(entry: Entry | undefined): boolean {
  return entry?.message.role === 'user' && entry.message.content.some(isToolResult);
}

/** A user entry the user typed: neither tool results nor pinned files. */
function isTypedEntry(entry: Entry | undefined): boolean {
  return entry?.message.role === 'user' && !entry.pinned && !isToolResultEntry(entry);
}

function hasToolBlocks(entry: Entry): boolean {
  return entry.message.content.some((block) => isToolUse(block) || isToolResult(block));
}

export class RequestHistory {
  private anchor: ApiMessage | undefined;
  private anchorSigned = false;
  private entries: Entry[] = [];
  /** Counts compactions applied: a new epoch starts a new prefix, so the system prompt may change with it. */
  epoch = 0;

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
      this.epoch++;
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
  /** The ids `applyPausedCompaction` would put back with `keepRecentTurns`, without changing anything. */
  putBackIds(keepRecentTurns: number): string[] {
    return keepRecentTurns < 0 ? [] : repairToolPairs(this.recentEntries(keepRecentTurns), 'assistant').map((entry) => entry.recordId);
  }

  applyPausedCompaction(block: StoredBlock, keepRecentTurns: number, pinned: Pinned = NO_PINNED): string[] {
    // A negative count puts nothing back: the summary alone carries the request.
    const putBack = keepRecentTurns < 0 ? [] : repairToolPairs(this.recentEntries(keepRecentTurns), 'assistant');
    this.anchor = { role: 'assistant', content: [block] };
    this.anchorSigned = false;
    this.entries = withPinned(putBack.map(unbound), pinned);
    this.epoch++;
    return putBack.map((entry) => entry.recordId);
  }

  /**
   * The trailing user messages not yet answered: a compaction run before the turn leaves them out.
   * Tool results among them keep the call they answer, so the summarized part never ends on an
   * unanswered tool_use and what is kept never starts with an orphan result. In the middle of a tool
   * loop this is the typed request of the turn plus the last call and its results.
   */
  pendingUserIds(): string[] {
    const pending: string[] = [];
    let i = this.entries.length - 1;
    for (; i >= 0 && this.entries[i]?.message.role === 'user'; i--) {
      pending.unshift(this.entries[i]!.recordId);
    }
    const firstPending = this.entries.slice(i + 1).find((entry) => !entry.pinned);
    if (isToolResultEntry(firstPending) && this.entries[i]?.message.role === 'assistant') {
      pending.unshift(this.entries[i]!.recordId);
      const request = this.typedRequestBefore(i);
      if (request >= 0) {
        pending.unshift(...this.entries.slice(this.typedRunStart(request), request + 1).map((entry) => entry.recordId));
      }
    }
    // Pinned files are sent fresh after a compaction; an old copy is never kept.
    const pinnedIds = new Set(this.entries.filter((entry) => entry.pinned).map((entry) => entry.recordId));
    return pending.filter((id) => !pinnedIds.has(id));
  }

  /** Index of the last typed user entry before `index`, or -1. */
  private typedRequestBefore(index: number, entries: readonly Entry[] = this.entries): number {
    for (let i = index - 1; i >= 0; i--) {
      if (isTypedEntry(entries[i])) {
        return i;
      }
    }
    return -1;
  }

  /** First of the consecutive typed user entries ending at `index`. */
  private typedRunStart(index: number, entries: readonly Entry[] = this.entries): number {
    let start = index;
    while (start > 0 && isTypedEntry(entries[start - 1])) {
      start--;
    }
    return start;
  }

  /** True when the last entry is an assistant message whose tool calls have no results yet. */
  get endsWithToolUse(): boolean {
    const last = this.entries.at(-1);
    return last?.message.role === 'assistant' && hasToolUse(last.message.content);
  }

  /**
   * Messages to summarize: everything except the entries in `excludedIds` (kept after the block).
   * Thinking that no longer verifies is left out, unless `keepUnbound` (manual thinking, whose models
   * run no prefix check and want the last tool round to open with its thinking). Answers after a kept
   * entry (the tool rounds of the turn whose typed request is kept) lose their thinking whatever the
   * model: it was made on a prefix holding that request, and once merged into the answer before it,
   * it would no longer open its message (a 400 of the thinking reference §3.4).
   */
  messagesExcept(excludedIds: readonly string[], keepUnbound = false): ApiMessage[] {
    return this.render(this.entries, keepUnbound, new Set(excludedIds));
  }

  private render(entries: readonly Entry[], keepUnbound: boolean, excluded: ReadonlySet<string> = new Set()): ApiMessage[] {
    let gap = false;
    const sent = (entry: Entry): ApiMessage[] => {
      if (excluded.has(entry.recordId)) {
        gap = true;
        return [];
      }
      if (!gap && (!entry.unbound || keepUnbound)) {
        return [entry.message];
      }
      const content = withoutThinking(entry.message.content);
      return content.length > 0 ? [content === entry.message.content ? entry.message : { role: entry.message.role, content }] : [];
    };
    return mergeRoles([...(this.anchor ? [this.anchor] : []), ...entries.flatMap(sent)]);
  }

  /**
   * The messages as a request will carry them once a trim has unbound every thinking block: what a trim
   * must measure, or its estimate and the next request disagree (manual thinking keeps the blocks).
   */
  private afterTrim(keepUnbound: boolean): ApiMessage[] {
    return this.render(this.entries.map(unbound), keepUnbound);
  }

  /** After an on-demand compaction: the signed block replaces everything it summarized; `keptIds` stay after it. */
  applyOnDemandCompaction(block: StoredBlock, keptIds: readonly string[] = [], pinned: Pinned = NO_PINNED): void {
    const kept = new Set(keptIds);
    this.entries = withPinned(
      repairToolPairs(
        this.entries.filter((entry) => kept.has(entry.recordId)),
        'assistant',
      ).map(unbound),
      pinned,
    );
    this.anchor = { role: 'assistant', content: [block] };
    this.anchorSigned = true;
    this.epoch++;
  }

  /** Marks every thinking block now in the history as no longer verifiable (after a trim, or a refusal). */
  unbindAll(): void {
    this.entries = this.entries.map(unbound);
  }

  /**
   * Fallback when compaction is unavailable: drops the oldest entries until `fits` accepts the rest,
   * keeping at least the trailing user message. Returns the ids dropped.
   */
  trimOldest(fits: (messages: ApiMessage[]) => boolean, keepUnbound = false): string[] {
    const dropped = this.trimOldestEntries(() => fits(this.afterTrim(keepUnbound)));
    if (dropped.length > 0) {
      // What followed the dropped turns was thought on a prefix that held them.
      this.unbindAll();
      this.epoch++;
    }
    return dropped;
  }

  private trimOldestEntries(fits: () => boolean): string[] {
    if (this.entries.some(hasToolBlocks)) {
      return this.trimOldestKeepingPairs(fits);
    }
    const dropped: string[] = [];
    while (this.entries.length > 1 && !fits()) {
      dropped.push(this.entries.shift()!.recordId);
      // Without a summary in front, a request must open with a user message.
      while (!this.anchor && this.entries.length > 1 && this.entries[0]?.message.role === 'assistant') {
        dropped.push(this.entries.shift()!.recordId);
      }
    }
    return dropped;
  }

  /**
   * The trim of a conversation with tool calls: drops whole units (a call with its results goes with
   * it), oldest first, then the calls in the middle of the current tool loop, keeping the typed
   * request and the last call with its results.
   */
  private trimOldestKeepingPairs(fits: () => boolean): string[] {
    // Grouped without pinned copies, which stay with the request they were sent for.
    const entries = this.entries.filter((entry) => !entry.pinned);
    const last = entries.length - 1;
    const midLoop = isToolResultEntry(entries[last]) && entries[last - 1]?.message.role === 'assistant';
    const request = midLoop ? this.typedRequestBefore(last - 1, entries) : -1;
    // The current turn starts at its typed request (mid-loop) or at the trailing user messages.
    let turnStart = midLoop ? (request >= 0 ? this.typedRunStart(request, entries) : last - 1) : entries.length;
    if (!midLoop) {
      while (turnStart > 0 && entries[turnStart - 1]?.message.role === 'user') {
        turnStart--;
      }
      if (isToolResultEntry(entries[turnStart]) && turnStart > 0) {
        turnStart--;
      }
    }
    const groups: string[][] = [];
    const group = (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const entry = entries[i]!;
        if (entry.message.role === 'assistant' && hasToolUse(entry.message.content) && isToolResultEntry(entries[i + 1]) && i + 1 < to) {
          groups.push([entry.recordId, entries[i + 1]!.recordId]);
          i++;
        } else {
          groups.push([entry.recordId]);
        }
      }
    };
    group(0, turnStart);
    if (midLoop && request >= 0) {
      group(request + 1, last - 1);
    }
    const dropped: string[] = [];
    for (const ids of groups) {
      if (fits()) {
        break;
      }
      dropped.push(...ids);
      this.dropIds(ids);
      // Without a summary in front, a request must open with a user message.
      while (!this.anchor && this.entries.length > 1 && this.entries[0]?.message.role === 'assistant' && !midLoopProtected(this.entries[0], request, this.entries)) {
        const first = this.entries[0];
        const partner = isToolResultEntry(this.entries[1]) ? [this.entries[1]!.recordId] : [];
        dropped.push(first.recordId, ...partner);
        this.dropIds([first.recordId, ...partner]);
      }
    }
    return dropped;
  }

  /** Replays a trim from the records. */
  dropIds(ids: readonly string[]): void {
    const dropped = new Set(ids);
    this.entries = this.entries.filter((entry) => !dropped.has(entry.recordId));
  }

  /** Replays a trim from the records, with what it does to the thinking after it. */
  private replayTrim(ids: readonly string[]): void {
    this.dropIds(ids);
    this.unbindAll();
    this.epoch++;
  }

  /** Messages for the next request. */
  toMessages(keepUnbound = false): ApiMessage[] {
    return this.messagesExcept([], keepUnbound);
  }

  /** The last `turns` exchanges plus a trailing unanswered user message, stripped of older compaction blocks. */
  private recentEntries(turns: number): Entry[] {
    if (this.entries.some(hasToolBlocks)) {
      return this.recentEntriesWithTools(turns);
    }
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
   * With tool calls in the conversation: the current request is the typed message of this turn plus,
   * in the middle of a tool loop, the last call and its results (the calls between them are in the
   * summary). Earlier exchanges are put back without their tool results, and then without the calls
   * those answered (`repairToolPairs`), so that the rebuild from record ids gives the same request.
   */
  private recentEntriesWithTools(turns: number): Entry[] {
    // Pinned copies are never put back (fresh ones are), and must not hide where the loop stands.
    const entries = this.entries.filter((entry) => !entry.pinned);
    const last = entries.length - 1;
    const midLoop = isToolResultEntry(entries[last]) && entries[last - 1]?.message.role === 'assistant';
    let current: Entry[];
    let turnStart: number;
    if (midLoop) {
      const request = this.typedRequestBefore(last - 1, entries);
      turnStart = request >= 0 ? this.typedRunStart(request, entries) : last - 1;
      current = [...(request >= 0 ? entries.slice(turnStart, request + 1) : []), entries[last - 1]!, entries[last]!];
    } else {
      turnStart = entries.length;
      while (turnStart > 0 && entries[turnStart - 1]?.message.role === 'user') {
        turnStart--;
      }
      // Results of a stopped tool loop right before the new message keep their call.
      if (isToolResultEntry(entries[turnStart]) && entries[turnStart - 1]?.message.role === 'assistant') {
        turnStart--;
      }
      current = entries.slice(turnStart);
    }
    let start = turnStart;
    for (let turn = 0; turn < turns && start > 0; turn++) {
      const request = this.typedRequestBefore(start, entries);
      start = request >= 0 ? this.typedRunStart(request, entries) : 0;
    }
    const earlier = entries.slice(start, turnStart).filter((entry) => !isToolResultEntry(entry));
    return [...earlier, ...current].flatMap((entry) => withoutCompactionBlocks(entry));
  }

  /**
   * Rebuilds the request state from records, oldest first. Only the records from the last compaction
   * on (plus those it put back) matter, so callers may pass just the tail that contains the anchor.
   */
  static rebuild(records: readonly ConversationRecord[]): RequestHistory {
    const history = new RequestHistory();
    const byId = new Map<string, MessageRecord>();
    let previous: MessageRecord | undefined;
    for (const record of records) {
      switch (record.kind) {
        case 'user':
        case 'assistant':
          byId.set(record.id, record);
          // An answer right after an interrupted or stopped one is its retry, which replaced it in the live
          // history (`retryLast`); kept, the two would merge into one message the API may refuse.
          if (record.kind === 'assistant' && previous?.kind === 'assistant' && (previous.status === 'interrupted' || previous.status === 'stopped')) {
            history.dropLast(previous.id);
          }
          previous = record;
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
      this.replayTrim(record.droppedIds ?? []);
      return;
    }
    if (record.failed) {
      return;
    }
    const putBack = repairToolPairs(
      (record.putBack ?? [])
        .map((id) => byId.get(id))
        .filter((found): found is MessageRecord => found !== undefined)
        .flatMap((found) => withoutCompactionBlocks({ recordId: found.id, message: { role: found.kind, content: found.kind === 'assistant' ? sendableAssistantContent(found) : found.content } })),
      'assistant',
    );
    const pinned: Pinned = { recordId: record.id, blocks: record.pinned ?? [] };
    if (record.compactionKind === 'onDemand' && record.block) {
      this.anchor = { role: 'assistant', content: [record.block] };
      this.anchorSigned = true;
      this.entries = withPinned(putBack.map(unbound), pinned);
      this.epoch++;
      return;
    }
    if (this.anchor && record.putBack) {
      this.entries = withPinned(putBack.map(unbound), pinned);
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

/** In the middle of a tool loop with no typed request left, the call being answered stays first. */
function midLoopProtected(entry: Entry, request: number, entries: readonly Entry[]): boolean {
  return request < 0 && entries.length === 2 && hasToolUse(entry.message.content) && isToolResultEntry(entries[1]);
}
