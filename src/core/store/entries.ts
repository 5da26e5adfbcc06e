// Ids, titles and index entries of conversations: the rules every conversation store shares.
import { randomBytes } from 'node:crypto';
import type { ConversationIndexEntry } from '../ports';
import { isConversationRecord, typedText, type ConversationRecord } from '../records';

export const DEFAULT_TITLE = 'New conversation';
const AUTO_TITLE_MAX_CHARS = 60;

// Lowercase only, so that two ids never name the same file on case-insensitive file systems; no dots,
// so `..` and extensions cannot be smuggled in; Windows device names are refused as file names.
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,127}$/;
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** Whether `id` may name a conversation (and so a file). */
export function isConversationId(id: string): boolean {
  return typeof id === 'string' && ID_PATTERN.test(id) && !WINDOWS_DEVICE_NAME.test(id);
}

export function validateConversationId(id: string): void {
  if (!isConversationId(id)) {
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

export function normalizeTitle(title: string): string {
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

export function serializeRecord(record: ConversationRecord): string {
  if (!isConversationRecord(record)) {
    throw new Error('Refusing to store a value that is not a conversation record');
  }
  // JSON.stringify escapes newlines inside strings, so one record is always exactly one line.
  return JSON.stringify(record);
}

export function unknownConversation(id: string): Error {
  return new Error(`No conversation with id ${JSON.stringify(id)}`);
}

export function compareEntries(a: ConversationIndexEntry, b: ConversationIndexEntry): number {
  // Ties (same millisecond) fall back to the id, which sorts by creation time.
  return b.updatedAt - a.updatedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function isIndexEntry(value: unknown): value is ConversationIndexEntry {
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
