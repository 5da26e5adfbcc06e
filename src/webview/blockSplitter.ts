// Incremental splitter for streamed markdown. DOM-free so it runs in plain Node unit tests.
//
// A streamed answer is cut into top-level blocks at *safe* boundaries: a blank line outside a
// code fence, followed by a line that starts at column 0 and does not continue a list. Finished
// blocks never change again, so the UI renders each one once; only the open (last) block is
// re-rendered as deltas arrive. This keeps the cost of a delta independent of answer length.
//
// Keeping too much text in one block is only a performance cost; splitting inside a construct
// would change how it renders. So every rule errs towards *not* splitting.

interface Fence {
  char: '`' | '~';
  length: number;
}

const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;
const FENCE_CLOSE = /^\s*(`{3,}|~{3,})\s*$/;
const LIST_ITEM = /^ {0,3}(?:[-+*]|\d{1,9}[.)])(?:\s|$)/;
const BLANK = /^\s*$/;

function openingFence(line: string): Fence | null {
  const match = FENCE_OPEN.exec(line);
  if (!match || match[1] === undefined) {
    return null;
  }
  const marker = match[1];
  const char = marker[0] === '~' ? '~' : '`';
  // CommonMark: a backtick fence's info string may not contain a backtick (that is inline code).
  if (char === '`' && (match[2] ?? '').includes('`')) {
    return null;
  }
  return { char, length: marker.length };
}

function closesFence(line: string, fence: Fence): boolean {
  const match = FENCE_CLOSE.exec(line);
  const marker = match?.[1];
  return marker !== undefined && marker[0] === fence.char && marker.length >= fence.length;
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Removes leading and trailing blank lines (not indentation: it is significant in markdown). */
function trimBlankLines(text: string): string {
  return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/(?:\r?\n[ \t]*)+$/, '');
}

export class BlockSplitter {
  /** Text of the open block (earlier text is dropped once its blocks are finished). */
  private pending = '';
  /** Offset in `pending` of the first line not yet scanned (it has no newline yet). */
  private scanPos = 0;
  private fence: Fence | null = null;
  private blockHasContent = false;
  private blockHasList = false;
  private blankSinceContent = false;
  private ready: string[] = [];

  /** Adds streamed text. Only newly completed lines are scanned. */
  append(chunk: string): void {
    if (chunk.length === 0) {
      return;
    }
    this.pending += chunk;
    let newline = this.pending.indexOf('\n', this.scanPos);
    while (newline !== -1) {
      const lineStart = this.scanPos;
      this.scanPos = newline + 1;
      this.scanLine(stripCr(this.pending.slice(lineStart, newline)), lineStart);
      newline = this.pending.indexOf('\n', this.scanPos);
    }
  }

  /** Blocks finished since the last call, in order. Each is returned exactly once. */
  takeFinished(): string[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Raw text of the block still being written. */
  openBlock(): string {
    return this.pending;
  }

  /**
   * The open block made renderable: a fence still being written is closed virtually, so a
   * half-written code block shows as code rather than as a paragraph of backticks.
   */
  renderableOpenBlock(): string {
    const text = trimBlankLines(this.pending);
    const partial = stripCr(this.pending.slice(this.scanPos));
    let fence = this.fence;
    if (fence === null) {
      fence = openingFence(partial);
    } else if (closesFence(partial, fence)) {
      fence = null;
    }
    if (fence === null) {
      return text;
    }
    return `${text}\n${fence.char.repeat(fence.length)}`;
  }

  /** Ends the stream: returns the remaining finished blocks, the last one included. */
  finish(): string[] {
    const last = trimBlankLines(this.pending);
    if (last.length > 0) {
      this.ready.push(last);
    }
    this.pending = '';
    this.scanPos = 0;
    this.fence = null;
    this.blockHasContent = false;
    this.blockHasList = false;
    this.blankSinceContent = false;
    return this.takeFinished();
  }

  private scanLine(line: string, lineStart: number): void {
    if (this.fence !== null) {
      if (closesFence(line, this.fence)) {
        this.fence = null;
      }
      return;
    }
    if (BLANK.test(line)) {
      if (this.blockHasContent) {
        this.blankSinceContent = true;
      }
      return;
    }
    const isListItem = LIST_ITEM.test(line);
    if (this.blankSinceContent && this.isSafeBoundary(line, isListItem)) {
      const block = trimBlankLines(this.pending.slice(0, lineStart));
      if (block.length > 0) {
        this.ready.push(block);
      }
      this.pending = this.pending.slice(lineStart);
      this.scanPos -= lineStart;
      this.blockHasList = false;
    }
    this.blankSinceContent = false;
    this.blockHasContent = true;
    if (isListItem) {
      this.blockHasList = true;
    }
    this.fence = openingFence(line);
  }

  private isSafeBoundary(line: string, isListItem: boolean): boolean {
    // An indented line after a blank continues a list item or an indented code block.
    if (/^\s/.test(line)) {
      return false;
    }
    // Another item of a list keeps the list whole (tight/loose and numbering stay right).
    return !(this.blockHasList && isListItem);
  }
}

/** Splits a complete markdown text into the same blocks the streaming path produces. */
export function splitBlocks(text: string): string[] {
  const splitter = new BlockSplitter();
  splitter.append(text);
  return splitter.finish();
}
