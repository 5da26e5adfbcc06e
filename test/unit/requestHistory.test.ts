import * as assert from 'node:assert/strict';
import { RequestHistory } from '../../src/core/requestHistory';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';

let counter = 0;
const user = (text: string): Extract<ConversationRecord, { kind: 'user' }> => ({ v: 1, kind: 'user', id: `u${++counter}`, at: counter, content: [{ type: 'text', text }] });
const assistant = (content: StoredBlock[], status: 'done' | 'stopped' = 'done'): Extract<ConversationRecord, { kind: 'assistant' }> => ({
  v: 1,
  kind: 'assistant',
  id: `a${++counter}`,
  at: counter,
  content,
  stopReason: 'end_turn',
  status,
  model: 'claude-sonnet-5-5',
});
const text = (value: string): StoredBlock => ({ type: 'text', text: value, citations: null });

suite('RequestHistory', () => {
  test('sends the whole response content back, unchanged', () => {
    const history = new RequestHistory();
    const answer = assistant([text('one'), { type: 'text', text: 'two', citations: null }]);
    history.push(user('hi'));
    history.push(answer);
    history.push(user('again'));
    const messages = history.toMessages();
    assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'user']);
    assert.deepEqual(messages[1]!.content, answer.content);
  });

  test('after a threshold compaction only the last block and what follows are sent', () => {
    const history = new RequestHistory();
    history.push(user('old question'));
    history.push(assistant([text('old answer')]));
    history.push(user('new question'));
    const block = { type: 'compaction', content: 'Summary of everything' };
    history.push(assistant([block, text('fresh answer')]));
    history.push(user('follow-up'));
    const messages = history.toMessages();
    assert.deepEqual(messages, [
      { role: 'assistant', content: [block, text('fresh answer')] },
      { role: 'user', content: [{ type: 'text', text: 'follow-up' }] },
    ]);
    assert.equal(history.hasThresholdBlock, true);
    assert.equal(history.signed, false);
  });

  test('a failed compaction (content null) is dropped from the request and changes nothing', () => {
    const history = new RequestHistory();
    history.push(user('q'));
    history.push(assistant([{ type: 'compaction', content: null }, text('a')]));
    const messages = history.toMessages();
    assert.equal(messages.length, 2);
    assert.deepEqual(messages[1]!.content, [text('a')]);
  });

  test('a paused compaction puts back the previous exchange and the current request verbatim', () => {
    const history = new RequestHistory();
    history.push(user('first'));
    history.push(assistant([text('first answer')]));
    const previous = user('second');
    history.push(previous);
    const previousAnswer = assistant([text('second answer')]);
    history.push(previousAnswer);
    const current = user('current request');
    history.push(current);
    const block = { type: 'compaction', content: 'S' };
    const putBack = history.applyPausedCompaction(block, 1);
    assert.deepEqual(putBack, [previous.id, previousAnswer.id, current.id]);
    assert.deepEqual(history.toMessages().map((m) => m.role), ['assistant', 'user', 'assistant', 'user']);
    assert.deepEqual(history.toMessages()[0]!.content, [block]);
    assert.deepEqual(history.toMessages()[3]!.content, current.content);
  });

  test('an on-demand block stands first and the pending request stays after it', () => {
    const history = new RequestHistory();
    history.push(user('a'));
    history.push(assistant([text('b')]));
    const pending = user('pending');
    history.push(pending);
    assert.deepEqual(history.pendingUserIds(), [pending.id]);
    assert.deepEqual(history.messagesExcept([pending.id]).map((m) => m.role), ['user', 'assistant']);
    const signed = { type: 'compaction', content: 'S', signature: 'EuYBsig' };
    history.applyOnDemandCompaction(signed, [pending.id]);
    assert.equal(history.signed, true);
    assert.deepEqual(history.toMessages(), [
      { role: 'assistant', content: [signed] },
      { role: 'user', content: pending.content },
    ]);
  });

  test('compacting mid tool loop: the rounds summarized after the kept request go without their thinking, so no answer opens with text', () => {
    const history = new RequestHistory();
    const thinking = (value: string): StoredBlock => ({ type: 'thinking', thinking: value, signature: `sig-${value}` });
    const call = (id: string): StoredBlock => ({ type: 'tool_use', id, name: 'read_file', input: { path: 'a.ts' } });
    const result = (id: string): Extract<ConversationRecord, { kind: 'user' }> => ({ v: 1, kind: 'user', id: `t${++counter}`, at: counter, content: [{ type: 'tool_result', tool_use_id: id, content: 'x' }] });
    history.push(user('earlier'));
    history.push(assistant([thinking('e'), text('earlier answer')]));
    history.push(user('the request'));
    for (const id of ['c1', 'c2', 'c3']) {
      history.push(assistant([thinking(id), text(`reading ${id}`), call(id)]));
      history.push(result(id));
    }
    const kept = history.pendingUserIds();
    assert.equal(kept.length, 3, 'the typed request and the last round with its result');
    const summarized = history.messagesExcept(kept);
    for (const message of summarized) {
      const first = message.content.findIndex((block) => block.type === 'thinking');
      assert.ok(first <= 0, `thinking opens its message or is absent: ${JSON.stringify(message.content.map((block) => block.type))}`);
    }
    assert.deepEqual(summarized[1]!.content[0], thinking('e'), 'the answers before the kept request keep theirs');
    assert.ok(summarized.slice(2).every((message) => message.content.every((block) => block.type !== 'thinking')));
  });

  test('rebuilding after a retried interrupted answer gives the request the live history sent', () => {
    const live = new RequestHistory();
    const question = user('question');
    const partial: Extract<ConversationRecord, { kind: 'assistant' }> = { ...assistant([text('Half an ans')]), status: 'interrupted' };
    const retried = assistant([{ type: 'thinking', thinking: 'Think again.', signature: 'sig' }, text('The whole answer.')]);
    live.push(question);
    live.push(partial);
    live.dropLast(partial.id);
    live.push(retried);
    const error: ConversationRecord = { v: 1, kind: 'error', id: 'e1', at: 0, errorKind: 'connection', message: 'The connection dropped.', retryable: true };
    const rebuilt = RequestHistory.rebuild([question, partial, error, retried]);
    assert.deepEqual(rebuilt.toMessages(), live.toMessages());
    assert.equal(rebuilt.toMessages()[1]!.content[0]!.type, 'thinking', 'the retried answer opens with its thinking');
  });

  test('rebuilding from records gives the same request as the live history', () => {
    const records: ConversationRecord[] = [];
    const live = new RequestHistory();
    const add = (record: Extract<ConversationRecord, { kind: 'user' | 'assistant' }>) => {
      records.push(record);
      live.push(record);
    };
    add(user('one'));
    add(assistant([text('two')]));
    add(user('three'));
    const pausedAnswer = assistant([{ type: 'compaction', content: 'Summary' }]);
    records.push(pausedAnswer);
    live.push(pausedAnswer);
    const putBack = live.applyPausedCompaction({ type: 'compaction', content: 'Summary' }, 1);
    records.push({ v: 1, kind: 'compaction', id: 'c1', at: 99, compactionKind: 'threshold', failed: false, summary: 'Summary', coveredMessages: 3, putBack });
    add(assistant([text('continued')]));
    add(user('four'));
    const rebuilt = RequestHistory.rebuild(records);
    assert.deepEqual(rebuilt.toMessages(), live.toMessages());
    assert.equal(RequestHistory.containsAnchor(records), true);
  });

  test('a stopped answer with no text is not sent; consecutive user messages merge', () => {
    const history = new RequestHistory();
    history.push(user('q1'));
    history.push(assistant([], 'stopped'));
    history.push(user('q2'));
    const messages = history.toMessages();
    assert.equal(messages.length, 1);
    assert.equal(messages[0]!.content.length, 2);
  });
});
