// The transcript the view shows: the newest records of the file (bounded), pages of older ones on
// request, and the read back to the last compaction anchor that the request history is rebuilt from.
import type { TimelineItem } from '../../shared/protocol';
import { RequestHistory } from '../requestHistory';
import type { ConversationStore } from '../ports';
import type { ConversationRecord } from '../records';
import { timelineItems } from '../timeline';

const DEFAULT_TAIL_SIZE = 100;

export class TranscriptView {
  private constructor(
    private readonly store: ConversationStore,
    private readonly conversationId: string,
    private readonly tailSize: number,
    /** The newest records, oldest first; bounded. */
    private tail: ConversationRecord[],
    private hasOlderRecords: boolean,
  ) {}

  /** Reads the tail of the file, enough to show the last screen. */
  static async open(store: ConversationStore, conversationId: string, tailSize = DEFAULT_TAIL_SIZE): Promise<TranscriptView> {
    const records = await store.readTail(conversationId, tailSize);
    return new TranscriptView(store, conversationId, tailSize, records, records.length === tailSize);
  }

  /** Adds a record just written to the file. */
  push(record: ConversationRecord): void {
    this.tail.push(record);
    if (this.tail.length > this.tailSize * 2) {
      this.tail = this.tail.slice(-this.tailSize);
      this.hasOlderRecords = true;
    }
  }

  /** The newest record of the tail that matches. */
  findLast<T extends ConversationRecord>(predicate: (record: ConversationRecord) => record is T): T | undefined;
  findLast(predicate: (record: ConversationRecord) => boolean): ConversationRecord | undefined;
  findLast(predicate: (record: ConversationRecord) => boolean): ConversationRecord | undefined {
    return [...this.tail].reverse().find(predicate);
  }

  /** Timeline items of the newest records. */
  items(): { items: TimelineItem[]; hasOlder: boolean } {
    return { items: timelineItems(this.tail), hasOlder: this.hasOlderRecords };
  }

  /** Up to `page` timeline items older than the record `beforeId`, read from the end of the file. */
  async olderItems(beforeId: string, page: number): Promise<{ items: TimelineItem[]; hasOlder: boolean }> {
    for (let count = Math.max(this.tail.length, 100) + page; ; count *= 2) {
      const records = await this.store.readTail(this.conversationId, count);
      const exhausted = records.length < count;
      const index = records.findIndex((record) => 'id' in record && record.id === beforeId);
      if (index < 0 && exhausted) {
        return { items: [], hasOlder: false };
      }
      if (index >= 0 && (index >= page || exhausted)) {
        const start = Math.max(0, index - page);
        // Later records are read too, so that tool cards on the page show how their calls ended.
        const onPage = new Set(records.slice(start, index).map((record) => ('id' in record ? record.id : '')));
        const items = timelineItems(records.slice(start)).filter((item) => onPage.has(item.kind === 'tool' ? item.messageId : item.id));
        return { items, hasOlder: start > 0 || !exhausted };
      }
    }
  }

  /** The newest records back to (and including) the last compaction anchor and what it put back. */
  async recordsToAnchor(): Promise<ConversationRecord[]> {
    let count = this.tailSize;
    let records = this.tail.length < this.tailSize || tailReachesAnchor(this.tail) ? this.tail : await this.store.readTail(this.conversationId, count);
    while (records.length === count && !tailReachesAnchor(records)) {
      count *= 4;
      records = await this.store.readTail(this.conversationId, count);
    }
    return records;
  }
}

function tailReachesAnchor(records: readonly ConversationRecord[]): boolean {
  if (!RequestHistory.containsAnchor(records)) {
    return false;
  }
  const ids = new Set(records.map((record) => ('id' in record ? record.id : '')));
  return records.every((record) => record.kind !== 'compaction' || (record.putBack ?? []).every((id) => ids.has(id)));
}
