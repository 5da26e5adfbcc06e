// list_files and search_text: the ripgrep that ships with VS Code where present (fast, honours
// .gitignore), else a JavaScript fallback over `workspace.findFiles`. Both honour the editor's
// `files.exclude` and `search.exclude`, and both stop at a result cap.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isBinary } from '../../core/attachments';
import { clip, globToRegExp } from '../../core/agentTools';
import { labelOf } from './paths';

const RG_CANDIDATES = ['node_modules/@vscode/ripgrep/bin', 'node_modules.asar.unpacked/@vscode/ripgrep/bin'];
/** Files larger than this are not searched (minified bundles, logs). */
const MAX_SEARCH_FILE_BYTES = 1024 * 1024;
const MAX_LINE_CHARS = 300;

let rgPath: string | null | undefined;

/** VS Code's bundled ripgrep, or undefined (then the JavaScript fallback runs). Tests may force either. */
export function ripgrepPath(): string | undefined {
  if (process.env.MARATHON_FORCE_JS_SEARCH === '1') {
    return undefined;
  }
  if (rgPath === undefined) {
    const name = process.platform === 'win32' ? 'rg.exe' : 'rg';
    rgPath = RG_CANDIDATES.map((dir) => path.join(vscode.env.appRoot, dir, name)).find((candidate) => fs.existsSync(candidate)) ?? null;
  }
  return rgPath ?? undefined;
}

/** Globs the user excluded (`files.exclude`, `search.exclude` set to true), for one folder. */
function excludeGlobs(folder: vscode.WorkspaceFolder): string[] {
  const globs = new Set<string>();
  for (const section of ['files', 'search']) {
    const map = vscode.workspace.getConfiguration(section, folder.uri).get<Record<string, unknown>>('exclude') ?? {};
    for (const [glob, on] of Object.entries(map)) {
      if (on === true) {
        globs.add(glob);
      }
    }
  }
  return Array.from(globs);
}

interface RgRun {
  lines: string[];
  truncated: boolean;
}

/** Runs ripgrep in `cwd`, collecting lines until `accept` returns false or the cap is hit, then stops it. */
function runRg(rg: string, args: string[], cwd: string, signal: AbortSignal, onLine: (line: string) => boolean): Promise<RgRun> {
  return new Promise((resolve) => {
    const child = spawn(rg, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let stopped = false;
    const stop = () => {
      stopped = true;
      child.kill();
    };
    const onAbort = () => stop();
    signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (stopped) {
        return;
      }
      buffer += chunk;
      let newline = buffer.indexOf('\n');
      while (newline >= 0 && !stopped) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (!onLine(line)) {
          stop();
        }
        lines.push(line);
        newline = buffer.indexOf('\n');
      }
    });
    child.stderr.resume();
    const finish = () => {
      signal.removeEventListener('abort', onAbort);
      resolve({ lines, truncated: stopped });
    };
    child.on('error', finish);
    child.on('close', finish);
  });
}

function exclusionArgs(folder: vscode.WorkspaceFolder): string[] {
  return excludeGlobs(folder).flatMap((glob) => ['-g', `!${glob}`]);
}

export interface ListResult {
  paths: string[];
  truncated: boolean;
}

export async function listFiles(pattern: string, max: number, signal: AbortSignal): Promise<ListResult> {
  const rg = ripgrepPath();
  const found: string[] = [];
  let truncated = false;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (found.length >= max) {
      truncated = true;
      break;
    }
    if (rg) {
      // ripgrep's include globs override .gitignore, so it lists what is not ignored and the pattern filters that.
      const matches = globToRegExp(pattern);
      let count = found.length;
      const run = await runRg(rg, ['--files', '--hidden', '--no-require-git', '-g', '!.git', ...exclusionArgs(folder)], folder.uri.fsPath, signal, (line) => !matches.test(toSlash(line)) || ++count <= max);
      const paths = run.lines.filter((line) => line !== '' && matches.test(toSlash(line))).map((line) => labelOf(folder, path.join(folder.uri.fsPath, line)));
      found.push(...paths);
      truncated ||= run.truncated;
    } else {
      // A pattern without a folder matches names at any depth, as with ripgrep above.
      const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, pattern.includes('/') ? pattern : `**/${pattern}`), excludePattern(folder), max + 1);
      found.push(...uris.filter((uri) => !ignoredByGitignore(folder, uri)).map((uri) => labelOf(folder, uri.fsPath)));
    }
  }
  found.sort();
  if (found.length > max) {
    truncated = true;
  }
  return { paths: found.slice(0, max), truncated };
}

export interface SearchOptions {
  query: string;
  isRegex: boolean;
  caseSensitive: boolean;
  include?: string;
  maxResults: number;
}

export interface SearchResult {
  matches: string[];
  truncated: boolean;
  engine: 'ripgrep' | 'javascript';
}

interface RgMatch {
  type: string;
  data?: { path?: { text?: string }; lines?: { text?: string }; line_number?: number };
}

export async function searchText(options: SearchOptions, signal: AbortSignal): Promise<SearchResult> {
  const rg = ripgrepPath();
  const matches: string[] = [];
  let truncated = false;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (matches.length >= options.maxResults) {
      truncated = true;
      break;
    }
    if (rg) {
      // As for list_files: an include glob given to ripgrep would override .gitignore.
      const include = options.include ? globToRegExp(options.include) : undefined;
      const args = [
        '--json',
        '--hidden',
        '--no-require-git',
        '-g',
        '!.git',
        '--max-filesize',
        `${MAX_SEARCH_FILE_BYTES}`,
        options.caseSensitive ? '--case-sensitive' : '--ignore-case',
        ...(options.isRegex ? [] : ['--fixed-strings']),
        ...exclusionArgs(folder),
        '-e',
        options.query,
        '--',
        '.',
      ];
      const run = await runRg(rg, args, folder.uri.fsPath, signal, (line) => {
        let event: RgMatch;
        try {
          event = JSON.parse(line) as RgMatch;
        } catch {
          return true;
        }
        if (event.type === 'match' && event.data?.path?.text !== undefined && (include === undefined || include.test(toSlash(event.data.path.text).replace(/^\.\//, '')))) {
          const file = labelOf(folder, path.join(folder.uri.fsPath, event.data.path.text));
          matches.push(`${file}:${event.data.line_number ?? 0}: ${clip((event.data.lines?.text ?? '').replace(/\r?\n$/, ''), MAX_LINE_CHARS)}`);
        }
        return matches.length < options.maxResults;
      });
      truncated ||= run.truncated && matches.length >= options.maxResults;
    } else {
      truncated ||= await searchWithJavaScript(folder, options, matches, signal);
    }
  }
  return { matches: matches.slice(0, options.maxResults), truncated: truncated || matches.length > options.maxResults, engine: rg ? 'ripgrep' : 'javascript' };
}

function toSlash(value: string): string {
  return value.split(path.sep).join('/');
}

function excludePattern(folder: vscode.WorkspaceFolder): vscode.GlobPattern | undefined {
  const globs = [...excludeGlobs(folder), '**/.git/**'];
  return new vscode.RelativePattern(folder, `{${globs.join(',')}}`);
}

const gitignoreCache = new Map<string, { mtime: number; rules: RegExp[] }>();

/** A small .gitignore reader for the fallback: top-level file, plain names and simple globs. */
function gitignoreRules(folder: vscode.WorkspaceFolder): RegExp[] {
  const file = path.join(folder.uri.fsPath, '.gitignore');
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return [];
  }
  const cached = gitignoreCache.get(file);
  if (cached && cached.mtime === stat.mtimeMs) {
    return cached.rules;
  }
  const rules = fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
    .map((line) => {
      const anchored = line.startsWith('/');
      const body = line.replace(/^\//, '').replace(/\/$/, '');
      const source = body
        .split('')
        .map((char) => (char === '*' ? '[^/]*' : char === '?' ? '[^/]' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('')
        .replace(/\[\^\/\]\*\[\^\/\]\*/g, '.*');
      return new RegExp(`${anchored ? '^' : '(^|/)'}${source}(/|$)`);
    });
  gitignoreCache.set(file, { mtime: stat.mtimeMs, rules });
  return rules;
}

function ignoredByGitignore(folder: vscode.WorkspaceFolder, uri: vscode.Uri): boolean {
  const relative = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  return gitignoreRules(folder).some((rule) => rule.test(relative));
}

async function searchWithJavaScript(folder: vscode.WorkspaceFolder, options: SearchOptions, matches: string[], signal: AbortSignal): Promise<boolean> {
  const source = options.isRegex ? options.query : options.query.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const regex = new RegExp(source, options.caseSensitive ? '' : 'i');
  const include = options.include ?? '**/*';
  const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, include.includes('/') ? include : `**/${include}`), excludePattern(folder), 20_000);
  uris.sort((a, b) => a.fsPath.localeCompare(b.fsPath));
  for (const uri of uris) {
    if (signal.aborted || matches.length >= options.maxResults) {
      return true;
    }
    if (ignoredByGitignore(folder, uri)) {
      continue;
    }
    let bytes: Buffer;
    try {
      const stat = await fs.promises.stat(uri.fsPath);
      if (!stat.isFile() || stat.size > MAX_SEARCH_FILE_BYTES) {
        continue;
      }
      bytes = await fs.promises.readFile(uri.fsPath);
    } catch {
      continue;
    }
    if (isBinary(bytes)) {
      continue;
    }
    const lines = bytes.toString('utf8').split(/\r?\n/);
    for (let i = 0; i < lines.length && matches.length < options.maxResults; i++) {
      if (regex.test(lines[i] ?? '')) {
        matches.push(`${labelOf(folder, uri.fsPath)}:${i + 1}: ${clip(lines[i] ?? '', MAX_LINE_CHARS)}`);
      }
    }
  }
  return matches.length >= options.maxResults;
}
