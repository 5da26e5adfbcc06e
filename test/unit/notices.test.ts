// Error and notice text as the view shows it: plain words (the view renders no Markdown there), and an
// error card that leaves once a Retry has answered its turn.
import * as assert from 'node:assert/strict';
import { APIConnectionError, APIError, BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import { unreachableMessage } from '../../src/core/endpoint';
import { classifyError } from '../../src/core/errors';
import { platformProblem } from '../../src/core/platformErrors';
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

  test('the context-window and platform messages hold no backticks either', () => {
    const headers = new Headers();
    const limit = 'input length and `max_tokens` exceed context limit: 190000 + 64000 > 200000';
    const tooLong = classifyError(new BadRequestError(400, { type: 'error', error: { type: 'invalid_request_error', message: limit } }, limit, headers));
    assert.equal(tooLong.kind, 'contextWindow');
    const platform = [
      new APIConnectionError({ message: 'Failed to resolve AWS credentials from the credential provider chain.', cause: new Error('The SSO session associated with this profile has expired.') }),
      new APIConnectionError({ message: 'Failed to resolve AWS credentials from the credential provider chain.', cause: new Error('Could not load credentials from any providers') }),
      new APIConnectionError({ message: 'Failed to acquire Google OAuth credentials.', cause: new Error('Could not load the default credentials.') }),
      new Error('Failed to get token from azureADTokenProvider: EnvironmentCredential is unavailable'),
      APIError.generate(400, { message: 'The provided model identifier is invalid.' }, undefined, headers),
      APIError.generate(403, { message: 'The request signature we calculated does not match the signature you provided.' }, undefined, headers),
    ].map((raw) => platformProblem(raw)?.message ?? 'not a platform problem');
    for (const message of [tooLong.message, ...platform]) {
      assert.doesNotMatch(message, /`|not a platform problem/, message);
    }
  });

  test('a connection error on the demo backend names the demo backend, with no API base URL advice', () => {
    const demo = classifyError(new APIConnectionError({ message: 'Connection error.' }), unreachableMessage({ kind: 'demo', baseUrl: 'http://127.0.0.1:9' }));
    assert.equal(demo.kind, 'connection');
    assert.match(demo.message, /demo backend at http:\/\/127\.0\.0\.1:9/);
    assert.match(demo.message, /npm start/);
    assert.doesNotMatch(demo.message, /apiBaseUrl|base URL|`/);
    // A base URL the user set is named; a cloud platform is not told about the API's base URL.
    assert.match(unreachableMessage({ kind: 'api', baseUrl: 'https://proxy.example' }), /at https:\/\/proxy\.example\. .*marathon\.apiBaseUrl/);
    assert.doesNotMatch(unreachableMessage({ kind: 'platform' }), /apiBaseUrl/);
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
