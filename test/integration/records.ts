// What a conversation file on disk holds, read the way a fresh window would (whole lines only), and the
// check that nothing the user sent and no finished answer is missing from it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MarathonApi } from '../../src/extension';
import { isConversationRecord, textOf, typedText, type ConversationRecord } from '../../src/core/records';
import type { TimelineItem } from '../../src/shared/protocol';

export function conversationFile(api: MarathonApi, id: string): string {
  return path.join(api.paths.conversations, `${id}.jsonl`);
}

/** Every whole record in the file; a torn last line (there should be none here) is counted. */
export function readRecords(api: MarathonApi, id: string): { records: ConversationRecord[]; torn: number } {
  const lines = fs.readFileSync(conversationFile(api, id), 'utf8').split('\n');
  const records: ConversationRecord[] = [];
  let torn = 0;
  for (const line of lines) {
    if (line === '') {
      continue;
    }
    try {
      const value: unknown = JSON.parse(line);
      if (isConversationRecord(value)) {
        records.push(value);
        continue;
      }
    } catch {
      // counted below
    }
    torn++;
  }
  return { records, torn };
}

export interface LossReport {
  userMessages: number;
  answers: number;
  /** Sent texts with no user record, and finished answers with no identical assistant record. */
  lost: string[];
}

/** Checks the file against what the user sent and the answers the view was told were finished. */
export function lossReport(api: MarathonApi, id: string, sent: readonly string[], finished: readonly TimelineItem[]): LossReport {
  const { records, torn } = readRecords(api, id);
  assert.equal(torn, 0, 'no damaged line in the conversation file');
  const users = new Map<string, number>();
  for (const record of records) {
    if (record.kind === 'user') {
      const text = typedText(record.content);
      users.set(text, (users.get(text) ?? 0) + 1);
    }
  }
  const answers = new Map(records.flatMap((record) => (record.kind === 'assistant' ? [[record.id, record] as const] : [])));
  const lost: string[] = [];
  const wanted = new Map<string, number>();
  for (const text of sent) {
    wanted.set(text, (wanted.get(text) ?? 0) + 1);
  }
  for (const [text, count] of wanted) {
    if ((users.get(text) ?? 0) < count) {
      lost.push(`user message ${JSON.stringify(text.slice(0, 60))}`);
    }
  }
  for (const item of finished) {
    if (item.kind !== 'assistant') {
      continue;
    }
    const record = answers.get(item.id);
    if (!record || record.kind !== 'assistant' || textOf(record.content) !== item.text || record.status !== item.status) {
      lost.push(`answer ${item.id} (${item.status})`);
    }
  }
  return { userMessages: [...users.values()].reduce((sum, count) => sum + count, 0), answers: answers.size, lost };
}
