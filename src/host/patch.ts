// Unified diffs from the chat (a ```diff block, as "Fix with Marathon" asks for): recognise them, read
// the files they name, and apply their hunks to a file's text with jsdiff. Pure text in, text out (no
// `vscode`), so Apply can refuse a diff that does not fit before anything opens.
import { applyPatch, parsePatch, type StructuredPatch } from 'diff';
import { describeError } from '../core/errorText';

/** One file's part of a unified diff. */
export interface FilePatch {
  /** Workspace-relative path of the file to change (from `+++ b/…`, else `--- a/…`); undefined if the diff names none. */
  path?: string;
  /** The diff creates the file (`--- /dev/null`). */
  isNew: boolean;
  /** The diff deletes the file (`+++ /dev/null`). */
  isDelete: boolean;
  patch: StructuredPatch;
}

/** The parsed diff, or why it is not one Marathon can apply. */
export type ParsedDiff = { files: FilePatch[] } | { refused: string };

/** The patched text, or why the hunks do not fit the file. */
export type PatchResult = { text: string } | { refused: string };

// Line numbers may be missing (`@@ @@`, `@@ ... @@`): jsdiff then looks for the hunk from the top.
const HUNK_HEADER = /^@@(?: -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)?| [^@]*)? @@(.*)$/;

/** True when a code block is a unified diff: fenced as diff/patch, or shaped like one (`---`, `+++`, `@@`). */
export function isUnifiedDiff(code: string, language?: string): boolean {
  const lang = language?.trim().toLowerCase();
  const shaped = /^@@ .*@@/m.test(code) && /^[-+]/m.test(code);
  if (lang === 'diff' || lang === 'patch' || lang === 'udiff') {
    return shaped;
  }
  return shaped && /^--- \S/m.test(code) && /^\+\+\+ \S/m.test(code);
}

/**
 * Parses a unified diff. Hunk headers' line counts are recomputed from the hunk bodies first: models
 * often get them wrong, and jsdiff finds each hunk by its context anyway.
 */
export function parseUnifiedDiff(code: string): ParsedDiff {
  let patches: StructuredPatch[];
  try {
    patches = parsePatch(recountHunks(code));
  } catch (error) {
    return { refused: `the diff could not be read (${describeError(error)}).` };
  }
  const files = patches
    .filter((patch) => patch.hunks.length > 0)
    .map((patch): FilePatch => {
      const isNew = patch.oldFileName === '/dev/null';
      const isDelete = patch.newFileName === '/dev/null';
      const name = isDelete ? patch.oldFileName : (patch.newFileName ?? patch.oldFileName);
      return { path: stripPrefix(name), isNew, isDelete, patch };
    });
  if (files.length === 0) {
    return { refused: 'the diff has no hunks (no @@ lines) to apply.' };
  }
  return { files };
}

/** Applies one file's hunks to its text; refuses, naming the first hunk that does not fit. */
export function applyFilePatch(original: string, file: FilePatch): PatchResult {
  const result = applyPatch(original, file.patch);
  if (result !== false) {
    return { text: result };
  }
  // Find the first hunk that fails, so the message can say where.
  const hunks = file.patch.hunks;
  for (let i = 1; i <= hunks.length; i++) {
    if (applyPatch(original, { ...file.patch, hunks: hunks.slice(0, i) }) === false) {
      const hunk = hunks[i - 1];
      const where = hunk === undefined ? '' : ` (near line ${hunk.oldStart})`;
      const which = hunks.length > 1 ? `hunk ${i} of ${hunks.length}${where}` : `its hunk${where}`;
      return { refused: `the diff does not match ${file.path ?? 'the file'}: ${which} expects lines the file does not have. Nothing was changed; ask for a diff against the current file.` };
    }
  }
  return { refused: `the diff does not match ${file.path ?? 'the file'}. Nothing was changed.` };
}

/** `a/src/x.ts` → `src/x.ts`; also drops a tab-separated timestamp. */
function stripPrefix(name: string | undefined): string | undefined {
  if (name === undefined || name === '/dev/null' || name.trim() === '') {
    return undefined;
  }
  const bare = name.split('\t')[0]?.trim() ?? '';
  return /^[ab]\//.test(bare) ? bare.slice(2) : bare;
}

/**
 * Rewrites each `@@ -a,b +c,d @@` header with the counts its body really has. Inside a hunk, an empty
 * line is a context line whose leading space was trimmed away; trailing empty lines end the diff.
 */
function recountHunks(code: string): string {
  const lines = code.replace(/\r\n/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const header = HUNK_HEADER.exec(line);
    if (header === null) {
      out.push(line);
      i++;
      continue;
    }
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const next = lines[j] ?? '';
      if (next.startsWith('@@') || next.startsWith('--- ') || next.startsWith('diff ') || next.startsWith('Index: ')) {
        break;
      }
      if (next === '' || next.startsWith(' ') || next.startsWith('-') || next.startsWith('+') || next.startsWith('\\')) {
        body.push(next === '' ? ' ' : next);
      } else {
        break;
      }
    }
    if (body.length === 0) {
      // Nothing to count: leave the header for jsdiff to judge.
      out.push(line);
      i++;
      continue;
    }
    const oldCount = body.filter((l) => l.startsWith(' ') || l.startsWith('-')).length;
    const newCount = body.filter((l) => l.startsWith(' ') || l.startsWith('+')).length;
    out.push(`@@ -${header[1] ?? '1'},${oldCount} +${header[2] ?? '1'},${newCount} @@${header[3] ?? ''}`, ...body);
    i = j;
  }
  return out.join('\n') + '\n';
}
