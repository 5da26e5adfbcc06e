// Attachment blocks: what the model sees of a file, selection, folder, problem, terminal or diff the
// user attached. Pure logic (no `vscode`): delimiting, token estimates, truncation, binary detection,
// and the few path and language rules the host needs. The host reads the workspace; this formats it.
import type { AttachmentSummary } from '../shared/protocol';
import type { StoredBlock } from './records';
import { estimateTokens } from './usage';

export type AttachmentKind = AttachmentSummary['kind'];

/** Default of `marathon.context.maxFileBytes`. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024;
/** Bytes looked at for binary detection (git looks at the first 8,000). */
const BINARY_SNIFF_BYTES = 8000;
/** Entries listed for a folder before the listing is cut. */
const MAX_FOLDER_ENTRIES = 500;

/** One attachment ready to send: the block the request carries and what the view shows of it. */
export interface BuiltAttachment {
  block: StoredBlock;
  summary: AttachmentSummary;
}

/** Where a piece of workspace text lives; the root is named only in multi-root workspaces. */
export interface Location {
  /** Workspace-relative path with forward slashes (or a name like `Untitled-1`). */
  path: string;
  root?: string;
}

/** Why an attachment was not made; `canTruncate` means the first part can be attached instead. */
export interface AttachmentProblem {
  reason: 'tooLarge' | 'binary' | 'outsideWorkspace' | 'missing' | 'unreadable' | 'untrusted' | 'unavailable' | 'noProblems';
  message: string;
  canTruncate?: boolean;
}

// ------------------------------------------------------------------ delimiting

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r?\n/g, ' ');
}

/**
 * Wraps `body` in `<tag attr="…">…</tag>`. A closing tag inside the body would end the block early, so
 * `</tag` in the body becomes `<\/tag` (the only change ever made to attached text).
 */
export function delimit(tag: string, attributes: Record<string, string | number | boolean | undefined>, body: string): string {
  const attrs = Object.entries(attributes)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined && entry[1] !== false && entry[1] !== '')
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`)
    .join('');
  const safeBody = body.split(`</${tag}`).join(`<\\/${tag}`);
  const newline = safeBody.endsWith('\n') || safeBody === '' ? '' : '\n';
  return `<${tag}${attrs}>\n${safeBody}${newline}</${tag}>`;
}

function locationAttributes(location: Location): { path: string; root?: string } {
  return { path: location.path, root: location.root };
}

/** The label a chip shows: the path, prefixed with the root's name in a multi-root workspace. */
export function locationLabel(location: Location): string {
  return location.root ? `${location.root}/${location.path}` : location.path;
}

function built(kind: AttachmentKind, label: string, text: string, extra: Partial<AttachmentSummary> = {}): BuiltAttachment {
  return { block: { type: 'text', text }, summary: { kind, label, tokens: estimateTokens(text), ...extra } };
}

// ------------------------------------------------------------------ kinds

export interface FileContent extends Location {
  language?: string;
  text: string;
  /** Set when only the first part of the file is attached. */
  truncated?: { shownBytes: number; totalBytes: number };
}

export function fileAttachment(file: FileContent, pinned = false): BuiltAttachment {
  const truncated = file.truncated ? `first ${file.truncated.shownBytes} of ${file.truncated.totalBytes} bytes` : undefined;
  const text = delimit('file', { ...locationAttributes(file), language: file.language, truncated }, file.text);
  return built('file', locationLabel(file), text, { pinned: pinned || undefined, truncated: file.truncated ? true : undefined });
}

export interface SelectionContent extends Location {
  language?: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

export function selectionAttachment(selection: SelectionContent): BuiltAttachment {
  const lines = selection.startLine === selection.endLine ? `${selection.startLine}` : `${selection.startLine}-${selection.endLine}`;
  const text = delimit('selection', { ...locationAttributes(selection), language: selection.language, lines }, selection.text);
  return built('selection', `${locationLabel(selection)}:${lines}`, text);
}

export interface FolderListing extends Location {
  /** Paths relative to the folder, files only, forward slashes. */
  entries: string[];
}

/** A folder as an indented tree of its files (up to `MAX_FOLDER_ENTRIES`), directories first. */
export function folderAttachment(folder: FolderListing): BuiltAttachment {
  const sorted = [...folder.entries].sort(comparePaths);
  const shown = sorted.slice(0, MAX_FOLDER_ENTRIES);
  const lines: string[] = [];
  let previous: string[] = [];
  for (const entry of shown) {
    const parts = entry.split('/');
    const dirs = parts.slice(0, -1);
    let common = 0;
    while (common < dirs.length && common < previous.length && dirs[common] === previous[common]) {
      common++;
    }
    for (let depth = common; depth < dirs.length; depth++) {
      lines.push(`${'  '.repeat(depth)}${dirs[depth]}/`);
    }
    lines.push(`${'  '.repeat(dirs.length)}${parts.at(-1) ?? entry}`);
    previous = dirs;
  }
  if (sorted.length > shown.length) {
    lines.push(`… and ${sorted.length - shown.length} more files`);
  }
  const label = folder.path === '' ? (folder.root ?? '.') + '/' : `${locationLabel(folder)}/`;
  const text = delimit(
    'folder',
    { path: folder.path === '' ? '.' : folder.path, root: folder.root, files: folder.entries.length, truncated: sorted.length > shown.length || undefined },
    lines.join('\n'),
  );
  return built('folder', label, text, { truncated: sorted.length > shown.length || undefined });
}

/** Directories before files at each level, then by name; so a listing reads like an explorer. */
function comparePaths(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const aIsDir = i < pa.length - 1;
    const bIsDir = i < pb.length - 1;
    if (pa[i] !== pb[i]) {
      if (aIsDir !== bIsDir) {
        return aIsDir ? -1 : 1;
      }
      return (pa[i] ?? '').localeCompare(pb[i] ?? '');
    }
  }
  return pa.length - pb.length;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** VS Code's `DiagnosticSeverity` numbers, in order. */
export function severityName(severity: number): Severity {
  return (['error', 'warning', 'information', 'hint'] as const)[severity] ?? 'information';
}

export interface Problem extends Location {
  severity: Severity;
  message: string;
  /** 1-based. */
  line: number;
  column: number;
  source?: string;
  code?: string;
  /** Numbered source lines around the problem, if known. */
  excerpt?: string;
  language?: string;
}

function problemText(problem: Problem): string {
  const origin = [problem.source, problem.code].filter((part) => part !== undefined && part !== '').join(' ');
  return delimit(
    'problem',
    { ...locationAttributes(problem), line: problem.line, column: problem.column, severity: problem.severity, source: origin || undefined, language: problem.language },
    `${problem.message}${problem.excerpt ? `\n\n${problem.excerpt}` : ''}`,
  );
}

/** Problems of one file or of the workspace, most severe first; `scope` names which. */
export function problemsAttachment(scope: string, problems: readonly Problem[]): BuiltAttachment {
  const order: Record<Severity, number> = { error: 0, warning: 1, information: 2, hint: 3 };
  const sorted = [...problems].sort((a, b) => order[a.severity] - order[b.severity] || a.path.localeCompare(b.path) || a.line - b.line);
  const body = sorted.length === 0 ? 'No problems.' : sorted.map(problemText).join('\n');
  const text = delimit('problems', { scope, count: problems.length }, body);
  const label = problems.length === 1 && sorted[0] ? `${locationLabel(sorted[0])}:${sorted[0].line} ${sorted[0].severity}` : `Problems in ${scope} (${problems.length})`;
  return built('problems', label, text);
}

/** Numbered lines `from`..`to` (1-based, inclusive) of `lines`, with a marker on `mark`. */
export function numberedExcerpt(lines: readonly string[], from: number, to: number, mark?: number): string {
  const start = Math.max(1, from);
  const end = Math.min(lines.length, to);
  const width = String(end).length;
  const out: string[] = [];
  for (let line = start; line <= end; line++) {
    out.push(`${line === mark ? '>' : ' '}${String(line).padStart(width)} | ${lines[line - 1] ?? ''}`);
  }
  return out.join('\n');
}

/** Several open editors as one attachment: each file in its own block, inside one `<editors>` block. */
export function editorsAttachment(files: readonly FileContent[], skipped: readonly string[] = []): BuiltAttachment {
  const parts = files.map((file) => fileAttachment(file).block.text as string);
  if (skipped.length > 0) {
    parts.push(`Not attached: ${skipped.join('; ')}`);
  }
  const text = delimit('editors', { count: files.length }, parts.join('\n'));
  return built('editors', `Open editors (${files.length})`, text, { truncated: files.some((file) => file.truncated) || undefined });
}

export interface TerminalCommand {
  terminal: string;
  command: string;
  cwd?: string;
  exitCode?: number;
  output: string;
  truncated?: boolean;
}

export function terminalAttachment(run: TerminalCommand): BuiltAttachment {
  const text = delimit(
    'terminal',
    { name: run.terminal, command: run.command, cwd: run.cwd, 'exit-code': run.exitCode, truncated: run.truncated ? 'output cut to its end' : undefined },
    `$ ${run.command}\n${run.output}`,
  );
  return built('terminal', `Terminal: ${run.command.length > 40 ? `${run.command.slice(0, 39)}…` : run.command}`, text, { truncated: run.truncated || undefined });
}

export interface GitChanges {
  root?: string;
  /** `git status --porcelain` lines. */
  status: string;
  /** `git diff HEAD` output. */
  diff: string;
  truncated?: boolean;
}

export function gitChangesAttachment(changes: readonly GitChanges[]): BuiltAttachment {
  const body = changes
    .map((change) =>
      delimit('repository', { root: change.root, truncated: change.truncated ? 'diff cut' : undefined }, `${change.status.trim() === '' ? 'No changes.' : change.status.trimEnd()}\n\n${change.diff}`),
    )
    .join('\n');
  const files = changes.reduce((sum, change) => sum + change.status.split('\n').filter((line) => line.trim() !== '').length, 0);
  const text = delimit('git-changes', {}, body);
  return built('gitChanges', `Git changes (${files} ${files === 1 ? 'file' : 'files'})`, text, { truncated: changes.some((change) => change.truncated) || undefined });
}

// ------------------------------------------------------------------ reading rules

/** Binary if the start of the file holds a NUL byte (git's rule), unless it is UTF-16 with a BOM. */
export function isBinary(bytes: Uint8Array): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return false;
  }
  const end = Math.min(bytes.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < end; i++) {
    if (bytes[i] === 0) {
      return true;
    }
  }
  // No NUL, but mostly not UTF-8 either (compressed or encrypted data): not text the model can use. A few
  // stray bytes (a Latin-1 name in a UTF-8 file) stay text, shown as U+FFFD.
  const sample = new TextDecoder('utf-8').decode(bytes.subarray(0, end));
  const replaced = sample.length - sample.replaceAll('\uFFFD', '').length;
  return replaced > 8 && replaced > sample.length * 0.3;
}

/** Decodes text bytes: UTF-8 (BOM dropped) or UTF-16 with a BOM. */
export function decodeText(bytes: Uint8Array): string {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  }
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return new TextDecoder('utf-8').decode(bytes.subarray(start));
}

/**
 * The first part of a file, at most `maxBytes`, cut at the last line break (or at least at a whole
 * UTF-8 character) so that the model never sees half a line or a broken character.
 */
export function truncateUtf8(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length <= maxBytes) {
    return bytes;
  }
  let end = maxBytes;
  // Never end inside a multi-byte character: continuation bytes are 10xxxxxx.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) {
    end--;
  }
  const lastNewline = bytes.lastIndexOf(0x0a, end - 1);
  if (lastNewline >= maxBytes / 2) {
    end = lastNewline + 1;
  }
  return bytes.subarray(0, end);
}

/** `1536` → `1.5 KiB`; for messages about limits. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) {
    return `${bytes} bytes`;
  }
  if (bytes < 1024 * 1024) {
    return `${Number((bytes / 1024).toFixed(1))} KiB`;
  }
  return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
}

export function tooLargeProblem(label: string, size: number, maxBytes: number): AttachmentProblem {
  return {
    reason: 'tooLarge',
    message: `${label} is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit (marathon.context.maxFileBytes). You can attach its first ${formatBytes(maxBytes)} instead.`,
    canTruncate: true,
  };
}

/**
 * Whether `target` lies inside `root` (both absolute, already resolved with realpath). Compares whole
 * path segments so that `/ws-other` is not inside `/ws`.
 */
export function isInside(root: string, target: string, separator = '/', caseInsensitive = false): boolean {
  const norm = (value: string) => {
    const trimmed = value.length > 1 && value.endsWith(separator) ? value.slice(0, -1) : value;
    return caseInsensitive ? trimmed.toLowerCase() : trimmed;
  };
  const r = norm(root);
  const t = norm(target);
  return t === r || t.startsWith(r.endsWith(separator) ? r : r + separator);
}

/** Kinds that would run a program (git) are refused in Restricted Mode; reading files is allowed. */
export interface ResourceContent {
  mimeType?: string;
  text?: string;
  /** Base64 data of a binary part: not sent, only named. */
  blob?: string;
}

/** An MCP server's resource (`@` in the prompt), as the server returned it; binary parts are named, not sent. */
export function mcpResourceAttachment(server: string, uri: string, name: string, contents: readonly ResourceContent[], maxBytes: number): BuiltAttachment {
  const parts = contents.map((part) =>
    part.text !== undefined ? part.text : `[${part.mimeType ?? 'binary'} data of ${Math.floor(((part.blob?.length ?? 0) * 3) / 4)} bytes, not attached]`,
  );
  let body = parts.join('\n');
  const totalBytes = Buffer.byteLength(body, 'utf8');
  const truncated = totalBytes > maxBytes;
  if (truncated) {
    body = Buffer.from(body, 'utf8').subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  }
  const mime = contents.find((part) => part.mimeType)?.mimeType;
  const text = delimit('mcp-resource', { server, uri, 'mime-type': mime, truncated: truncated ? `first ${maxBytes} of ${totalBytes} bytes` : undefined }, body);
  return built('mcpResource', `${server}: ${name}`, text, { truncated: truncated || undefined });
}

export function allowedInUntrusted(kind: AttachmentKind): boolean {
  return kind !== 'gitChanges';
}

/** Removes ANSI escape sequences (colours, cursor moves, OSC titles) from terminal output. */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex -- terminal escapes are control characters by definition
  return text.replace(/\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b\[[0-?]*[ -/]*[@-~]|\u001b[@-Z\\-_]/g, '');
}

/** The end of a long output, where the result and errors are; cut at a line start. */
export function tailText(text: string, maxChars: number): { text: string; truncated: boolean } {
  if (text.length <= maxChars) {
    return { text, truncated: false };
  }
  const cut = text.slice(-maxChars);
  const newline = cut.indexOf('\n');
  return { text: newline >= 0 && newline < maxChars / 2 ? cut.slice(newline + 1) : cut, truncated: true };
}

const LANGUAGES: Record<string, string> = {
  ts: 'typescript', tsx: 'typescriptreact', mts: 'typescript', cts: 'typescript',
  js: 'javascript', jsx: 'javascriptreact', mjs: 'javascript', cjs: 'javascript',
  json: 'json', jsonc: 'jsonc', md: 'markdown', py: 'python', rb: 'ruby', go: 'go', rs: 'rust',
  java: 'java', kt: 'kotlin', swift: 'swift', c: 'c', h: 'c', cpp: 'cpp', cc: 'cpp', hpp: 'cpp',
  cs: 'csharp', php: 'php', sh: 'shellscript', bash: 'shellscript', zsh: 'shellscript', ps1: 'powershell',
  html: 'html', htm: 'html', css: 'css', scss: 'scss', less: 'less', vue: 'vue', svelte: 'svelte',
  yaml: 'yaml', yml: 'yaml', toml: 'toml', xml: 'xml', sql: 'sql', lua: 'lua', dart: 'dart',
  scala: 'scala', r: 'r', m: 'objective-c', ex: 'elixir', exs: 'elixir', hs: 'haskell', txt: 'plaintext',
};

/** A VS Code language id from a file name, for files that are not open in an editor. */
export function languageForPath(path: string): string | undefined {
  const name = path.split('/').at(-1) ?? path;
  if (name === 'Dockerfile') {
    return 'dockerfile';
  }
  if (name === 'Makefile') {
    return 'makefile';
  }
  const dot = name.lastIndexOf('.');
  return dot > 0 ? LANGUAGES[name.slice(dot + 1).toLowerCase()] : undefined;
}
