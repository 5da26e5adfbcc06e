import * as assert from 'node:assert/strict';
import { isToHost } from '../../src/shared/protocol';

suite('isToHost: the host edge checks every field the chat view may send', () => {
  test('accepts the view messages with their optional fields', () => {
    assert.ok(isToHost({ type: 'code/apply', code: 'x', language: 'ts', path: 'src/a.ts' }));
    assert.ok(isToHost({ type: 'code/apply', code: 'x' }));
    assert.ok(isToHost({ type: 'conversation/switch', id: 'c-1', focusItemId: 'u-1' }));
    assert.ok(isToHost({ type: 'conversation/switch', id: 'c-1' }));
    assert.ok(isToHost({ type: 'command/run', command: 'openInEditor' }));
  });

  test('refuses wrong types in those fields and unknown commands', () => {
    assert.equal(isToHost({ type: 'code/apply', code: 'x', path: 5 }), false);
    assert.equal(isToHost({ type: 'code/apply', code: 'x', language: {} }), false);
    assert.equal(isToHost({ type: 'conversation/switch', id: 'c-1', focusItemId: ['u-1'] }), false);
    assert.equal(isToHost({ type: 'command/run', command: 'workbench.action.reloadWindow' }), false);
    assert.equal(isToHost({ type: 'link/open' }), false);
    assert.equal(isToHost(null), false);
  });

  test('requests about a turn name their request and their conversation', () => {
    const turn = { requestId: 'w-1', conversationId: 'c-1' };
    assert.ok(isToHost({ type: 'chat/send', text: 'hi', ...turn }));
    assert.ok(isToHost({ type: 'chat/editLast', text: 'hi again', ...turn }));
    assert.ok(isToHost({ type: 'chat/retry', ...turn }));
    assert.ok(isToHost({ type: 'chat/continue', ...turn }));
    assert.ok(isToHost({ type: 'conversation/compact', ...turn }));
    assert.ok(isToHost({ type: 'chat/cancel', requestId: 'w-1' }));
  });

  test('refuses turn requests without an id or a conversation, and a stop that names nothing', () => {
    assert.equal(isToHost({ type: 'chat/send', text: 'hi' }), false);
    assert.equal(isToHost({ type: 'chat/send', text: 'hi', requestId: 'w-1' }), false);
    assert.equal(isToHost({ type: 'chat/send', text: 'hi', conversationId: 'c-1' }), false);
    assert.equal(isToHost({ type: 'chat/retry', requestId: '', conversationId: 'c-1' }), false);
    assert.equal(isToHost({ type: 'chat/continue', requestId: 7, conversationId: 'c-1' }), false);
    assert.equal(isToHost({ type: 'conversation/compact', requestId: 'w-1', conversationId: 'c'.repeat(300) }), false);
    assert.equal(isToHost({ type: 'chat/cancel' }), false);
    assert.equal(isToHost({ type: 'chat/cancel', requestId: 'x'.repeat(300) }), false);
  });

  test('a message names the chips it carries by id, and nothing else passes as a list of them', () => {
    const turn = { requestId: 'w-1', conversationId: 'c-1' };
    assert.ok(isToHost({ type: 'chat/send', text: 'hi', attachmentIds: [], ...turn }));
    assert.ok(isToHost({ type: 'chat/send', text: 'hi', attachmentIds: ['a1', 'a2'], ...turn }));
    assert.equal(isToHost({ type: 'chat/send', text: 'hi', attachmentIds: 'a1', ...turn }), false);
    assert.equal(isToHost({ type: 'chat/send', text: 'hi', attachmentIds: [1], ...turn }), false);
    assert.equal(isToHost({ type: 'chat/send', text: 'hi', attachmentIds: [''], ...turn }), false);
  });
});
