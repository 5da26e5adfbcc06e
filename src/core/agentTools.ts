// Agent mode's client tools: their strict JSON schemas (sent to the API), the validation of the input
// the model sends back, and how a call is described to the user. Pure: the host runs the tools.
import type { ToolKind } from '../shared/protocol';
import { describeError } from './errorText';

export type ToolName = 'read_file' | 'list_files' | 'search_text' | 'get_diagnostics' | 'edit_file' | 'run_command';

export const TOOL_NAMES: readonly ToolName[] = ['read_file', 'list_files', 'search_text', 'get_diagnostics', 'edit_file', 'run_command'];

/** Tools that only look: they may be auto-approved, and they stay available in Restricted Mode. */
export const READ_ONLY_TOOLS: ReadonlySet<ToolName> = new Set<ToolName>(['read_file', 'list_files', 'search_text', 'get_diagnostics']);

const MAX_SEARCH_RESULTS = 200;
const DEFAULT_SEARCH_RESULTS = 50;
const MAX_LIST_RESULTS = 1000;
const DEFAULT_LIST_RESULTS = 200;

/** Said to the summarizer in Agent mode: a tool call instead of a summary makes the compaction fail. */
export const NO_TOOLS_WHILE_SUMMARIZING = 'Do not call any tools while writing this summary; respond with text only.';

/** The sections of an Agent-mode summary, in order: what a coding session needs to go on. */
export const AGENT_SUMMARY_SECTIONS: readonly string[] = [
  'Requests and intent',
  'Decisions and constraints',
  'Files touched and why',
  'Errors met and fixed',
  'Done',
  'Pending',
  'Next step',
];

/** Replaces the server's summarization prompt in Agent mode, unless the user set their own. */
export const AGENT_COMPACTION_INSTRUCTIONS = [
  'Write a summary of this coding session that lets the work go on without the earlier messages.',
  'Use exactly these Markdown headings, in this order, each followed by short bullet points (write "None." under a heading with nothing to say):',
  AGENT_SUMMARY_SECTIONS.map((section) => `## ${section}`).join('\n'),
  "Under Requests and intent: every request the user made, in their words where it matters, and the goal behind them. Under Decisions and constraints: what was decided and why, and the rules the user or the project set. Under Files touched and why: each file read or changed, with its workspace path, and what changed. Under Errors met and fixed: the exact error messages and how each was solved. Under Done, Pending and Next step: the state of the work, what remains, and the one thing to do next.",
  'Keep exact paths, identifiers, commands and error messages.',
  NO_TOOLS_WHILE_SUMMARIZING,
].join('\n');

export interface ToolDefinition {
  name: ToolName;
  description: string;
  strict: true;
  input_schema: {
    type: 'object';
    properties: Record<string, Record<string, unknown>>;
    required: string[];
    additionalProperties: false;
  };
}

const PATH_HELP = 'Path relative to the workspace folder (in a multi-root workspace, start with the folder name).';

export const TOOL_DEFINITIONS: Readonly<Record<ToolName, ToolDefinition>> = {
  read_file: {
    name: 'read_file',
    description: 'Read a text file of the workspace, optionally only a range of lines (1-based, inclusive). Lines are returned as they are, without line numbers.',
    strict: true,
    input_schema: {
      type: 'object',
      properties: {
        path: { type: 'string', description: PATH_HELP },
        start_line: { type: 'integer', minimum: 1, description: 'First line to return (1-based).' },
        end_line: { type: 'integer', minimum: 1, description: 'Last line to return (inclusive).' },
      },
      required: ['path'],
      additionalProperties: false,
    },
  },
  list_files: {
    name: 'list_files',
    description: 'List workspace files matching a glob pattern (for example "src/**/*.ts"). Files excluded by the editor settings and by .gitignore are left out.',
    strict: true,
    input_schema: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'Glob pattern relative to the workspace folder; "**/*" lists everything.' },
        max_results: { type: 'integer', minimum: 1, maximum: MAX_LIST_RESULTS, description: `At most this many paths (default ${DEFAULT_LIST_RESULTS}).` },
      },
      required: ['pattern'],
      additionalProperties: false,
    },
  },
  search_text: {
    name: 'search_text',
    description: 'Search the text of the workspace files for a literal string or a regular expression. Returns matching lines as path:line: text, up to a cap.',
    strict: true,
    input_schema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'The text or regular expression to find.' },
        is_regex: { type: 'boolean', description: 'Treat the query as a regular expression (default false: literal text).' },
        case_sensitive: { type: 'boolean', description: 'Match case exactly (default false).' },
        include: { type: 'string', description: 'Only search files matching this glob, for example "src/**/*.ts".' },
        max_results: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_RESULTS, description: `At most this many matching lines (default ${DEFAULT_SEARCH_RESULTS}).` },
      },
      required: ['query'],
      additionalProperties: false,
    },
  },
  get_diagnostics: {
    name: 'get_diagnostics',
    description: 'Get the errors and warnings VS Code reports (compiler, linter) for one file, or for the whole workspace when no path is given.',
    strict: true,
    input_schema: {
      type: 'object',
      properties: { path: { type: 'string', description: PATH_HELP } },
      required: [],
      additionalProperties: false,
    },
  },
  edit_file: {
    name: 'edit_file',
    description:
      'Change a workspace file by replacing old_text, which must occur exactly once in the file, with new_text; or create a new file with new_text as its content by leaving old_text empty. The user reviews the change in a diff and may refuse it.',
    strict: true,
    input_schema: {
      type: 'object',
      properties: {
        path: { type: 'string', description: PATH_HELP },
        old_text: { type: 'string', description: 'The exact text to replace, including indentation; empty to create a new file.' },
        new_text: { type: 'string', description: 'The replacement text, or the content of the new file.' },
      },
      required: ['path', 'old_text', 'new_text'],
      additionalProperties: false,
    },
  },
  run_command: {
    name: 'run_command',
    description:
      'Run a shell command in a workspace folder after the user approves it. Returns the exit code and the combined output (cut when very long). Commands that wait for input or never end are stopped at the time limit.',
    strict: true,
    input_schema: {
      type: 'object',
      properties: {
        command: { type: 'string', description: 'The command line, run by the default shell.' },
        cwd: { type: 'string', description: 'Working folder relative to the workspace folder (default: the workspace folder).' },
      },
      required: ['command'],
      additionalProperties: false,
    },
  },
};

export function isToolName(name: string): name is ToolName {
  return (TOOL_NAMES as readonly string[]).includes(name);
}

export function toolKind(name: ToolName): ToolKind {
  return READ_ONLY_TOOLS.has(name) ? 'read' : name === 'edit_file' ? 'edit' : 'command';
}

export type ToolInput =
  | { name: 'read_file'; path: string; startLine?: number; endLine?: number }
  | { name: 'list_files'; pattern: string; maxResults: number }
  | { name: 'search_text'; query: string; isRegex: boolean; caseSensitive: boolean; include?: string; maxResults: number }
  | { name: 'get_diagnostics'; path?: string }
  | { name: 'edit_file'; path: string; oldText: string; newText: string }
  | { name: 'run_command'; command: string; cwd?: string };

export type Validated = { ok: true; input: ToolInput } | { ok: false; message: string };

type Fields = Record<string, unknown>;

function stringField(fields: Fields, key: string, required: boolean, allowEmpty = false): string | undefined | Error {
  const value = fields[key];
  if (value === undefined || value === null) {
    return required ? new Error(`"${key}" is required.`) : undefined;
  }
  if (typeof value !== 'string') {
    return new Error(`"${key}" must be a string.`);
  }
  if (!allowEmpty && value.trim() === '') {
    return required ? new Error(`"${key}" must not be empty.`) : undefined;
  }
  return value;
}

function integerField(fields: Fields, key: string, min: number, max: number): number | undefined | Error {
  const value = fields[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    return new Error(`"${key}" must be a whole number from ${min} to ${max}.`);
  }
  return value;
}

function booleanField(fields: Fields, key: string): boolean | undefined | Error {
  const value = fields[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  return typeof value === 'boolean' ? value : new Error(`"${key}" must be true or false.`);
}

/** Checks what the model sent against the schema; the message goes back to the model as an error result. */
export function validateToolInput(name: string, input: unknown): Validated {
  if (!isToolName(name)) {
    return { ok: false, message: `There is no tool named "${name}". Available tools: ${TOOL_NAMES.join(', ')}.` };
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, message: `The input of ${name} must be a JSON object.` };
  }
  const fields = input as Fields;
  const allowed = Object.keys(TOOL_DEFINITIONS[name].input_schema.properties);
  const extra = Object.keys(fields).filter((key) => !allowed.includes(key));
  if (extra.length > 0) {
    return { ok: false, message: `${name} does not take ${extra.map((key) => `"${key}"`).join(', ')}; it takes ${allowed.map((key) => `"${key}"`).join(', ')}.` };
  }
  const values: Array<unknown> = [];
  const take = <T>(value: T | Error): T => {
    values.push(value);
    return value as T;
  };
  let parsed: ToolInput;
  switch (name) {
    case 'read_file': {
      const path = take(stringField(fields, 'path', true));
      const startLine = take(integerField(fields, 'start_line', 1, Number.MAX_SAFE_INTEGER));
      const endLine = take(integerField(fields, 'end_line', 1, Number.MAX_SAFE_INTEGER));
      parsed = { name, path: path ?? '', startLine, endLine };
      if (typeof startLine === 'number' && typeof endLine === 'number' && endLine < startLine) {
        return { ok: false, message: '"end_line" must not be before "start_line".' };
      }
      break;
    }
    case 'list_files':
      parsed = {
        name,
        pattern: take(stringField(fields, 'pattern', true)) ?? '',
        maxResults: take(integerField(fields, 'max_results', 1, MAX_LIST_RESULTS)) ?? DEFAULT_LIST_RESULTS,
      };
      break;
    case 'search_text':
      parsed = {
        name,
        query: take(stringField(fields, 'query', true, true)) ?? '',
        isRegex: take(booleanField(fields, 'is_regex')) ?? false,
        caseSensitive: take(booleanField(fields, 'case_sensitive')) ?? false,
        include: take(stringField(fields, 'include', false)),
        maxResults: take(integerField(fields, 'max_results', 1, MAX_SEARCH_RESULTS)) ?? DEFAULT_SEARCH_RESULTS,
      };
      if (parsed.query === '') {
        return { ok: false, message: '"query" must not be empty.' };
      }
      if (parsed.isRegex) {
        try {
          new RegExp(parsed.query);
        } catch (error) {
          return { ok: false, message: `"query" is not a valid regular expression: ${describeError(error)}` };
        }
      }
      break;
    case 'get_diagnostics':
      parsed = { name, path: take(stringField(fields, 'path', false)) };
      break;
    case 'edit_file':
      parsed = {
        name,
        path: take(stringField(fields, 'path', true)) ?? '',
        oldText: take(stringField(fields, 'old_text', false, true)) ?? '',
        newText: take(stringField(fields, 'new_text', true, true)) ?? '',
      };
      break;
    case 'run_command':
      parsed = { name, command: take(stringField(fields, 'command', true)) ?? '', cwd: take(stringField(fields, 'cwd', false)) };
      break;
  }
  const problem = values.find((value): value is Error => value instanceof Error);
  if (problem) {
    return { ok: false, message: `Invalid input for ${name}: ${problem.message}` };
  }
  return { ok: true, input: parsed };
}

/** A short, plain-text description of a call for its card; the webview shows it with textContent. */
export function describeToolCall(name: string, input: unknown): { title: string; detail?: string } {
  const mcp = /^(.+?)__(.+)$/.exec(name);
  if (!isToolName(name) && mcp) {
    // An MCP server's tool (`server__tool`): the server, the tool and the arguments as they were sent.
    const args = typeof input === 'object' && input !== null && Object.keys(input).length === 0 ? '' : safeJson(input, 2);
    return { title: `${mcp[1]} › ${mcp[2]}`, detail: args === '' ? undefined : clip(args, 1200) };
  }
  const validated = validateToolInput(name, input);
  if (!validated.ok) {
    return { title: name, detail: clip(safeJson(input), 400) };
  }
  const call = validated.input;
  switch (call.name) {
    case 'read_file': {
      const range = call.startLine !== undefined || call.endLine !== undefined ? ` (lines ${call.startLine ?? 1}–${call.endLine ?? 'end'})` : '';
      return { title: `Read ${call.path}${range}` };
    }
    case 'list_files':
      return { title: `List files ${call.pattern}` };
    case 'search_text':
      return { title: `Search for ${call.isRegex ? `/${call.query}/` : `“${call.query}”`}${call.include ? ` in ${call.include}` : ''}` };
    case 'get_diagnostics':
      return { title: call.path ? `Problems in ${call.path}` : 'Problems in the workspace' };
    case 'edit_file':
      return {
        title: call.oldText === '' ? `Create ${call.path}` : `Edit ${call.path}`,
        detail: call.oldText === '' ? clip(call.newText, 1200) : `- ${clip(call.oldText, 600)}\n+ ${clip(call.newText, 600)}`,
      };
    case 'run_command':
      return { title: `Run ${clip(call.command.split('\n')[0] ?? '', 120)}`, detail: call.command };
  }
}

function safeJson(value: unknown, indent?: number): string {
  try {
    return JSON.stringify(value, null, indent) ?? '';
  } catch {
    return String(value);
  }
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Cuts `text` to `maxBytes` UTF-8 bytes at most, keeping head and tail and marking the cut. */
export function capOutput(text: string, maxBytes: number): { text: string; cut: boolean } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) {
    return { text, cut: false };
  }
  const half = Math.floor(maxBytes / 2);
  const head = Buffer.from(text, 'utf8').subarray(0, half).toString('utf8').replace(/\uFFFD$/, '');
  const tail = Buffer.from(text, 'utf8').subarray(bytes - half).toString('utf8').replace(/^\uFFFD/, '');
  const omitted = bytes - Buffer.byteLength(head, 'utf8') - Buffer.byteLength(tail, 'utf8');
  return { text: `${head}\n[… ${omitted} bytes of output cut …]\n${tail}`, cut: true };
}

/** The lines `start`..`end` (1-based, inclusive) of `text`, and how many lines it has. */
export function lineRange(text: string, start?: number, end?: number): { text: string; total: number; from: number; to: number } {
  const lines = text.split(/\r?\n/);
  const total = text.endsWith('\n') ? lines.length - 1 : lines.length;
  const from = Math.min(Math.max(1, start ?? 1), Math.max(1, total));
  const to = Math.min(total, end ?? total);
  return { text: lines.slice(from - 1, to).join('\n'), total, from, to };
}

/**
 * Applies an exact-text replacement: `oldText` must occur exactly once. Returns the new content or why not.
 * Line endings of the file are kept: the model writes `\n`, a CRLF file gets `\r\n`.
 */
export function replaceExactlyOnce(content: string, oldText: string, newText: string): { ok: true; content: string } | { ok: false; message: string } {
  const crlf = content.includes('\r\n');
  const find = crlf ? oldText.replace(/\r?\n/g, '\r\n') : oldText;
  const replacement = crlf ? newText.replace(/\r?\n/g, '\r\n') : newText;
  const first = content.indexOf(find);
  if (first < 0) {
    return { ok: false, message: 'old_text was not found in the file. Read the file again and copy the exact text, including whitespace.' };
  }
  if (content.indexOf(find, first + 1) >= 0) {
    return { ok: false, message: 'old_text occurs more than once in the file. Include more surrounding lines so that it matches exactly one place.' };
  }
  return { ok: true, content: content.slice(0, first) + replacement + content.slice(first + find.length) };
}

/**
 * A glob as a regular expression over workspace-relative paths (`/` separated): `**` crosses folders,
 * `*` and `?` do not, `{a,b}` and `[...]` as usual. A pattern without `/` matches a file name at any
 * depth, as in .gitignore. Used to filter ripgrep's file list, because ripgrep's own `-g` include
 * globs override .gitignore.
 */
export function globToRegExp(glob: string): RegExp {
  const pattern = glob.replace(/\\/g, '/').replace(/^\.\//, '');
  let source = '';
  let inClass = false;
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (inClass) {
      source += char === ']' ? ']' : char === '\\' ? '\\\\' : char;
      inClass = char !== ']';
      continue;
    }
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        const slash = pattern[i + 2] === '/';
        source += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else if (char === '[') {
      inClass = true;
      source += pattern[i + 1] === '!' ? '[^' : '[';
      if (pattern[i + 1] === '!') {
        i++;
      }
    } else if (char === '{') {
      braces++;
      source += '(?:';
    } else if (char === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (char === ',' && braces > 0) {
      source += '|';
    } else {
      source += char.replace(/[.+^$()|\\/]/g, '\\$&');
    }
  }
  const anywhere = !pattern.includes('/');
  return new RegExp(`^${anywhere ? '(?:.*/)?' : ''}${source}$`);
}
