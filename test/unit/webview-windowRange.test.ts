import * as assert from 'node:assert/strict';
import { MAX_RENDERED, rangeAround, rangeAtEnd, rangeAtScroll, spacerHeights } from '../../src/webview/windowRange';

const each = (height: number) => () => height;

suite('Timeline window range', () => {
  test('following the end renders the last items that fill the viewport and its overscan', () => {
    // 800 px viewport + 1.5 × 800 overscan = 2,000 px: twenty items of 100 px.
    assert.deepEqual(rangeAtEnd(1000, each(100), 800), [980, 1000]);
    assert.deepEqual(rangeAtEnd(5, each(100), 800), [0, 5]);
  });

  test('never more than MAX_RENDERED elements, however small the items', () => {
    assert.deepEqual(rangeAtEnd(5000, each(1), 800), [5000 - MAX_RENDERED, 5000]);
    const [from, to] = rangeAtScroll(5000, each(1), 2500, 800);
    assert.ok(to - from <= MAX_RENDERED);
  });

  test('a scrolled viewport renders what it shows plus overscan on both sides, and at least one item', () => {
    // viewTop 10,000: from the item that reaches 10,000 − 1,200, to 10,000 + 800 + 1,200.
    assert.deepEqual(rangeAtScroll(1000, each(100), 10_000, 800), [87, 120]);
    assert.deepEqual(rangeAtScroll(1, each(100), 10_000, 800), [0, 1]);
  });

  test('around an item: the pixels asked for above and below it', () => {
    assert.deepEqual(rangeAround(1000, each(100), 500, 300, 450), [497, 505]);
    assert.deepEqual(rangeAround(10, each(100), 1, 300, 450), [0, 6]);
  });

  test('the spacers stand in for the items above and below the rendered range', () => {
    const heights = [10, 20, 30, 40, 50];
    assert.deepEqual(spacerHeights(5, (i) => heights[i]!, 1, 3), { top: 10, bottom: 90 });
    assert.deepEqual(spacerHeights(5, (i) => heights[i]!, 0, 5), { top: 0, bottom: 0 });
  });
});
