// The Markdown export names the speaker as the chat view does and suggests a plain file name.
import * as assert from 'node:assert/strict';
import type { ConversationRecord } from '../../src/core/records';
import { transcriptFileName, transcriptMarkdown } from '../../src/core/transcript';

const records: ConversationRecord[] = [
  { v: 1, kind: 'user', id: 'u1', at: 0, content: [{ type: 'text', text: 'Hi' }] },
  { v: 1, kind: 'assistant', id: 'a1', at: 1, content: [{ type: 'text', text: 'Hello.' }], stopReason: 'end_turn', status: 'done', model: 'claude-sonnet-5-5' },
];

suite('Export', () => {
  test('the answers are headed with the speaker the view shows: Claude, or the demo backend', () => {
    assert.match(transcriptMarkdown('T', records), /^## Claude — /m);
    assert.doesNotMatch(transcriptMarkdown('T', records), /^## Marathon/m);
    assert.match(transcriptMarkdown('T', records, { speaker: 'Demo backend' }), /^## Demo backend — /m);
  });

  test('the suggested file name has no leading # or path characters', () => {
    assert.equal(transcriptFileName('Fix the build'), 'Fix the build.md');
    assert.equal(transcriptFileName('# Heading: a/b\\c?'), 'Heading a b c.md');
    assert.equal(transcriptFileName('###'), 'Conversation.md');
    assert.equal(transcriptFileName('../../etc/passwd'), 'etc passwd.md');
  });
});
