// Decides whether a message is long enough to show collapsed, and what its collapsed preview is; no DOM.

/** A message longer than either limit is shown collapsed (an 80 KB paste would fill the timeline). */
export const LONG_TEXT_CHARS = 3000;
export const LONG_TEXT_LINES = 40;
/** What a collapsed message still shows: its first lines, and never more characters than this. */
export const PREVIEW_LINES = 8;
export const PREVIEW_CHARS = 600;

export interface LongText {
  /** Whether the text is collapsed until the user asks for all of it. */
  long: boolean;
  /** The first lines (the whole text when not long). */
  preview: string;
  /** Lines in the whole text (a trailing newline starts no line). */
  lines: number;
  chars: number;
}

export function longText(text: string): LongText {
  const lines = lineCount(text);
  const long = text.length > LONG_TEXT_CHARS || lines > LONG_TEXT_LINES;
  return { long, preview: long ? previewOf(text) : text, lines, chars: text.length };
}

/** The label of the button that shows the whole message. */
export function showAllLabel(text: LongText): string {
  // One huge line (minified code, a log without newlines) is sized in characters instead.
  const size = text.lines > 1 ? `${text.lines.toLocaleString('en-US')} lines` : `${text.chars.toLocaleString('en-US')} characters`;
  return `Show all (${size})`;
}

export const SHOW_LESS_LABEL = 'Show less';

function lineCount(text: string): number {
  if (text === '') {
    return 0;
  }
  let count = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
    count++;
  }
  return text.endsWith('\n') ? count - 1 : count;
}

/** The first PREVIEW_LINES lines, cut to PREVIEW_CHARS at a space where one is near, without trailing blank lines. */
function previewOf(text: string): string {
  let end = -1;
  for (let line = 0; line < PREVIEW_LINES; line++) {
    end = text.indexOf('\n', end + 1);
    if (end < 0) {
      end = text.length;
      break;
    }
  }
  let preview = text.slice(0, Math.min(end, PREVIEW_CHARS));
  if (end > PREVIEW_CHARS) {
    const space = preview.lastIndexOf(' ');
    if (space > PREVIEW_CHARS * 0.8) {
      preview = preview.slice(0, space);
    }
  }
  // Never end on half of a surrogate pair (an emoji cut in two shows as a replacement character).
  if (/[\uD800-\uDBFF]$/.test(preview)) {
    preview = preview.slice(0, -1);
  }
  return preview.replace(/\s+$/, '');
}
