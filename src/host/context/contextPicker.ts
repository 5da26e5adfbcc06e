// The `@` picker's answers: the special items (selection, open editors, problems, terminal, git, the
// MCP servers' resources) and the workspace's files and folders ranked by the query, sent again while
// the file list grows; and the `/` commands, which are the MCP servers' prompts.
import * as path from 'node:path';
import { single } from 'fuzzysort';
import * as vscode from 'vscode';
import { locationLabel } from '../../core/attachments';
import type { ContextItem, ToWebview } from '../../shared/protocol';
import type { ContextItemSource } from '../mcp/promptBox';
import type { FileIndex, IndexMatch } from './fileIndex';
import { workspaceLocation } from './reader';
import type { TerminalRecorder } from './terminal';
import { itemIdForUri, openEditorUris, workspaceDiagnostics } from './workbench';

/** Items in the picker before the list is cut. */
const RESULT_LIMIT = 50;

export interface ContextPickerDeps {
  trusted: () => boolean;
  terminal?: TerminalRecorder;
  /** More picker items (the MCP servers' resources). */
  extra?: ContextItemSource;
}

export class ContextPicker {
  private latestQuery = -1;
  private querySubscription: vscode.Disposable | undefined;

  constructor(private readonly deps: ContextPickerDeps) {}

  /**
   * Answers a picker query at once from what is known (special items, the list so far), then again
   * while the file list grows, until it is complete. A newer query silences older ones.
   */
  query(queryId: number, query: string, post: (message: ToWebview) => void, index: FileIndex): Promise<void> {
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

  /** Runs a `/` command of the picker (an MCP prompt); its text goes into the prompt box. */
  async runCommand(itemId: string): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
    const rest = itemId.slice('prompt:'.length);
    return this.deps.extra?.runCommand(rest) ?? { ok: false, message: 'MCP servers are not set up.' };
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
    items.push({ id: 'git', kind: 'gitChanges', label: 'Git changes', detail: this.deps.trusted() ? 'working tree against HEAD' : 'not available in Restricted Mode' });
    const extra = this.deps.extra?.items(query) ?? [];
    if (query.trim() !== '') {
      // Already matched by their source; they stay after the built-in items.
      return [...rankSpecial(items, query), ...extra];
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

  dispose(): void {
    this.querySubscription?.dispose();
  }
}

function rankSpecial(items: ContextItem[], query: string): ContextItem[] {
  return items
    .map((item) => ({ item, result: single(query.trim(), item.label) }))
    .filter((entry) => entry.result !== null && entry.result.score >= 0.5)
    .sort((a, b) => (b.result?.score ?? 0) - (a.result?.score ?? 0))
    .map(({ item, result }) => ({ ...item, matches: result ? [...result.indexes] : undefined }));
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
