// A long conversation as stored records, for the 2,000-message e2e test and the render benchmark.
// Messages vary in shape (prose, lists, code) so rendering costs what a real session costs.
import type { ConversationRecord } from '../../src/core/records';

const TOPICS = ['the inventory module', 'restock rules', 'low-stock alerts', 'the SKU parser', 'unit tests', 'the CSV export'];

function userText(index: number): string {
  const topic = TOPICS[index % TOPICS.length] ?? 'the code';
  return `Message ${index}: could you look at ${topic} again and tell me what to change next?`;
}

function answerText(index: number): string {
  const topic = TOPICS[index % TOPICS.length] ?? 'the code';
  const parts = [
    `Answer ${index}. Here is what I would change in **${topic}**, step by step:`,
    '',
    '1. Keep the public interface as it is.',
    '2. Move the validation into its own function.',
    '3. Add a test for the empty case.',
  ];
  if (index % 3 === 0) {
    parts.push('', '```ts', `export function step${index}(items: Item[]): Item[] {`, '  return items.filter((item) => item.quantity > 0);', '}', '```');
  }
  parts.push('', `That keeps ${topic} small and easy to read.`);
  return parts.join('\n');
}

/** `messages` records (alternating user and assistant, oldest first) after a title record. */
export function longConversationRecords(messages: number, start = Date.now() - messages * 60_000): ConversationRecord[] {
  const records: ConversationRecord[] = [{ v: 1, kind: 'title', at: start, title: `Long conversation (${messages} messages)` }];
  for (let i = 0; i < messages; i++) {
    const at = start + i * 60_000;
    if (i % 2 === 0) {
      records.push({ v: 1, kind: 'user', id: `u-long-${i}`, at, content: [{ type: 'text', text: userText(i) }] });
    } else {
      records.push({
        v: 1,
        kind: 'assistant',
        id: `a-long-${i}`,
        at,
        content: [{ type: 'text', text: answerText(i) }],
        stopReason: 'end_turn',
        status: 'done',
        model: 'claude-sonnet-5-5',
      });
    }
  }
  return records;
}
