// Where Apply writes: the file a code block names (in its fence or a first-line comment) or the editor
// the user last worked in, resolved to an existing workspace file; paths that leave the workspace are
// refused.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ApplyRequest } from './apply';

export type Target = { uri: vscode.Uri; code: string; selection?: vscode.Selection } | { refused: string };

/** A first line such as `// src/a.ts`, `# file: tools/x.py` or `<!-- index.html -->`. */
const PATH_COMMENT = /^\s*(?:\/\/|#|--|;|\/\*|<!--)\s*(?:(?:file(?:name|path)?|path)\s*:\s*)?([\w@.\-/\\]+\.[\w-]+)\s*(?:\*\/|-->)?\s*$/i;

export async function resolveTarget(request: ApplyRequest): Promise<Target> {
  if (request.path !== undefined && request.path.trim() !== '') {
    const uri = await workspaceFile(request.path.trim());
    return uri === undefined
      ? { refused: `${request.path.trim()} (named in the code block) is not a file in this workspace.` }
      : { uri, code: request.code, selection: selectionIn(uri) };
  }
  const newline = request.code.indexOf('\n');
  const firstLine = newline < 0 ? request.code : request.code.slice(0, newline);
  const named = PATH_COMMENT.exec(firstLine)?.[1];
  if (named !== undefined) {
    const uri = await workspaceFile(named);
    if (uri !== undefined) {
      // The comment labels the block; keep it only if the file itself starts with it.
      const fileStart = (await vscode.workspace.openTextDocument(uri)).lineAt(0).text;
      const code = fileStart.trim() === firstLine.trim() || newline < 0 ? request.code : request.code.slice(newline + 1);
      return { uri, code, selection: selectionIn(uri) };
    }
  }
  const editor = targetEditor();
  if (editor === undefined) {
    return { refused: 'open the file to apply the code to (or name it in the code block, as in ```ts src/a.ts), then choose Apply again.' };
  }
  return { uri: editor.document.uri, code: request.code, selection: editor.selection };
}

/** The editor the user last worked in; the chat view itself is not a text editor. */
export function targetEditor(): vscode.TextEditor | undefined {
  const usable = (editor: vscode.TextEditor | undefined) =>
    editor !== undefined && (editor.document.uri.scheme === 'file' || editor.document.uri.scheme === 'untitled') ? editor : undefined;
  return usable(vscode.window.activeTextEditor) ?? vscode.window.visibleTextEditors.map(usable).find((editor) => editor !== undefined);
}

function selectionIn(uri: vscode.Uri): vscode.Selection | undefined {
  return targetEditor()?.document.uri.toString() === uri.toString() ? targetEditor()?.selection : undefined;
}

/** A workspace-relative path for a file to create: inside the first folder and not there yet. */
export async function newWorkspaceFile(relative: string): Promise<vscode.Uri | undefined> {
  const normalized = path.posix.normalize(relative.replace(/\\/g, '/').replace(/^\.\//, ''));
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (folder === undefined || normalized.startsWith('..') || path.posix.isAbsolute(normalized)) {
    return undefined;
  }
  const uri = vscode.Uri.joinPath(folder.uri, normalized);
  try {
    await vscode.workspace.fs.stat(uri);
    return undefined;
  } catch {
    return uri;
  }
}

/** Resolves a workspace-relative path to an existing file; paths that leave the workspace are refused. */
export async function workspaceFile(relative: string): Promise<vscode.Uri | undefined> {
  const normalized = path.posix.normalize(relative.replace(/\\/g, '/').replace(/^\.\//, ''));
  if (normalized.startsWith('..') || path.posix.isAbsolute(normalized)) {
    return undefined;
  }
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const uri = vscode.Uri.joinPath(folder.uri, normalized);
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.type & vscode.FileType.File) {
        return uri;
      }
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

export function matchEol(text: string, eol: vscode.EndOfLine): string {
  const lf = text.replace(/\r\n/g, '\n');
  return eol === vscode.EndOfLine.CRLF ? lf.replace(/\n/g, '\r\n') : lf;
}
