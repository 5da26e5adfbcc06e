import * as assert from 'node:assert/strict';
import { BlockSplitter, splitBlocks } from '../../src/webview/blockSplitter';

/** Feeds text in pieces of `size` characters and collects every finished block. */
function streamBlocks(text: string, size: number): string[] {
  const splitter = new BlockSplitter();
  const blocks: string[] = [];
  for (let i = 0; i < text.length; i += size) {
    splitter.append(text.slice(i, i + size));
    blocks.push(...splitter.takeFinished());
  }
  return [...blocks, ...splitter.finish()];
}

const sample = [
  '# Plan',
  '',
  'First paragraph with **bold**',
  'and a second line.',
  '',
  '```ts',
  'const a = 1;',
  '',
  'const b = 2;',
  '```',
  '',
  '- one',
  '- two',
  '',
  '- three, loose',
  '',
  '  continued inside item three',
  '',
  '1. first',
  '',
  '2. second',
  '',
  '> quote',
  '',
  'Last words.',
].join('\n');

suite('BlockSplitter', () => {
  test('splits paragraphs at blank lines', () => {
    assert.deepEqual(splitBlocks('one\n\ntwo\n\nthree'), ['one', 'two\n\nthree']);
    assert.deepEqual(splitBlocks('one\n\ntwo\n\nthree\n'), ['one', 'two', 'three']);
  });

  test('keeps blank lines inside a code fence in one block', () => {
    const text = 'intro\n\n```py\nx = 1\n\n\ny = 2\n```\n\nafter\n';
    assert.deepEqual(splitBlocks(text), ['intro', '```py\nx = 1\n\n\ny = 2\n```', 'after']);
  });

  test('needs a closing fence of the same character and at least the same length', () => {
    const text = '````md\n```\n\ninner\n```\n\nstill code\n````\n\nafter\n';
    assert.deepEqual(splitBlocks(text), ['````md\n```\n\ninner\n```\n\nstill code\n````', 'after']);
    const tilde = '~~~\n```\n\nx\n~~~\n\nafter\n';
    assert.deepEqual(splitBlocks(tilde), ['~~~\n```\n\nx\n~~~', 'after']);
  });

  test('keeps a loose list and its indented continuations together', () => {
    const blocks = splitBlocks(sample + '\n');
    assert.deepEqual(blocks, [
      '# Plan',
      'First paragraph with **bold**\nand a second line.',
      '```ts\nconst a = 1;\n\nconst b = 2;\n```',
      '- one\n- two\n\n- three, loose\n\n  continued inside item three\n\n1. first\n\n2. second',
      '> quote',
      'Last words.',
    ]);
  });

  test('never splits before an indented line (list item or indented code continues)', () => {
    assert.deepEqual(splitBlocks('    code one\n\n    code two\n\nprose\n'), ['    code one\n\n    code two', 'prose']);
  });

  test('produces the same blocks however the text is chunked', () => {
    const whole = splitBlocks(sample);
    for (const size of [1, 2, 3, 7, 16, 1000]) {
      assert.deepEqual(streamBlocks(sample, size), whole, `chunk size ${size}`);
    }
  });

  test('returns each finished block once and keeps the open block open', () => {
    const splitter = new BlockSplitter();
    splitter.append('alpha\n\nbe');
    assert.deepEqual(splitter.takeFinished(), []);
    splitter.append('ta\n');
    assert.deepEqual(splitter.takeFinished(), ['alpha']);
    assert.deepEqual(splitter.takeFinished(), []);
    assert.equal(splitter.openBlock(), 'beta\n');
  });

  test('closes a half-written fence virtually so it renders as code', () => {
    const splitter = new BlockSplitter();
    splitter.append('Here:\n\n```ts\nconst x = 1;\nconst y');
    assert.deepEqual(splitter.takeFinished(), ['Here:']);
    assert.equal(splitter.renderableOpenBlock(), '```ts\nconst x = 1;\nconst y\n```');
  });

  test('closes a fence whose opening line is still being written', () => {
    const splitter = new BlockSplitter();
    splitter.append('```pyth');
    assert.equal(splitter.renderableOpenBlock(), '```pyth\n```');
  });

  test('adds no second fence when the closing fence is being written', () => {
    const splitter = new BlockSplitter();
    splitter.append('~~~~\ncode\n~~~~');
    assert.equal(splitter.renderableOpenBlock(), '~~~~\ncode\n~~~~');
  });

  test('treats CRLF line ends like LF', () => {
    assert.deepEqual(splitBlocks('one\r\n\r\n```\r\na\r\n\r\nb\r\n```\r\n\r\ntwo\r\n'), ['one', '```\r\na\r\n\r\nb\r\n```', 'two']);
  });

  test('does not treat inline code with backticks in the info string as a fence', () => {
    assert.deepEqual(splitBlocks('```a`b```\n\nnext\n'), ['```a`b```', 'next']);
  });

  test('finish returns nothing for an empty or blank stream', () => {
    const splitter = new BlockSplitter();
    assert.deepEqual(splitter.finish(), []);
    splitter.append('\n\n  \n');
    assert.deepEqual(splitter.finish(), []);
  });

  test('scans only new text: a long answer streams in linear time', () => {
    const paragraph = 'word '.repeat(40);
    const splitter = new BlockSplitter();
    let finished = 0;
    for (let i = 0; i < 5000; i++) {
      for (const piece of [paragraph, '\n\n']) {
        splitter.append(piece);
      }
      finished += splitter.takeFinished().length;
      assert.ok(splitter.openBlock().length < 2 * paragraph.length + 4);
    }
    assert.equal(finished, 4999);
  });
});
