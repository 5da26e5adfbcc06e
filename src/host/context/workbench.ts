// What the workbench shows right now, in the shapes the attachments use: the workspace's folders,
// the files open in editors, and the diagnostics as problems.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { numberedExcerpt, severityName, type Problem } from '../../core/attachments';
import type { IndexRoot } from './fileIndex';
import { workspaceLocation } from './reader';

/** A diagnostic as the code action passes it (a `vscode.Diagnostic`, or the same shape from a script). */
export interface DiagnosticLike {
  range: vscode.Range;
  message: string;
  severity: vscode.DiagnosticSeverity;
  source?: string;
  code?: vscode.Diagnostic['code'];
}

export function workspaceRoots(): IndexRoot[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => ({ name: folder.name, fsPath: folder.uri.fsPath }));
}

/** The picker's id for a file: its workspace folder and path when it has one, else its URI. */
export function itemIdForUri(uri: vscode.Uri): string {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (folder && uri.scheme === 'file') {
    return `file:${folder.index}:${path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/')}`;
  }
  return `uri:${uri.toString()}`;
}

export function openEditorUris(): vscode.Uri[] {
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

export function openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
  return vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
}

export function workspaceDiagnostics(): Problem[] {
  const problems: Problem[] = [];
  for (const [uri, diagnostics] of vscode.languages.getDiagnostics()) {
    const where = workspaceLocation(uri);
    if (!where || uri.scheme !== 'file') {
      continue;
    }
    const document = openDocument(uri);
    for (const diagnostic of diagnostics) {
      problems.push(toProblem(where, diagnostic, document, 0));
    }
  }
  return problems;
}

export function toProblem(where: { path: string; root?: string }, diagnostic: DiagnosticLike, document: vscode.TextDocument | undefined, contextLines: number): Problem {
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
