// Where a tool may look and write: only inside the workspace folders. A path the model gives is
// resolved against the folders (a multi-root path starts with the folder's name), then checked
// after following symlinks, so a link that points outside is refused like `../..` is.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInside } from '../../core/attachments';

const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

export interface WorkspacePath {
  uri: vscode.Uri;
  folder: vscode.WorkspaceFolder;
  /** Workspace-relative path with forward slashes, prefixed with the folder name in multi-root workspaces. */
  label: string;
  /** False when nothing exists there yet (a file edit_file creates). */
  exists: boolean;
}

export type Resolved = { ok: true; path: WorkspacePath } | { ok: false; message: string };

function folders(): readonly vscode.WorkspaceFolder[] {
  return vscode.workspace.workspaceFolders ?? [];
}

export function labelOf(folder: vscode.WorkspaceFolder, fsPath: string): string {
  const relative = path.relative(folder.uri.fsPath, fsPath).split(path.sep).join('/') || '.';
  return folders().length > 1 ? `${folder.name}/${relative}` : relative;
}

/** The folder a tool path names and the path inside it (before any check). */
function split(raw: string): { folder: vscode.WorkspaceFolder; relative: string } | undefined {
  const all = folders();
  const normalized = raw.replace(/\\/g, '/').trim();
  if (all.length > 1) {
    const [head, ...rest] = normalized.replace(/^\.\//, '').split('/');
    const named = all.find((folder) => folder.name === head);
    if (named) {
      return { folder: named, relative: rest.join('/') || '.' };
    }
  }
  const first = all[0];
  if (!first) {
    return undefined;
  }
  // An absolute path is accepted when it lies inside a folder (checked below).
  if (path.isAbsolute(normalized)) {
    const owner = all.find((folder) => isInside(folder.uri.fsPath, path.resolve(normalized), path.sep, caseInsensitive));
    return owner ? { folder: owner, relative: path.relative(owner.uri.fsPath, path.resolve(normalized)) } : { folder: first, relative: normalized };
  }
  return { folder: first, relative: normalized || '.' };
}

async function realRoots(): Promise<string[]> {
  return Promise.all(folders().map((folder) => fs.realpath(folder.uri.fsPath).catch(() => folder.uri.fsPath)));
}

/** The nearest existing ancestor of `target`, resolved with realpath, plus the part that does not exist yet. */
async function realpathOfExisting(target: string): Promise<{ real: string; missing: string[] }> {
  const missing: string[] = [];
  let current = target;
  for (;;) {
    try {
      return { real: await fs.realpath(current), missing };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw error;
      }
      const parent = path.dirname(current);
      if (parent === current) {
        throw error;
      }
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Resolves a path from a tool call. `mustExist`: reads and commands need something there; edits may
 * name a new file, whose nearest existing parent must still be inside the workspace.
 */
export async function resolveToolPath(raw: string, options: { mustExist: boolean }): Promise<Resolved> {
  if (folders().length === 0) {
    return { ok: false, message: 'No folder is open in VS Code, so there is no workspace to work in.' };
  }
  const parts = split(raw);
  if (!parts) {
    return { ok: false, message: 'No folder is open in VS Code.' };
  }
  const target = path.resolve(parts.folder.uri.fsPath, parts.relative);
  const shown = raw.trim();
  if (!isInside(parts.folder.uri.fsPath, target, path.sep, caseInsensitive)) {
    return { ok: false, message: `${shown} is outside the workspace. Tools only reach files inside the open folders.` };
  }
  let real: string;
  let exists: boolean;
  try {
    const found = await realpathOfExisting(target);
    exists = found.missing.length === 0;
    real = path.join(found.real, ...found.missing);
  } catch (error) {
    return { ok: false, message: `${shown} cannot be reached (${(error as NodeJS.ErrnoException).code ?? String(error)}).` };
  }
  if (!exists && options.mustExist) {
    return { ok: false, message: `${shown} does not exist.` };
  }
  const roots = await realRoots();
  if (!roots.some((root) => isInside(root, real, path.sep, caseInsensitive))) {
    return { ok: false, message: `${shown} is a link to ${real}, outside the workspace; it was refused.` };
  }
  return { ok: true, path: { uri: vscode.Uri.file(target), folder: parts.folder, label: labelOf(parts.folder, target), exists } };
}
