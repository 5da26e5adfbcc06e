import * as assert from 'node:assert/strict';
import { AnthropicError } from '@anthropic-ai/sdk';
import { classifyError } from '../../src/core/errors';

suite('Error classification of damaged responses', () => {
  test('a stream event that is not JSON (the SDK wraps the SyntaxError) is a retryable malformed response', () => {
    let parseError: unknown;
    try {
      JSON.parse('{not json');
    } catch (error) {
      parseError = error;
    }
    const wrapped = new AnthropicError('Expected property name or \'}\' in JSON at position 1');
    (wrapped as { cause?: unknown }).cause = parseError;
    for (const raw of [parseError, wrapped]) {
      const classified = classifyError(raw);
      assert.deepEqual([classified.kind, classified.retryable], ['server', true]);
      assert.equal(classified.message, 'The API sent a malformed response.');
    }
  });

  test('other SDK errors without a status keep their classification', () => {
    assert.equal(classifyError(new AnthropicError('stream ended without producing a Message with role=assistant')).kind, 'connection');
    assert.equal(classifyError(new AnthropicError('something else')).retryable, false);
  });
});
