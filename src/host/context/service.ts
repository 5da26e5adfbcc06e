// Workspace context on request, as the one object the host wires in: it attaches each kind of thing
// the user asks for (files, folders, selections, open editors, problems, terminal, git changes, MCP
// resources) to the conversation's shelf, and hands the picker, the chips and the pins to their own
// modules. Nothing here sends anything: the controller takes the pending attachments when the user
// sends a message.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import {
  allowedInUntrusted,
  editorsAttachment,
  fileAttachment,
  folderAttachment,
  gitChangesAttachment,
  locationLabel,
  problemsAttachment,
  selectionAttachment,
  terminalAttachment,
  tooLargeProblem,
  type AttachmentProblem,
  type FileContent,
  type Problem,
} from '../../core/attachments';
import type { Logger } from '../../core/ports';
import type { StoredBlock } from '../../core/records';
import type { Attachments } from '../../core/session';
import type { AttachmentChip, ToWebview } from '../../shared/protocol';
import type { ContextItemSource } from '../mcp/promptBox';
import { AttachmentShelf } from './attachmentShelf';
import { FileIndex, excludePatterns, type IndexRoot } from './fileIndex';
import { readGitChanges } from './git';
import { ContextPicker } from './contextPicker';
import { PendingAttachments } from './pendingAttachments';
import { PinStore, type PinnedRef } from './pins';
import { confine, fileProblem, readWorkspaceFile, workspaceLocation } from './reader';
import type { TerminalRecorder } from './terminal';
import { openDocument, openEditorUris, toProblem, workspaceDiagnostics, workspaceRoots, type DiagnosticLike } from './workbench';

export type { DiagnosticLike } from './workbench';

export type AttachResult = { ok: true; chipId: string } | { ok: false; problem: AttachmentProblem };

export interface ContextServiceDeps {
  /** Where pinned files and pending attachments are remembered, per conversation (the extension's workspaceState). */
  state: vscode.Memento;
  logger: Logger;
  maxFileBytes: () => number;
  trusted?: () => boolean;
  terminal?: TerminalRecorder;
  /** More picker items (the MCP servers' resources). */
  extra?: ContextItemSource;
}

/** Problems attached from the whole workspace at most. */
const MAX_PROBLEMS = 200;
/** Lines shown on each side of a problem being fixed. */
const FIX_CONTEXT_LINES = 10;

export class ContextService extends Disposable {
  private index: FileIndex | undefined;
  private readonly pins: PinStore;
  private readonly shelf: AttachmentShelf;
  private readonly picker: ContextPicker;
  private problemsWatch: vscode.Disposable | undefined;
  /** Fires with a conversation id when its chips change. */
  readonly onDidChangeAttachments: vscode.Event<string>;

  constructor(private readonly deps: ContextServiceDeps) {
    super();
    this.pins = new PinStore(deps);
    this.shelf = this._register(new AttachmentShelf(this.pins, new PendingAttachments(deps.state, deps.logger), deps.logger));
    this.onDidChangeAttachments = this.shelf.onDidChangeAttachments;
    this.picker = new ContextPicker({ trusted: () => this.trusted(), terminal: deps.terminal, extra: deps.extra });
    this._register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.resetIndex()));
    this._register({ dispose: () => void this.problemsWatch?.dispose() });
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('files.exclude') || event.affectsConfiguration('search.exclude') || event.affectsConfiguration('search.useIgnoreFiles')) {
          this.index?.invalidate();
        }
      }),
    );
  }

  private trusted(): boolean {
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

  // ---------------------------------------------------------------- the picker (picker.ts)

  query(queryId: number, query: string, post: (message: ToWebview) => void, index: FileIndex = this.fileIndex()): Promise<void> {
    return this.picker.query(queryId, query, post, index);
  }

  runCommand(itemId: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
    return this.picker.runCommand(itemId);
  }

  // ---------------------------------------------------------------- chips and pins (attachmentShelf.ts, pins.ts)

  chips(conversationId: string): AttachmentChip[] {
    return this.shelf.chips(conversationId);
  }

  remove(conversationId: string, chipId: string): Promise<void> {
    return this.shelf.remove(conversationId, chipId);
  }

  togglePin(conversationId: string, chipId: string): Promise<void> {
    return this.shelf.togglePin(conversationId, chipId);
  }

  /** `ids`: the chips the view showed, which the message carries exactly (absent: all pending). */
  takePending(conversationId: string, ids?: readonly string[]): Attachments | undefined {
    return this.shelf.takePending(conversationId, ids);
  }

  missingPending(conversationId: string, ids: readonly string[]): string[] {
    return this.shelf.missingPending(conversationId, ids);
  }

  forget(conversationId: string): Promise<void> {
    return this.shelf.forget(conversationId);
  }

  pinnedRefs(conversationId: string): PinnedRef[] {
    return this.pins.refs(conversationId);
  }

  pinnedBlocks(conversationId: string): Promise<StoredBlock[]> {
    return this.pins.blocks(conversationId);
  }

  // ---------------------------------------------------------------- attaching

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
        return { ok: true, chipId: this.shelf.add(conversationId, { key: read.key, built: read.built }) };
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
    const pinned = this.pins.isPinned(conversationId, uri.toString());
    const built = fileAttachment(result.file, pinned);
    if (pinned) {
      await this.pins.save(conversationId, uri.toString(), built);
    }
    return { ok: true, chipId: this.shelf.add(conversationId, { key, built, uri: uri.scheme === 'file' ? uri.toString() : undefined }) };
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
    return { ok: true, chipId: this.shelf.add(conversationId, { key: `folder:${uri.toString()}`, built }) };
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
      chipId = this.shelf.add(conversationId, { key: `selection:${document.uri.toString()}:${range.start.line}:${range.start.character}:${range.end.line}:${range.end.character}`, built });
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
    return { ok: true, chipId: this.shelf.add(conversationId, { key: 'editors', built: editorsAttachment(files, skipped) }) };
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
      const document = openDocument(uri);
      problems = vscode.languages.getDiagnostics(uri).map((diagnostic) => toProblem(where, diagnostic, document, 2));
      scope = locationLabel(where);
    } else {
      problems = workspaceDiagnostics().slice(0, MAX_PROBLEMS);
      scope = 'the workspace';
    }
    if (problems.length === 0) {
      return { ok: false, problem: { reason: 'noProblems', message: `There are no problems in ${scope}.` } };
    }
    return { ok: true, chipId: this.shelf.add(conversationId, { key: `problems:${uri?.toString() ?? ''}`, built: problemsAttachment(scope, problems) }) };
  }

  /**
   * Calls `listener` once when problems appear in a scope that had none (the `problems:` item `itemId`
   * names it), so "There are no problems" does not stay up after they come; one watch at a time.
   */
  whenProblemsAppear(itemId: string, listener: () => void): void {
    this.problemsWatch?.dispose();
    const rest = itemId.slice('problems:'.length);
    let uri: vscode.Uri | undefined;
    try {
      uri = rest === '' ? undefined : vscode.Uri.parse(rest, true);
    } catch {
      return;
    }
    const scope = uri?.toString();
    const inScope = (changed: vscode.Uri) => (scope !== undefined ? changed.toString() === scope : changed.scheme === 'file' && workspaceLocation(changed) !== undefined);
    // Only the files the event names are looked at, not every diagnostic of the workspace on each change.
    const watch = vscode.languages.onDidChangeDiagnostics((event) => {
      if (event.uris.some((changed) => inScope(changed) && vscode.languages.getDiagnostics(changed).length > 0)) {
        watch.dispose();
        this.problemsWatch = undefined;
        listener();
      }
    });
    this.problemsWatch = watch;
  }

  /** One diagnostic with the code around it, for Fix with Marathon. */
  async attachDiagnostic(conversationId: string, uri: vscode.Uri, diagnostic: DiagnosticLike): Promise<AttachResult> {
    const where = workspaceLocation(uri);
    if (!where) {
      return { ok: false, problem: { reason: 'outsideWorkspace', message: 'That file is outside the workspace.' } };
    }
    let document = openDocument(uri);
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
    return { ok: true, chipId: this.shelf.add(conversationId, { key: `diagnostic:${uri.toString()}:${diagnostic.range.start.line}:${diagnostic.message}`, built }) };
  }

  async attachTerminal(conversationId: string): Promise<AttachResult> {
    const command = this.deps.terminal?.lastCommand();
    if (!command) {
      return {
        ok: false,
        problem: { reason: 'unavailable', message: 'No terminal command was captured yet. Run a command in a terminal with shell integration, then attach it.' },
      };
    }
    return { ok: true, chipId: this.shelf.add(conversationId, { key: 'terminal', built: terminalAttachment(command) }) };
  }

  async attachGitChanges(conversationId: string): Promise<AttachResult> {
    if (!this.trusted() && !allowedInUntrusted('gitChanges')) {
      return { ok: false, problem: { reason: 'untrusted', message: 'Git changes are not available in Restricted Mode: reading them runs git. Trust the workspace to attach them.' } };
    }
    const result = await readGitChanges(workspaceRoots(), this.deps.maxFileBytes());
    if (!result.ok) {
      return { ok: false, problem: { reason: 'unavailable', message: result.message } };
    }
    return { ok: true, chipId: this.shelf.add(conversationId, { key: 'git', built: gitChangesAttachment(result.changes) }) };
  }

  override dispose(): void {
    this.picker.dispose();
    this.index?.dispose();
    super.dispose();
  }
}
