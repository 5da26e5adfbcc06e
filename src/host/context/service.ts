// Workspace context on request: answers the `@` picker, builds attachments of every kind, keeps the
// attachments waiting for each conversation's next message, and the pinned files that are re-read
// and re-sent after every compaction. Nothing here sends anything: the controller takes the pending
// attachments when the user sends a message.
import * as path from 'node:path';
import { single } from 'fuzzysort';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import {
  allowedInUntrusted,
  delimit,
  editorsAttachment,
  fileAttachment,
  folderAttachment,
  gitChangesAttachment,
  locationLabel,
  numberedExcerpt,
  problemsAttachment,
  selectionAttachment,
  severityName,
  terminalAttachment,
  tooLargeProblem,
  type AttachmentProblem,
  type BuiltAttachment,
  type FileContent,
  type Problem,
} from '../../core/attachments';
import type { Logger } from '../../core/ports';
import type { StoredBlock } from '../../core/records';
import type { Attachments } from '../../core/session';
import type { AttachmentChip, ContextItem, ToWebview } from '../../shared/protocol';
import { FileIndex, excludePatterns, type IndexMatch, type IndexRoot } from './fileIndex';
import { readGitChanges } from './git';
import { confine, fileProblem, readWorkspaceFile, workspaceLocation } from './reader';
import type { TerminalRecorder } from './terminal';
import type { ContextItemSource } from '../mcp/promptBox';

export type AttachResult = { ok: true; chipId: string } | { ok: false; problem: AttachmentProblem };

export interface ContextServiceDeps {
  /** Where pinned files are remembered, per conversation (the extension's workspaceState). */
  state: vscode.Memento;
  logger: Logger;
  maxFileBytes: () => number;
  trusted?: () => boolean;
  terminal?: TerminalRecorder;
  /** More picker items (the MCP servers' resources). */
  extra?: ContextItemSource;
}

interface PinnedRef {
  uri: string;
  label: string;
  tokens: number;
  truncated?: boolean;
}

interface Pending {
  id: string;
  /** Attaching the same thing again replaces it instead of adding a second chip. */
  key: string;
  built: BuiltAttachment;
  /** Files only: what a pin re-reads. */
  uri?: string;
}

/** A diagnostic as the code action passes it (a `vscode.Diagnostic`, or the same shape from a script). */
export interface DiagnosticLike {
  range: vscode.Range;
  message: string;
  severity: vscode.DiagnosticSeverity;
  source?: string;
  code?: vscode.Diagnostic['code'];
}

/** Items in the picker before the list is cut. */
const RESULT_LIMIT = 50;
/** Problems attached from the whole workspace at most. */
const MAX_PROBLEMS = 200;
/** Lines shown on each side of a problem being fixed. */
const FIX_CONTEXT_LINES = 10;

const pinnedKey = (conversationId: string) => `marathon.pinned.${conversationId}`;

export class ContextService extends Disposable {
  private index: FileIndex | undefined;
  private readonly pending = new Map<string, Pending[]>();
  private nextId = 1;
  private latestQuery = -1;
  private querySubscription: vscode.Disposable | undefined;
  private readonly _onDidChangeAttachments = this._register(new vscode.EventEmitter<string>());
  /** Fires with a conversation id when its chips change. */
  readonly onDidChangeAttachments = this._onDidChangeAttachments.event;

  constructor(private readonly deps: ContextServiceDeps) {
    super();
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.resetIndex()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('files.exclude') || event.affectsConfiguration('search.exclude') || event.affectsConfiguration('search.useIgnoreFiles')) {
          this.index?.invalidate();
        }
      }),
    );
  }

  private get trusted(): boolean {
    return this.deps.trusted?.() ?? vscode.workspace.isTrusted;
  }

  /** The workspace's file list, created on first use. */
  fileIndex(): FileIndex {
    if (!this.index) {
      this.index = new FileIndex({
        roots: workspaceRoots,
        logger: this.deps.logger,
        excludes: (root) => excludePatterns(vscode.Uri.file(root.fsPath)),
        useIgnoreFiles: (root) => vscode.workspace.getConfiguration('search', vscode.Uri.file(root.fsPath)).get<boolean>('useIgnoreFiles', true),
      });
    }
    return this.index;
  }

  /** The same service as seen in a workspace of the given trust (tests of Restricted Mode use it). */
  withTrust(trusted: () => boolean): ContextService {
    return new ContextService({ ...this.deps, trusted });
  }

  /** A one-shot index of other folders (no watcher); the 50,000-file benchmark measures through it. */
  createIndex(roots: IndexRoot[]): FileIndex {
    return new FileIndex({ roots: () => roots, logger: this.deps.logger, watch: false });
  }

  private resetIndex(): void {
    this.index?.dispose();
    this.index = undefined;
  }

  // ---------------------------------------------------------------- the picker

  /**
   * Answers a picker query at once from what is known (special items, the list so far), then again
   * while the file list grows, until it is complete. A newer query silences older ones.
   */
  query(queryId: number, query: string, post: (message: ToWebview) => void, index: FileIndex = this.fileIndex()): Promise<void> {
    this.latestQuery = queryId;
    this.querySubscription?.dispose();
    this.querySubscription = undefined;
    if (query.startsWith('/')) {
      // A `/` command: the MCP servers' prompts, nothing else.
      const items = this.deps.extra?.commands(query.slice(1)) ?? [];
      post({ type: 'context/results', queryId, items, done: true, status: items.length === 0 ? 'No / commands: MCP servers with prompts offer them here.' : undefined });
      return Promise.resolve();
    }
    const specials = this.specialItems(query);
    let done = index.upToDate;
    let cursor = index.cursor();
    let bestFiles: IndexMatch[] = [];
    let bestFolders: IndexMatch[] = [];
    const send = () => {
      if (this.latestQuery !== queryId) {
        return;
      }
      let matches: IndexMatch[];
      if (query.trim() === '') {
        matches = index.firstFiles(RESULT_LIMIT);
      } else {
        const found = index.searchFrom(query, cursor, RESULT_LIMIT);
        cursor = found.cursor;
        bestFiles = topByScore(found.reset ? found.files : [...bestFiles, ...found.files], RESULT_LIMIT);
        bestFolders = topByScore(found.reset ? found.folders : [...bestFolders, ...found.folders], Math.ceil(RESULT_LIMIT / 4));
        matches = topByScore([...bestFiles, ...bestFolders], RESULT_LIMIT);
      }
      const files = matches.map(
        (match): ContextItem => ({
          id: `${match.folder ? 'folder' : 'file'}:${match.root}:${match.path}`,
          kind: match.folder ? 'folder' : 'file',
          label: match.label,
          detail: match.folder ? 'folder' : undefined,
          matches: match.matches,
        }),
      );
      const items = dedupe([...specials, ...files]).slice(0, RESULT_LIMIT + specials.length);
      post({
        type: 'context/results',
        queryId,
        items,
        done,
        status: done ? undefined : `Indexing the workspace… ${index.fileCount.toLocaleString('en-US')} files so far`,
      });
    };
    // The first answer goes out before any file is listed: the special items and the list so far.
    send();
    if (done) {
      return Promise.resolve();
    }
    const building = index.ensure();
    const subscription = index.onDidChange(send);
    this.querySubscription = subscription;
    return building.then(() => {
      subscription.dispose();
      done = true;
      send();
    });
  }

  /** Selection, open editors, problems, terminal, git and the MCP servers' resources, filtered by the query. */
  private specialItems(query: string): ContextItem[] {
    const items: ContextItem[] = [];
    const editor = vscode.window.activeTextEditor;
    const selected = editor?.selections.filter((selection) => !selection.isEmpty) ?? [];
    if (editor && selected.length > 0) {
      const first = selected[0]!;
      const where = workspaceLocation(editor.document.uri);
      items.push({ id: 'selection', kind: 'selection', label: 'Selection', detail: `${where ? locationLabel(where) : path.basename(editor.document.uri.path)}:${first.start.line + 1}-${first.end.line + 1}` });
    }
    const open = openEditorUris();
    if (open.length > 0) {
      items.push({ id: 'editors', kind: 'editors', label: 'Open editors', detail: `${open.length} ${open.length === 1 ? 'file' : 'files'}` });
    }
    if (editor && vscode.languages.getDiagnostics(editor.document.uri).length > 0) {
      const count = vscode.languages.getDiagnostics(editor.document.uri).length;
      items.push({ id: `problems:${editor.document.uri.toString()}`, kind: 'problems', label: `Problems in ${path.basename(editor.document.uri.path)}`, detail: `${count} ${count === 1 ? 'problem' : 'problems'}` });
    }
    const all = workspaceDiagnostics();
    const errors = all.filter((problem) => problem.severity === 'error').length;
    items.push({ id: 'problems', kind: 'problems', label: 'Problems', detail: all.length === 0 ? 'none in the workspace' : `workspace: ${errors} errors, ${all.length - errors} other` });
    const command = this.deps.terminal?.lastCommand();
    items.push({ id: 'terminal', kind: 'terminal', label: 'Terminal', detail: command ? `last command: ${command.command}` : 'last command and its output' });
    items.push({ id: 'git', kind: 'gitChanges', label: 'Git changes', detail: this.trusted ? 'working tree against HEAD' : 'not available in Restricted Mode' });
    const extra = this.deps.extra?.items(query) ?? [];
    if (query.trim() !== '') {
      // Already matched by their source; they stay after the built-in items.
      return [...this.rankSpecial(items, query), ...extra];
    }
    items.push(...extra);
    // Open editors come next, as files: the most likely thing to attach.
    for (const uri of open.slice(0, 10)) {
      const where = workspaceLocation(uri);
      if (where) {
        items.push({ id: itemIdForUri(uri), kind: 'file', label: locationLabel(where), detail: 'open editor' });
      }
    }
    return items;
  }

  private rankSpecial(items: ContextItem[], query: string): ContextItem[] {
    return items
      .map((item) => ({ item, result: single(query.trim(), item.label) }))
      .filter((entry) => entry.result !== null && entry.result.score >= 0.5)
      .sort((a, b) => (b.result?.score ?? 0) - (a.result?.score ?? 0))
      .map(({ item, result }) => ({ ...item, matches: result ? [...result.indexes] : undefined }));
  }

  // ---------------------------------------------------------------- attaching

  /** Runs a `/` command of the picker (an MCP prompt); its text goes into the prompt box. */
  async runCommand(itemId: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
    const rest = itemId.slice('prompt:'.length);
    return this.deps.extra?.runCommand(rest) ?? { ok: false, message: 'MCP servers are not set up.' };
  }

  /** Attaches a picker item (its id comes from the webview, so it is parsed and checked again). */
  async attachItem(conversationId: string, itemId: string, truncate = false): Promise<AttachResult> {
    const [kind, ...restParts] = itemId.split(':');
    const rest = restParts.join(':');
    switch (kind) {
      case 'file':
      case 'folder': {
        const separator = rest.indexOf(':');
        const root = workspaceRoots()[Number(rest.slice(0, separator))];
        const relative = rest.slice(separator + 1);
        if (separator < 0 || !root || relative.split('/').includes('..')) {
          return { ok: false, problem: { reason: 'outsideWorkspace', message: 'That path is not in the workspace.' } };
        }
        const uri = vscode.Uri.joinPath(vscode.Uri.file(root.fsPath), ...relative.split('/').filter((part) => part !== ''));
        return kind === 'file' ? this.attachFile(conversationId, uri, truncate) : this.attachFolder(conversationId, uri);
      }
      case 'uri': {
        let uri: vscode.Uri;
        try {
          uri = vscode.Uri.parse(rest, true);
        } catch {
          return { ok: false, problem: { reason: 'missing', message: 'That file is no longer open.' } };
        }
        return this.attachFile(conversationId, uri, truncate);
      }
      case 'selection': {
        const editor = vscode.window.activeTextEditor;
        if (!editor || editor.selections.every((selection) => selection.isEmpty)) {
          return { ok: false, problem: { reason: 'unavailable', message: 'Nothing is selected in the editor.' } };
        }
        return this.attachSelection(conversationId, editor.document, editor.selections, truncate);
      }
      case 'editors':
        return this.attachOpenEditors(conversationId);
      case 'problems':
        return this.attachProblems(conversationId, rest === '' ? undefined : vscode.Uri.parse(rest, true));
      case 'terminal':
        return this.attachTerminal(conversationId);
      case 'git':
        return this.attachGitChanges(conversationId);
      case 'mcp': {
        const read = await this.deps.extra?.attach(rest, this.deps.maxFileBytes());
        if (!read?.ok) {
          return { ok: false, problem: { reason: 'unavailable', message: read?.message ?? 'MCP servers are not set up.' } };
        }
        return { ok: true, chipId: this.add(conversationId, { key: read.key, built: read.built }) };
      }
      default:
        return { ok: false, problem: { reason: 'unavailable', message: 'Marathon does not know that item.' } };
    }
  }

  /** Attaches a file (or, for a folder, its listing). */
  async attachUri(conversationId: string, uri: vscode.Uri, truncate = false): Promise<AttachResult> {
    if (uri.scheme === 'file') {
      try {
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.type & vscode.FileType.Directory) {
          return this.attachFolder(conversationId, uri);
        }
      } catch (error) {
        return { ok: false, problem: fileProblem(error instanceof vscode.FileSystemError && error.code === 'FileNotFound' ? Object.assign(new Error(), { code: 'ENOENT' }) : error, workspaceLocation(uri)?.path ?? uri.fsPath) };
      }
    }
    return this.attachFile(conversationId, uri, truncate);
  }

  async attachFile(conversationId: string, uri: vscode.Uri, truncate = false): Promise<AttachResult> {
    const result = await readWorkspaceFile(uri, { maxBytes: this.deps.maxFileBytes(), truncate });
    if (!result.ok) {
      this.deps.logger.info(`[Context] refused ${result.problem.reason}: ${workspaceLocation(uri)?.path ?? uri.toString(true)}`);
      return result;
    }
    const key = `file:${uri.toString()}`;
    const pinned = this.pinnedRefs(conversationId).some((ref) => ref.uri === uri.toString());
    const built = fileAttachment(result.file, pinned);
    if (pinned) {
      await this.savePin(conversationId, uri.toString(), built);
    }
    return { ok: true, chipId: this.add(conversationId, { key, built, uri: uri.scheme === 'file' ? uri.toString() : undefined }) };
  }

  async attachFolder(conversationId: string, uri: vscode.Uri): Promise<AttachResult> {
    const where = workspaceLocation(uri);
    const label = where?.path || (where?.root ?? 'The workspace folder');
    const confined = await confine(uri, label);
    if (!confined.ok) {
      return confined;
    }
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const rootIndex = folder?.index ?? 0;
    const index = this.fileIndex();
    await index.ensure();
    const entries = index.filesUnder(rootIndex, where?.path ?? '');
    const built = folderAttachment({ path: where?.path ?? '', root: where?.root ?? (where?.path === '' ? folder?.name : undefined), entries });
    return { ok: true, chipId: this.add(conversationId, { key: `folder:${uri.toString()}`, built }) };
  }

  async attachSelection(conversationId: string, document: vscode.TextDocument, ranges: readonly vscode.Range[], truncate = false): Promise<AttachResult> {
    const where = workspaceLocation(document.uri);
    if (document.uri.scheme === 'file') {
      const confined = await confine(document.uri, where?.path ?? document.uri.fsPath);
      if (!confined.ok) {
        return confined;
      }
    }
    let chipId = '';
    for (const range of ranges.filter((candidate) => !candidate.isEmpty)) {
      // A selection ending at column 0 of a line does not include that line.
      const endLine = range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
      let text = document.getText(range);
      const bytes = Buffer.byteLength(text);
      const maxBytes = this.deps.maxFileBytes();
      if (bytes > maxBytes) {
        if (!truncate) {
          return { ok: false, problem: tooLargeProblem('The selection', bytes, maxBytes) };
        }
        text = Buffer.from(text).subarray(0, maxBytes).toString('utf8');
      }
      const built = selectionAttachment({
        path: where?.path ?? path.basename(document.uri.path),
        root: where?.root,
        language: document.languageId,
        startLine: range.start.line + 1,
        endLine: endLine + 1,
        text,
      });
      if (bytes > maxBytes) {
        built.summary.truncated = true;
      }
      chipId = this.add(conversationId, { key: `selection:${document.uri.toString()}:${range.start.line}:${range.start.character}:${range.end.line}:${range.end.character}`, built });
    }
    return chipId ? { ok: true, chipId } : { ok: false, problem: { reason: 'unavailable', message: 'Nothing is selected in the editor.' } };
  }

  async attachOpenEditors(conversationId: string): Promise<AttachResult> {
    const files: FileContent[] = [];
    const skipped: string[] = [];
    for (const uri of openEditorUris()) {
      const result = await readWorkspaceFile(uri, { maxBytes: this.deps.maxFileBytes() });
      if (result.ok) {
        files.push(result.file);
      } else {
        skipped.push(result.problem.message);
      }
    }
    if (files.length === 0) {
      return { ok: false, problem: { reason: 'unavailable', message: skipped.length > 0 ? `No open editor could be attached: ${skipped.join(' ')}` : 'No file is open in an editor.' } };
    }
    return { ok: true, chipId: this.add(conversationId, { key: 'editors', built: editorsAttachment(files, skipped) }) };
  }

  /** Problems of one file, or of the whole workspace. */
  async attachProblems(conversationId: string, uri?: vscode.Uri): Promise<AttachResult> {
    let problems: Problem[];
    let scope: string;
    if (uri) {
      const where = workspaceLocation(uri);
      if (!where) {
        return { ok: false, problem: { reason: 'outsideWorkspace', message: 'That file is outside the workspace.' } };
      }
      const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
      problems = vscode.languages.getDiagnostics(uri).map((diagnostic) => toProblem(where, diagnostic, document, 2));
      scope = locationLabel(where);
    } else {
      problems = workspaceDiagnostics().slice(0, MAX_PROBLEMS);
      scope = 'the workspace';
    }
    if (problems.length === 0) {
      return { ok: false, problem: { reason: 'unavailable', message: `There are no problems in ${scope}.` } };
    }
    return { ok: true, chipId: this.add(conversationId, { key: `problems:${uri?.toString() ?? ''}`, built: problemsAttachment(scope, problems) }) };
  }

  /** One diagnostic with the code around it, for Fix with Marathon. */
  async attachDiagnostic(conversationId: string, uri: vscode.Uri, diagnostic: DiagnosticLike): Promise<AttachResult> {
    const where = workspaceLocation(uri);
    if (!where) {
      return { ok: false, problem: { reason: 'outsideWorkspace', message: 'That file is outside the workspace.' } };
    }
    let document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
    if (!document) {
      const read = await readWorkspaceFile(uri, { maxBytes: this.deps.maxFileBytes(), truncate: true });
      if (!read.ok) {
        return read;
      }
      document = await vscode.workspace.openTextDocument(uri);
    } else if (uri.scheme === 'file') {
      const confined = await confine(uri, where.path);
      if (!confined.ok) {
        return confined;
      }
    }
    const problem = toProblem(where, diagnostic, document, FIX_CONTEXT_LINES);
    const built = problemsAttachment(locationLabel(where), [problem]);
    return { ok: true, chipId: this.add(conversationId, { key: `diagnostic:${uri.toString()}:${diagnostic.range.start.line}:${diagnostic.message}`, built }) };
  }

  async attachTerminal(conversationId: string): Promise<AttachResult> {
    const command = this.deps.terminal?.lastCommand();
    if (!command) {
      return {
        ok: false,
        problem: { reason: 'unavailable', message: 'No terminal command was captured yet. Run a command in a terminal with shell integration, then attach it.' },
      };
    }
    return { ok: true, chipId: this.add(conversationId, { key: 'terminal', built: terminalAttachment(command) }) };
  }

  async attachGitChanges(conversationId: string): Promise<AttachResult> {
    if (!this.trusted && !allowedInUntrusted('gitChanges')) {
      return { ok: false, problem: { reason: 'untrusted', message: 'Git changes are not available in Restricted Mode: reading them runs git. Trust the workspace to attach them.' } };
    }
    const result = await readGitChanges(workspaceRoots(), this.deps.maxFileBytes());
    if (!result.ok) {
      return { ok: false, problem: { reason: 'unavailable', message: result.message } };
    }
    return { ok: true, chipId: this.add(conversationId, { key: 'git', built: gitChangesAttachment(result.changes) }) };
  }

  // ---------------------------------------------------------------- chips, pins, sending

  chips(conversationId: string): AttachmentChip[] {
    const pending = this.pending.get(conversationId) ?? [];
    const chips: AttachmentChip[] = pending.map((entry) => ({
      ...entry.built.summary,
      id: entry.id,
      pending: true,
      pinnable: entry.built.summary.kind === 'file' && entry.uri !== undefined,
    }));
    const pendingUris = new Set(pending.map((entry) => entry.uri));
    for (const ref of this.pinnedRefs(conversationId)) {
      if (!pendingUris.has(ref.uri)) {
        chips.push({ kind: 'file', label: ref.label, tokens: ref.tokens, pinned: true, truncated: ref.truncated, id: `pin:${ref.uri}`, pending: false, pinnable: true });
      }
    }
    return chips;
  }

  async remove(conversationId: string, chipId: string): Promise<void> {
    if (chipId.startsWith('pin:')) {
      await this.unpin(conversationId, chipId.slice(4));
    } else {
      const list = this.pending.get(conversationId) ?? [];
      const entry = list.find((candidate) => candidate.id === chipId);
      this.pending.set(conversationId, list.filter((candidate) => candidate.id !== chipId));
      if (entry?.uri && entry.built.summary.pinned) {
        await this.unpin(conversationId, entry.uri);
      }
    }
    this._onDidChangeAttachments.fire(conversationId);
  }

  async togglePin(conversationId: string, chipId: string): Promise<void> {
    if (chipId.startsWith('pin:')) {
      await this.unpin(conversationId, chipId.slice(4));
    } else {
      const entry = (this.pending.get(conversationId) ?? []).find((candidate) => candidate.id === chipId);
      if (!entry?.uri || entry.built.summary.kind !== 'file') {
        return;
      }
      if (entry.built.summary.pinned) {
        entry.built.summary.pinned = undefined;
        await this.unpin(conversationId, entry.uri);
      } else {
        entry.built.summary.pinned = true;
        await this.savePin(conversationId, entry.uri, entry.built);
      }
    }
    this._onDidChangeAttachments.fire(conversationId);
  }

  /** Takes the attachments of the next message: they leave the prompt and join the conversation. */
  takePending(conversationId: string): Attachments | undefined {
    const list = this.pending.get(conversationId) ?? [];
    if (list.length === 0) {
      return undefined;
    }
    this.pending.delete(conversationId);
    this._onDidChangeAttachments.fire(conversationId);
    return { blocks: list.map((entry) => entry.built.block), summaries: list.map((entry) => ({ ...entry.built.summary })) };
  }

  /** Fresh copies of the conversation's pinned files, for the request after a compaction. */
  async pinnedBlocks(conversationId: string): Promise<StoredBlock[]> {
    const blocks: StoredBlock[] = [];
    for (const ref of this.pinnedRefs(conversationId)) {
      const uri = vscode.Uri.parse(ref.uri, true);
      const result = await readWorkspaceFile(uri, { maxBytes: this.deps.maxFileBytes(), truncate: true });
      if (result.ok) {
        blocks.push(fileAttachment(result.file, true).block);
      } else {
        // The model is told the pinned file is gone rather than silently losing it.
        this.deps.logger.warn(`[Context] pinned file ${ref.label} could not be re-read: ${result.problem.reason}`);
        blocks.push({ type: 'text', text: delimit('file', { path: ref.label, unavailable: result.problem.message }, '') });
      }
    }
    if (blocks.length > 0) {
      this.deps.logger.info(`[Context] re-sending ${blocks.length} pinned file(s) after compaction`);
    }
    return blocks;
  }

  /** Drops what is kept for a deleted conversation. */
  async forget(conversationId: string): Promise<void> {
    this.pending.delete(conversationId);
    await this.deps.state.update(pinnedKey(conversationId), undefined);
  }

  pinnedRefs(conversationId: string): PinnedRef[] {
    const value = this.deps.state.get<unknown>(pinnedKey(conversationId));
    return Array.isArray(value) ? value.filter(isPinnedRef) : [];
  }

  private async savePin(conversationId: string, uri: string, built: BuiltAttachment): Promise<void> {
    const refs = this.pinnedRefs(conversationId).filter((ref) => ref.uri !== uri);
    refs.push({ uri, label: built.summary.label, tokens: built.summary.tokens, truncated: built.summary.truncated });
    await this.deps.state.update(pinnedKey(conversationId), refs);
  }

  private async unpin(conversationId: string, uri: string): Promise<void> {
    const refs = this.pinnedRefs(conversationId);
    await this.deps.state.update(pinnedKey(conversationId), refs.filter((ref) => ref.uri !== uri));
    for (const entry of this.pending.get(conversationId) ?? []) {
      if (entry.uri === uri) {
        entry.built.summary.pinned = undefined;
      }
    }
  }

  private add(conversationId: string, entry: Omit<Pending, 'id'>): string {
    const list = this.pending.get(conversationId) ?? [];
    const existing = list.findIndex((candidate) => candidate.key === entry.key);
    const id = existing >= 0 ? list[existing]!.id : `a${this.nextId++}`;
    if (existing >= 0) {
      list[existing] = { ...entry, id };
    } else {
      list.push({ ...entry, id });
    }
    this.pending.set(conversationId, list);
    this.deps.logger.debug(`[Context] attached ${entry.built.summary.kind} ${entry.built.summary.label} (~${entry.built.summary.tokens} tokens)`);
    this._onDidChangeAttachments.fire(conversationId);
    return id;
  }

  override dispose(): void {
    this.querySubscription?.dispose();
    this.index?.dispose();
    super.dispose();
  }
}

function isPinnedRef(value: unknown): value is PinnedRef {
  const ref = value as Partial<PinnedRef> | null;
  return typeof ref === 'object' && ref !== null && typeof ref.uri === 'string' && typeof ref.label === 'string' && typeof ref.tokens === 'number';
}

export function workspaceRoots(): IndexRoot[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => ({ name: folder.name, fsPath: folder.uri.fsPath }));
}

function itemIdForUri(uri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (folder && uri.scheme === 'file') {
    return `file:${folder.index}:${path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/')}`;
  }
  return `uri:${uri.toString()}`;
}

function openEditorUris(): vscode.Uri[] {
  const seen = new Set<string>();
  const uris: vscode.Uri[] = [];
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      if (tab.input instanceof vscode.TabInputText && (tab.input.uri.scheme === 'file' || tab.input.uri.scheme === 'untitled') && !seen.has(tab.input.uri.toString())) {
        seen.add(tab.input.uri.toString());
        uris.push(tab.input.uri);
      }
    }
  }
  return uris;
}

function workspaceDiagnostics(): Problem[] {
  const problems: Problem[] = [];
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
    const where = workspaceLocation(uri);
    if (!where || uri.scheme !== 'file') {
      continue;
    }
    const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
    for (const diagnostic of diagnostics) {
      problems.push(toProblem(where, diagnostic, document, 0));
    }
  }
  return problems;
}

function toProblem(where: { path: string; root?: string }, diagnostic: DiagnosticLike, document: vscode.TextDocument | undefined, contextLines: number): Problem {
  const line = diagnostic.range.start.line + 1;
  let excerpt: string | undefined;
  if (document && contextLines > 0) {
    const lines = document.getText().split(/\r?\n/);
    excerpt = numberedExcerpt(lines, line - contextLines, diagnostic.range.end.line + 1 + contextLines, line);
  }
  const code = typeof diagnostic.code === 'object' && diagnostic.code !== null ? String(diagnostic.code.value) : diagnostic.code === undefined ? undefined : String(diagnostic.code);
  return {
    path: where.path,
    root: where.root,
    severity: severityName(diagnostic.severity),
    message: diagnostic.message,
    line,
    column: diagnostic.range.start.character + 1,
    source: diagnostic.source,
    code,
    excerpt,
    language: document?.languageId,
  };
}

function topByScore(matches: IndexMatch[], limit: number): IndexMatch[] {
  return matches.sort((a, b) => b.score - a.score).slice(0, limit);
}

function dedupe(items: ContextItem[]): ContextItem[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    if (seen.has(item.id)) {
      return false;
    }
    seen.add(item.id);
    return true;
  });
}
