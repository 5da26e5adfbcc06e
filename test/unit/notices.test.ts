// Error and notice text as the view shows it: plain words (the view renders no Markdown there), and an
// error card that leaves once a Retry has answered its turn.
import * as assert from 'node:assert/strict';
import { APIConnectionError, NotFoundError } from '@anthropic-ai/sdk';
import { classifyError } from '../../src/core/errors';
import type { ConversationRecord } from '../../src/core/records';
import { timelineItems } from '../../src/core/timeline';

const user = (id: string, text: string): ConversationRecord => ({ v: 1, kind: 'user', id, at: 1, content: [{ type: 'text', text }] });
const error = (id: string): ConversationRecord => ({ v: 1, kind: 'error', id, at: 2, errorKind: 'overloaded', message: 'The API is overloaded.', retryable: true });
const answer = (id: string): ConversationRecord => ({ v: 1, kind: 'assistant', id, at: 3, content: [{ type: 'text', text: 'Here.' }], stopReason: 'end_turn', status: 'done', model: 'claude-sonnet-5-5' });

suite('Errors and notices as shown', () => {
  test('error messages hold no Markdown backticks', () => {
    const connection = classifyError(new APIConnectionError({ message: 'Connection error.' }));
    assert.doesNotMatch(connection.message, /`/);
    assert.match(connection.message, /marathon\.apiBaseUrl/);
    const notFound = classifyError(new NotFoundError(404, { type: 'error', error: { type: 'not_found_error', message: 'model: x' } }, 'model: x', new Headers()));
    assert.doesNotMatch(notFound.message, /`/);
  });

  test('an error card leaves the timeline once a Retry answered its turn, after a reload too', () => {
    const retried = timelineItems([user('u1', 'Hi'), error('e1'), error('e2'), answer('a1')]);
    assert.deepEqual(retried.map((item) => item.kind), ['user', 'assistant']);
  });

  test('an error the user moved on from without an answer stays', () => {
    const unanswered = timelineItems([user('u1', 'Hi'), error('e1'), user('u2', 'Next')]);
    assert.deepEqual(unanswered.map((item) => item.kind), ['user', 'error', 'user']);
  });
});
