// The workspace's file list for the `@` picker. Built on first use (never at activation) by VS Code's
// own ripgrep, which streams paths and honours `.gitignore`, `files.exclude` and `search.exclude`; the
// list grows while ripgrep runs, so the picker shows results before the walk ends. A file watcher marks
// the list stale; the next query rebuilds it in the background and answers from the old list meanwhile.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { go, prepare, type Prepared } from 'fuzzysort';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { Logger } from '../../core/ports';
import { describeError } from '../../core/errorText';

export interface IndexRoot {
  name: string;
  /** Absolute folder path. */
  fsPath: string;
}

export interface IndexedPath {
  root: number;
  /** Relative to the root, forward slashes. */
  path: string;
  folder: boolean;
}

export interface IndexMatch extends IndexedPath {
  /** The text matched: the path, prefixed with the root name in multi-root workspaces. */
  label: string;
  score: number;
  matches: number[];
}

export interface SearchCursor {
  epoch: number;
  files: number;
  folders: number;
}

interface Entry extends IndexedPath {
  target: Prepared;
}

export interface FileIndexOptions {
  roots: () => IndexRoot[];
  logger: Logger;
  /** Glob patterns to leave out (the union of `files.exclude` and `search.exclude`). */
  excludes?: (root: IndexRoot) => string[];
  /** Whether `.gitignore` and `.ignore` files apply (`search.useIgnoreFiles`). */
  useIgnoreFiles?: (root: IndexRoot) => boolean;
  /** The ripgrep binary; `undefined` looks for VS Code's own, then falls back to `findFiles`. */
  ripgrep?: string | null;
  /** Watch the roots and mark the list stale on changes (off for one-shot indexes in benchmarks). */
  watch?: boolean;
}

/** How often, at most, a growing list tells its listeners (the first batch goes out at once). */
const GROW_NOTIFY_MS = 100;
/** A list longer than this is cut (and the log says so); 50,000-file workspaces fit easily. */
const MAX_FILES = 400_000;

export class FileIndex extends Disposable {
  private files: Entry[] = [];
  private folders: Entry[] = [];
  private folderSet = new Set<string>();
  private state: 'empty' | 'building' | 'ready' = 'empty';
  private epoch = 0;
  private shortest: Entry[] | undefined;
  private shortestEpoch = -1;
  private stale = false;
  private building: Promise<void> | undefined;
  private lastNotify = 0;
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;
  private watcher: vscode.Disposable | undefined;
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Fires while the list grows (throttled) and once when it is complete. */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: FileIndexOptions) {
    super();
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  /** The list is complete and nothing changed since: a query needs no build. */
  get upToDate(): boolean {
    return this.state === 'ready' && !this.stale && this.building === undefined;
  }

  get fileCount(): number {
    return this.files.length;
  }

  roots(): IndexRoot[] {
    return this.options.roots();
  }

  /** Starts a build if there is no list yet or it is stale; returns when that build ends. */
  ensure(): Promise<void> {
    if (this.building) {
      return this.building;
    }
    if (this.state === 'ready' && !this.stale) {
      return Promise.resolve();
    }
    this.startWatching();
    this.stale = false;
    const building = this.build().finally(() => {
      this.building = undefined;
    });
    this.building = building;
    return building;
  }

  /** Forgets the list so that the next query rebuilds it (settings or folders changed). */
  invalidate(): void {
    this.stale = true;
  }

  /** Where an incremental search stopped: the next query batch searches only what was added since. */
  cursor(): SearchCursor {
    return { epoch: -1, files: 0, folders: 0 };
  }

  /**
   * Matches for `query` among the files and folders added since `cursor` (all of them when the list
   * was replaced since). Scores do not depend on the other entries, so merging batches is exact and
   * a growing list costs each query only its new entries.
   */
  searchFrom(query: string, cursor: SearchCursor, limit = 50): { files: IndexMatch[]; folders: IndexMatch[]; cursor: SearchCursor; reset: boolean } {
    const reset = cursor.epoch !== this.epoch;
    const fromFiles = reset ? 0 : cursor.files;
    const fromFolders = reset ? 0 : cursor.folders;
    const trimmed = query.trim();
    const next = { epoch: this.epoch, files: this.files.length, folders: this.folders.length };
    const match = (entries: Entry[], from: number, max: number) =>
      go(trimmed, from === 0 ? entries : entries.slice(from), { key: 'target', limit: max, threshold: 0.2 }).map((result) => ({
        ...indexedPath(result.obj),
        label: result.obj.target.target,
        score: result.score,
        matches: [...result.indexes],
      }));
    return { files: match(this.files, fromFiles, limit), folders: match(this.folders, fromFolders, Math.ceil(limit / 4)), cursor: next, reset };
  }

  /** With an empty query: the shortest paths first (cached until the list changes). */
  firstFiles(limit = 50): IndexMatch[] {
    if (this.shortest === undefined || this.shortest.length !== this.files.length || this.shortestEpoch !== this.epoch) {
      this.shortest = [...this.files].sort((a, b) => a.path.length - b.path.length || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      this.shortestEpoch = this.epoch;
    }
    return this.shortest.slice(0, limit).map((entry) => ({ ...indexedPath(entry), label: entry.target.target, score: 0, matches: [] }));
  }

  /** Files under `folder` (relative to root `root`), relative to that folder. */
  filesUnder(root: number, folder: string): string[] {
    const prefix = folder === '' ? '' : `${folder}/`;
    return this.files.filter((entry) => entry.root === root && entry.path.startsWith(prefix)).map((entry) => entry.path.slice(prefix.length));
  }

  private async build(): Promise<void> {
    const roots = this.options.roots();
    const started = Date.now();
    const first = this.state === 'empty';
    // The first build fills the live list so that queries see files as they arrive; a rebuild fills a
    // new one and swaps it in at the end, so results never shrink mid-typing.
    const files: Entry[] = first ? this.files : [];
    const folders: Entry[] = first ? this.folders : [];
    const folderSet: Set<string> = first ? this.folderSet : new Set();
    if (first) {
      this.state = 'building';
    }
    const multiRoot = roots.length > 1;
    const add = (root: number, relative: string) => {
      if (files.length >= MAX_FILES) {
        return;
      }
      const rel = relative.replace(/\\/g, '/').replace(/^\.\//, '');
      if (rel === '') {
        return;
      }
      const label = multiRoot ? `${roots[root]?.name ?? root}/${rel}` : rel;
      files.push({ root, path: rel, folder: false, target: prepare(label) });
      // Folders come from the files' parents, so excluded and ignored folders never appear.
      for (let slash = rel.lastIndexOf('/'); slash > 0; slash = rel.lastIndexOf('/', slash - 1)) {
        const dir = rel.slice(0, slash);
        const key = `${root}:${dir}`;
        if (folderSet.has(key)) {
          break;
        }
        folderSet.add(key);
        folders.push({ root, path: dir, folder: true, target: prepare(multiRoot ? `${roots[root]?.name ?? root}/${dir}` : dir) });
      }
      if (first) {
        this.notifyGrowth();
      }
    };
    const rg = this.options.ripgrep === undefined ? findRipgrep() : this.options.ripgrep;
    let method = 'ripgrep';
    try {
      await Promise.all(
        roots.map(async (root, index) => {
          if (rg) {
            try {
              await this.listWithRipgrep(rg, root, (relative) => add(index, relative));
              return;
            } catch (error) {
              this.options.logger.warn(`[Context] ripgrep failed in ${root.name}, using findFiles: ${describeError(error)}`);
            }
          }
          method = 'findFiles';
          await this.listWithFindFiles(root, (relative) => add(index, relative));
        }),
      );
    } finally {
      // The lists only grow during the first build (incremental searches rely on it); a rebuild
      // replaces them whole, which starts a new epoch.
      if (!first) {
        this.files = files;
        this.folders = folders;
        this.folderSet = folderSet;
        this.epoch++;
      }
      this.state = 'ready';
      clearTimeout(this.notifyTimer);
      this.notifyTimer = undefined;
      this._onDidChange.fire();
      if (files.length >= MAX_FILES) {
        this.options.logger.warn(`[Context] the workspace has more than ${MAX_FILES} files; the @ picker lists the first ${MAX_FILES}`);
      }
      this.options.logger.info(`[Context] indexed ${files.length} files in ${roots.length} folder(s) with ${method} in ${Date.now() - started} ms`);
    }
  }

  private notifyGrowth(): void {
    if (this.notifyTimer !== undefined) {
      return;
    }
    const wait = Math.max(0, GROW_NOTIFY_MS - (Date.now() - this.lastNotify));
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      this.lastNotify = Date.now();
      this._onDidChange.fire();
    }, wait);
  }

  private listWithRipgrep(rg: string, root: IndexRoot, onPath: (relative: string) => void): Promise<void> {
    const args = ['--files', '--hidden', '--no-follow', '--no-messages', '--no-config', '--color', 'never', '--glob', '!**/.git'];
    if (this.options.useIgnoreFiles?.(root) ?? true) {
      // Honour .gitignore even outside a git repository, as VS Code's search does.
      args.push('--no-require-git');
    } else {
      args.push('--no-ignore');
    }
    for (const pattern of this.options.excludes?.(root) ?? []) {
      args.push('--glob', `!${pattern}`);
    }
    return new Promise((resolve, reject) => {
      const child = spawn(rg, args, { cwd: root.fsPath, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
      let rest = '';
      let errors = '';
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          onPath(line.replace(/\r$/, ''));
        }
      });
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        errors = (errors + chunk).slice(-2000);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (rest !== '') {
          onPath(rest);
        }
        // 1 means "no files", which is not an error for an empty folder.
        if (code === 0 || code === 1) {
          resolve();
        } else {
          reject(new Error(`ripgrep exited with ${code}: ${errors.trim()}`));
        }
      });
    });
  }

  private async listWithFindFiles(root: IndexRoot, onPath: (relative: string) => void): Promise<void> {
    const excludes = this.options.excludes?.(root) ?? [];
    const exclude = excludes.length > 0 ? `{${excludes.join(',')}}` : null;
    const uris = await vscode.workspace.findFiles(new vscode.RelativePattern(vscode.Uri.file(root.fsPath), '**/*'), exclude, MAX_FILES);
    for (const uri of uris) {
      onPath(path.relative(root.fsPath, uri.fsPath));
    }
  }

  private startWatching(): void {
    if (this.watcher || this.options.watch === false) {
      return;
    }
    const watcher = vscode.workspace.createFileSystemWatcher('**/*', false, true, false);
    const mark = () => {
      this.stale = true;
    };
    this.watcher = vscode.Disposable.from(watcher, watcher.onDidCreate(mark), watcher.onDidDelete(mark));
    this._register(this.watcher);
  }

  override dispose(): void {
    clearTimeout(this.notifyTimer);
    super.dispose();
  }
}

function indexedPath(entry: Entry): IndexedPath {
  return { root: entry.root, path: entry.path, folder: entry.folder };
}

let ripgrepPath: string | null | undefined;

/** VS Code ships ripgrep for its own search; the path differs between desktop and server builds. */
function findRipgrep(): string | null {
  if (ripgrepPath !== undefined) {
    return ripgrepPath;
  }
  const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
  const candidates = [
    path.join(vscode.env.appRoot, 'node_modules', '@vscode', 'ripgrep', 'bin', exe),
    path.join(vscode.env.appRoot, 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', exe),
    path.join(vscode.env.appRoot, 'node_modules', 'vscode-ripgrep', 'bin', exe),
  ];
  ripgrepPath = candidates.find((candidate) => fs.existsSync(candidate)) ?? null;
  return ripgrepPath;
}

/** The union of `files.exclude` and `search.exclude` for a folder: patterns whose value is `true`. */
export function excludePatterns(uri: vscode.Uri): string[] {
  const patterns = new Set<string>();
  for (const section of ['files.exclude', 'search.exclude']) {
    const value = vscode.workspace.getConfiguration(undefined, uri).get<Record<string, unknown>>(section) ?? {};
    for (const [pattern, enabled] of Object.entries(value)) {
      // `{ when: … }` entries depend on sibling files; Marathon lists those files rather than guess.
      if (enabled === true) {
        patterns.add(pattern);
      }
    }
  }
  return [...patterns];
}
