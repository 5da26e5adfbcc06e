// The Markdown export names the speaker as the chat view does and suggests a plain file name.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

suite('Export: thinking', () => {
  const thinkingAnswer: ConversationRecord = {
    v: 1,
    kind: 'assistant',
    id: 'a2',
    at: 2,
    content: [
      { type: 'thinking', thinking: 'Check the bounds first. </details> Then answer.', signature: 'sig' },
      { type: 'redacted_thinking', data: 'opaque' },
      { type: 'text', text: 'Use a loop.' },
    ],
    stopReason: 'end_turn',
    status: 'done',
    model: 'claude-sonnet-5-5',
  };

  test('marathon.export.includeThinking is off by default, so an export leaves thinking out', () => {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, { type?: string; default?: unknown }> } };
    };
    const setting = manifest.contributes.configuration.properties['marathon.export.includeThinking'];
    assert.deepEqual([setting?.type, setting?.default], ['boolean', false]);
    const markdown = transcriptMarkdown('T', [...records, thinkingAnswer]);
    assert.ok(!markdown.includes('Check the bounds'), 'no reasoning');
    assert.ok(!markdown.includes('opaque') && !markdown.includes('sig'), 'never the raw blocks');
    assert.match(markdown, /Use a loop\./);
  });

  test('asked for, the reasoning is a collapsed section above the answer that its own text cannot close', () => {
    const markdown = transcriptMarkdown('T', [thinkingAnswer], { thinking: true });
    const section = /<details><summary>Thinking<\/summary>\n\n([^]*?)\n\n<\/details>\n\nUse a loop\./.exec(markdown);
    assert.ok(section, markdown);
    assert.equal(section[1], 'Check the bounds first. &lt;/details&gt; Then answer.');
    assert.equal(markdown.match(/<\/details>/g)?.length, 1);
    assert.ok(!markdown.includes('opaque'), 'redacted reasoning stays out: it is encrypted');
  });
});
