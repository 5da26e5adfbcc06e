// The thinking of an answer as the view shows it: reasoning, hidden (omitted) reasoning, redacted
// blocks and progress updates from stored blocks; the streamed state and its one-line label.

import * as assert from 'node:assert/strict';
import { thinkingText, thinkingView, withoutThinking } from '../../src/core/thinkingBlocks';
import { timelineItem } from '../../src/core/timeline';
import { transcriptMarkdown } from '../../src/core/transcript';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { usageFigures } from '../../src/core/usage';
import { appendThinking, emptyThinkingView, endThinking, thinkingLabel, thinkingState } from '../../src/webview/thinkingState';

const reasoning: StoredBlock = { type: 'thinking', thinking: 'First, check the loop bounds.', signature: 'ErUBsig1' };
const hidden: StoredBlock = { type: 'thinking', thinking: '', signature: 'ErUBsig2' };
const redacted: StoredBlock = { type: 'redacted_thinking', data: 'RdABdata' };
const update: StoredBlock = { type: 'thinking', thinking: 'Using read_file on src/a.ts.', signature: 'ErUBsig3' };

function answer(content: StoredBlock[], extra: Partial<Extract<ConversationRecord, { kind: 'assistant' }>> = {}): Extract<ConversationRecord, { kind: 'assistant' }> {
  return { v: 1, kind: 'assistant', id: 'a1', at: 0, content, stopReason: 'end_turn', status: 'done', model: 'claude-sonnet-5-5', ...extra };
}

suite('thinking in the view', () => {
  test('leading blocks are reasoning, later ones progress updates; empty text is hidden reasoning', () => {
    const view = thinkingView([{ type: 'compaction', content: 'sum' }, reasoning, redacted, { type: 'text', text: 'Reading.' }, update, { type: 'tool_use', id: 't', name: 'read_file', input: {} }], 900, 4000);
    assert.deepEqual(view, { text: 'First, check the loop bounds.', hidden: false, redacted: 1, updates: ['Using read_file on src/a.ts.'], tokens: 900, durationMs: 4000 });
    assert.deepEqual(thinkingView([hidden, { type: 'text', text: 'Hi' }]), { text: '', hidden: true, redacted: 0, updates: [] });
    assert.equal(thinkingView([{ type: 'text', text: 'Hi' }]), undefined);
  });

  test('the stored blocks stay as received; only requests leave thinking out', () => {
    const content = [reasoning, { type: 'text', text: 'Hi' }];
    const record = answer(content);
    const item = timelineItem(record)[0];
    assert.ok(item?.kind === 'assistant' && item.thinking?.text === 'First, check the loop bounds.');
    assert.equal(record.content[0], reasoning, 'the record is untouched');
    assert.deepEqual(withoutThinking(content), [{ type: 'text', text: 'Hi' }]);
  });

  test('an answer of tool calls keeps its bubble when it shows thinking, not for hidden reasoning alone', () => {
    const call = { type: 'tool_use', id: 't', name: 'read_file', input: { path: 'a.ts' } };
    assert.deepEqual(timelineItem(answer([hidden, call])).map((i) => i.kind), ['tool']);
    assert.deepEqual(timelineItem(answer([reasoning, call])).map((i) => i.kind), ['assistant', 'tool']);
  });

  test('thinking tokens come from output_tokens_details, and search and export see the reasoning only when asked', () => {
    assert.equal(usageFigures({ output_tokens: 50, output_tokens_details: { thinking_tokens: 30 } }).thinkingTokens, 30);
    assert.equal(usageFigures({ output_tokens: 50 }).thinkingTokens, undefined);
    const records: ConversationRecord[] = [answer([reasoning, { type: 'text', text: 'The answer.' }])];
    assert.ok(!transcriptMarkdown('T', records).includes('loop bounds'), 'left out of the export by default');
    assert.match(transcriptMarkdown('T', records, { thinking: true }), /<details><summary>Thinking<\/summary>\n\nFirst, check the loop bounds\./);
    assert.equal(thinkingText([reasoning, { type: 'text', text: 'Reading.' }, update]), 'First, check the loop bounds.\nUsing read_file on src/a.ts.');
  });

  test('streamed thinking: text accumulates per block, the first answer text ends the time, the label says how long', () => {
    const state = thinkingState(emptyThinkingView());
    assert.ok(state);
    appendThinking(state, 'reasoning', 'Look at ', true, 1000);
    appendThinking(state, 'reasoning', 'the loop.', false, 1200);
    appendThinking(state, 'reasoning', 'Then test.', true, 1500);
    appendThinking(state, 'update', 'Using grep', true, 1600);
    appendThinking(state, 'update', ' on src.', false, 1700);
    appendThinking(state, 'redacted', '', true, 1800);
    endThinking(state, 5200);
    assert.equal(state.view.text, 'Look at the loop.\n\nThen test.');
    assert.deepEqual(state.view.updates, ['Using grep on src.']);
    assert.equal(state.view.redacted, 1);
    assert.equal(thinkingLabel(state.view, true), 'Thinking…');
    assert.equal(thinkingLabel(state.view, false, 4200), 'Thought for 4s');
    assert.equal(thinkingLabel({ ...state.view, tokens: 1234, durationMs: 65_000 }, false), 'Thought for 1m 5s · 1.2k tokens');
  });
});
