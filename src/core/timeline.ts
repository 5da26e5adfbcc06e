// Maps stored records to what the chat view shows. Records the user never sees map to nothing.
import type { TimelineItem } from '../shared/protocol';
import { textOf, type ConversationRecord } from './records';

export function timelineItem(record: ConversationRecord): TimelineItem[] {
  switch (record.kind) {
    case 'user':
      return [{ kind: 'user', id: record.id, at: record.at, text: textOf(record.content) }];
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
        },
      ];
    case 'error':
      return [{ kind: 'error', id: record.id, at: record.at, errorKind: record.errorKind, message: record.message, retryable: record.retryable }];
    case 'title':
    case 'settings':
      return [];
  }
}
