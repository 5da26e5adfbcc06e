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
});
