// Maps stored records to what the chat view shows. Records the user never sees map to nothing.
import type { TimelineItem } from '../shared/protocol';
import { textOf, typedText, type ConversationRecord } from './records';

export function timelineItem(record: ConversationRecord): TimelineItem[] {
  switch (record.kind) {
    case 'user':
      return [{ kind: 'user', id: record.id, at: record.at, text: typedText(record.content), attachments: record.attachments }];
    case 'assistant': {
      const text = textOf(record.content);
      // A paused compaction's response holds only the block; its marker record shows it.
      if (text.length === 0 && record.status === 'done' && record.content.every((block) => block.type === 'compaction')) {
        return [];
      }
      return [{ kind: 'assistant', id: record.id, at: record.at, text, status: record.status, model: record.model }];
    }
    case 'compaction':
      return [
        {
          kind: 'compaction',
          id: record.id,
          at: record.at,
          compactionKind: record.compactionKind,
          failed: record.failed,
          summary: record.summary,
          coveredMessages: record.coveredMessages,
          tokensBefore: record.tokensBefore,
          tokensAfter: record.tokensAfter,
          costUsd: record.costUsd,
          paused: record.paused,
          putBack: record.putBack !== undefined && record.putBack.length > 0 ? record.putBack : undefined,
          pinnedCount: record.pinned !== undefined && record.pinned.length > 0 ? record.pinned.length : undefined,
        },
      ];
    case 'error':
      return [{ kind: 'error', id: record.id, at: record.at, errorKind: record.errorKind, message: record.message, retryable: record.retryable }];
    case 'title':
    case 'settings':
      return [];
  }
}

/** Timeline items of records, oldest first, leaving out messages replaced by an edit and their answers. */
export function timelineItems(records: readonly ConversationRecord[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const record of records) {
    if (record.kind === 'user' && record.replaces) {
      const index = items.findIndex((item) => item.id === record.replaces);
      if (index >= 0) {
        items.length = index;
      }
    }
    items.push(...timelineItem(record));
  }
  return items;
}
