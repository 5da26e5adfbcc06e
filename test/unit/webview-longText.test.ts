import * as assert from 'node:assert/strict';
import { LONG_TEXT_CHARS, LONG_TEXT_LINES, longText, PREVIEW_CHARS, PREVIEW_LINES, SHOW_LESS_LABEL, showAllLabel } from '../../src/webview/longText';

const numbered = (count: number): string => Array.from({ length: count }, (_, i) => `line ${i + 1}`).join('\n');

suite('Long messages: when a message shows collapsed, and what it shows', () => {
  test('a short message is shown whole', () => {
    const text = 'Why does the build fail?\nIt worked yesterday.';
    assert.deepEqual(longText(text), { long: false, preview: text, lines: 2, chars: text.length });
  });

  test('a message at the limits is shown whole; one more line or character collapses it', () => {
    assert.equal(longText(numbered(LONG_TEXT_LINES)).long, false);
    assert.equal(longText(numbered(LONG_TEXT_LINES + 1)).long, true);
    assert.equal(longText('x'.repeat(LONG_TEXT_CHARS)).long, false);
    assert.equal(longText('x'.repeat(LONG_TEXT_CHARS + 1)).long, true);
  });

  test('a trailing newline starts no line', () => {
    assert.equal(longText(`${numbered(LONG_TEXT_LINES)}\n`).long, false);
    assert.equal(longText(`${numbered(3)}\n`).lines, 3);
    assert.equal(longText('').lines, 0);
  });

  test('a collapsed message previews its first lines, and says how many lines it has', () => {
    const shown = longText(numbered(2000));
    assert.equal(shown.long, true);
    assert.equal(shown.preview, numbered(PREVIEW_LINES));
    assert.equal(showAllLabel(shown), 'Show all (2,000 lines)');
    assert.equal(SHOW_LESS_LABEL, 'Show less');
  });

  test('an 80 KB paste without newlines previews at most PREVIEW_CHARS, cut at a space, and is sized in characters', () => {
    const words = 'lorem ipsum dolor sit amet '.repeat(3000);
    const shown = longText(words);
    assert.equal(shown.long, true);
    assert.ok(shown.preview.length <= PREVIEW_CHARS && shown.preview.length > PREVIEW_CHARS * 0.8, `${shown.preview.length} characters`);
    assert.ok(words.startsWith(shown.preview));
    assert.match(shown.preview, /\S$/, 'no trailing space');
    assert.equal(words.charAt(shown.preview.length), ' ', 'cut at a word boundary');
    assert.equal(showAllLabel(shown), `Show all (${(81_000).toLocaleString('en-US')} characters)`);
  });

  test('long lines are cut by characters even within the first lines', () => {
    const text = Array.from({ length: 50 }, () => 'y'.repeat(200)).join('\n');
    const shown = longText(text);
    assert.equal(shown.preview.length, PREVIEW_CHARS);
    assert.ok(text.startsWith(shown.preview));
  });

  test('the preview drops trailing blank lines and never ends on half of an emoji', () => {
    const blank = `${numbered(3)}\n\n\n\n\n\n${numbered(60)}`;
    assert.equal(longText(blank).preview, numbered(3));
    const emoji = `${'z'.repeat(PREVIEW_CHARS - 1)}😀${'z'.repeat(LONG_TEXT_CHARS)}`;
    const preview = longText(emoji).preview;
    assert.equal(preview, 'z'.repeat(PREVIEW_CHARS - 1));
    assert.doesNotMatch(preview, /[\uD800-\uDBFF]$/);
  });

  test('CRLF text previews its first lines without a stray carriage return', () => {
    const text = Array.from({ length: 60 }, (_, i) => `row ${i}`).join('\r\n');
    const shown = longText(text);
    assert.equal(shown.lines, 60);
    assert.equal(shown.preview, Array.from({ length: PREVIEW_LINES }, (_, i) => `row ${i}`).join('\r\n'));
  });
});
