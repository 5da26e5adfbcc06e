// The whole transcript, across compactions: export as Markdown and full-text search.
// Both read the conversation file; neither touches the request state.
import type { SearchHit } from '../shared/protocol';
import type { ConversationIndexEntry, ConversationStore } from './ports';
import { textOf, typedText, type ConversationRecord } from './records';
import { thinkingText } from './thinkingBlocks';

export interface TranscriptOptions {
  /** Include the readable thinking of each answer (left out unless the user asks for it). */
  thinking?: boolean;
  /** Who answered, as the chat view names it: `Claude`, or `Demo backend` for the bundled emulator. */
  speaker?: string;
}

/** The file name an export suggests: the title without Markdown or path characters, `.md` appended. */
export function transcriptFileName(title: string): string {
  const base = title
    .replace(/[#*_`~[\]<>:"/\\|?]+|\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\-\s]+|[.\s]+$/g, '')
    .slice(0, 80)
    .trim();
  return `${base === '' ? 'Conversation' : base}.md`;
}

/** A file name as inline code: on one line, in a fence longer than any run of backticks it holds. */
function inlineCode(text: string): string {
  const oneLine = text.replace(/[\r\n\u2028\u2029]+/g, ' ');
  const fence = '`'.repeat(Math.max(0, ...Array.from(oneLine.matchAll(/`+/g), (run) => run[0].length)) + 1);
  const pad = oneLine.startsWith('`') || oneLine.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${oneLine}${pad}${fence}`;
}

function when(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Markdown of a whole conversation, compaction markers included; never the API key or raw blocks. */
export function transcriptMarkdown(title: string, records: readonly ConversationRecord[], options: TranscriptOptions = {}): string {
  const lines: string[] = [`# ${title}`, ''];
  for (const record of records) {
    switch (record.kind) {
      case 'user':
        // What the user typed, and the names of what was attached (not the attached text itself).
        lines.push(`## You — ${when(record.at)}`, '', typedText(record.content), '');
        if (record.attachments && record.attachments.length > 0) {
          // Names are data: a newline or a backtick in a file name must not start Markdown of its own.
          lines.push(`_Attached: ${record.attachments.map((attachment) => inlineCode(attachment.label)).join(', ')}_`, '');
        }
        break;
      case 'assistant': {
        const text = textOf(record.content);
        const thinking = options.thinking === true ? thinkingText(record.content) : '';
        if (text.length === 0 && thinking.length === 0) {
          break;
        }
        const note = record.status === 'done' ? '' : ` (${record.status})`;
        lines.push(`## ${options.speaker ?? 'Claude'}${note} — ${when(record.at)}`, '');
        if (thinking.length > 0) {
          // Reasoning is model text: a `</details>` of its own must not close the section early.
          lines.push('<details><summary>Thinking</summary>', '', thinking.replace(/<\/details>/gi, '&lt;/details&gt;'), '', '</details>', '');
        }
        lines.push(text, '');
        break;
      }
      case 'compaction':
        lines.push(
          `> **Context compacted** (${record.compactionKind === 'onDemand' ? 'on demand' : 'automatic'}, ${when(record.at)})` +
            (record.failed ? ' — failed, the conversation continued uncompacted.' : ` — ${record.coveredMessages} messages summarized.`),
          '',
        );
        if (record.summary) {
          lines.push('<details><summary>Summary</summary>', '', record.summary, '', '</details>', '');
        }
        break;
      case 'error':
        lines.push(`> Error: ${record.message}`, '');
        break;
      case 'title':
      case 'settings':
        break;
    }
  }
  return lines.join('\n');
}

/** Index of the record after which everything is what the model still sees verbatim. */
function lastCompactionIndex(records: readonly ConversationRecord[]): number {
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i];
    // A trim drops turns without summarizing them, so it starts no summarized segment.
    if (record?.kind === 'compaction' && !record.failed && record.compactionKind !== 'trim') {
      return i;
    }
  }
  return -1;
}

function snippet(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 60);
  const end = Math.min(text.length, index + length + 60);
  return `${start > 0 ? '…' : ''}${text.slice(start, end).replace(/\s+/g, ' ')}${end < text.length ? '…' : ''}`;
}

/** Case-insensitive search over every message of every conversation, newest conversations first. */
export async function searchTranscripts(store: ConversationStore, query: string, limit = 50): Promise<SearchHit[]> {
  const needle = query.trim().toLowerCase();
  if (needle.length < 2) {
    return [];
  }
  const hits: SearchHit[] = [];
  const conversations: ConversationIndexEntry[] = await store.list();
  for (const conversation of conversations) {
    const records = await store.readAll(conversation.id);
    const boundary = lastCompactionIndex(records);
    records.forEach((record, index) => {
      if (hits.length >= limit || (record.kind !== 'user' && record.kind !== 'assistant' && record.kind !== 'compaction')) {
        return;
      }
      // An answer's readable thinking is searched too, after its text.
      const text = record.kind === 'compaction' ? (record.summary ?? '') : record.kind === 'assistant' ? [textOf(record.content), thinkingText(record.content)].filter((part) => part !== '').join('\n') : textOf(record.content);
      const at = text.toLowerCase().indexOf(needle);
      if (at >= 0) {
        hits.push({
          conversationId: conversation.id,
          conversationTitle: conversation.title,
          itemId: record.id,
          snippet: snippet(text, at, needle.length),
          compacted: index < boundary,
        });
      }
    });
    if (hits.length >= limit) {
      break;
    }
  }
  return hits;
}
