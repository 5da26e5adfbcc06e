// Reads workspace files for attachments, and refuses what must not be sent: paths outside the
// workspace (after resolving symlinks), binary files, files over the size limit (unless the user
// accepts the first part), and files that are gone or unreadable. Only the bytes needed are read.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  decodeText,
  isBinary,
  isInside,
  languageForPath,
  tooLargeProblem,
  truncateUtf8,
  type AttachmentProblem,
  type FileContent,
  type Location,
} from '../../core/attachments';
import { describeError } from '../../core/errorText';

export type ReadResult = { ok: true; file: FileContent } | { ok: false; problem: AttachmentProblem };

export interface ReadOptions {
  maxBytes: number;
  /** Attach the first `maxBytes` of a larger file instead of refusing it. */
  truncate?: boolean;
}

const caseInsensitive = process.platform === 'win32' || process.platform === 'darwin';

/** Where `uri` lies in the workspace: its folder's name (multi-root only) and relative path. */
export function workspaceLocation(uri: vscode.Uri): Location | undefined {
  if (uri.scheme === 'untitled') {
    return { path: path.basename(uri.path) };
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) {
    return undefined;
  }
  const relative = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join('/');
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  return { path: relative, root: multiRoot ? folder.name : undefined };
}

/**
 * Resolves `uri` on disk and checks it stays inside the workspace folder that contains it. Returns the
 * real path, or why it cannot be attached.
 */
export async function confine(uri: vscode.Uri, label: string): Promise<{ ok: true; realPath: string } | { ok: false; problem: AttachmentProblem }> {
  if (uri.scheme !== 'file') {
    return { ok: false, problem: { reason: 'outsideWorkspace', message: `${label} is not a file in the workspace.` } };
  }
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) {
    return { ok: false, problem: { reason: 'outsideWorkspace', message: `${label} is outside the workspace; Marathon attaches only files inside the open folders.` } };
  }
  let realPath: string;
  try {
    realPath = await fs.realpath(uri.fsPath);
  } catch (error) {
    return { ok: false, problem: fileProblem(error, label) };
  }
  const roots = await Promise.all(
    (vscode.workspace.workspaceFolders ?? []).map((workspaceFolder) => fs.realpath(workspaceFolder.uri.fsPath).catch(() => workspaceFolder.uri.fsPath)),
  );
  if (!roots.some((root) => isInside(root, realPath, path.sep, caseInsensitive))) {
    return { ok: false, problem: { reason: 'outsideWorkspace', message: `${label} is a link to ${realPath}, outside the workspace; it was not attached.` } };
  }
  return { ok: true, realPath };
}

export function fileProblem(error: unknown, label: string): AttachmentProblem {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return { reason: 'missing', message: `${label} does not exist (it may have been moved or deleted).` };
  }
  if (code === 'ELOOP') {
    return { reason: 'unreadable', message: `${label} is a link that points to itself.` };
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return { reason: 'unreadable', message: `${label} could not be read: permission denied.` };
  }
  return { reason: 'unreadable', message: `${label} could not be read (${code ?? describeError(error)}).` };
}

/** Reads a workspace file (or the unsaved text of an open editor) within the limits. */
export async function readWorkspaceFile(uri: vscode.Uri, options: ReadOptions): Promise<ReadResult> {
  const location = workspaceLocation(uri) ?? { path: uri.scheme === 'file' ? uri.fsPath : uri.toString(true) };
  const label = location.path;
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (uri.scheme === 'untitled') {
    return open ? fromText(open.getText(), location, open.languageId, options) : { ok: false, problem: { reason: 'missing', message: `${label} is no longer open.` } };
  }
  const confined = await confine(uri, label);
  if (!confined.ok) {
    return confined;
  }
  // An open editor may hold changes not yet saved: the user means what they see.
  if (open?.isDirty) {
    return fromText(open.getText(), location, open.languageId, options);
  }
  let handle: fs.FileHandle | undefined;
  try {
    // Stat before opening: opening a FIFO or a device could block or never end.
    const stat = await fs.stat(confined.realPath);
    if (stat.isDirectory()) {
      return { ok: false, problem: { reason: 'unavailable', message: `${label} is a folder; attach it from the @ picker to send its listing.` } };
    }
    if (!stat.isFile()) {
      return { ok: false, problem: { reason: 'unreadable', message: `${label} is not a regular file (a pipe, socket or device), so it cannot be read.` } };
    }
    handle = await fs.open(confined.realPath, 'r');
    if (stat.size > options.maxBytes && !options.truncate) {
      // Still refuse binaries first: offering to truncate an image would be pointless.
      const head = await readBytes(handle, Math.min(stat.size, 8000));
      if (isBinary(head)) {
        return { ok: false, problem: binaryProblem(label) };
      }
      return { ok: false, problem: tooLargeProblem(label, stat.size, options.maxBytes) };
    }
    // Read one byte past the limit's character boundary at most; never the whole of a huge file.
    const bytes = await readBytes(handle, Math.min(stat.size, options.maxBytes + 4));
    if (isBinary(bytes)) {
      return { ok: false, problem: binaryProblem(label) };
    }
    const shown = stat.size > options.maxBytes ? truncateUtf8(bytes, options.maxBytes) : bytes;
    return {
      ok: true,
      file: {
        ...location,
        language: open?.languageId ?? languageForPath(location.path),
        text: decodeText(shown),
        truncated: shown.length < stat.size ? { shownBytes: shown.length, totalBytes: stat.size } : undefined,
      },
    };
  } catch (error) {
    return { ok: false, problem: fileProblem(error, label) };
  } finally {
    await handle?.close();
  }
}

function binaryProblem(label: string): AttachmentProblem {
  return { reason: 'binary', message: `${label} is a binary file; Marathon attaches only text.` };
}

async function readBytes(handle: fs.FileHandle, length: number): Promise<Uint8Array> {
  const buffer = Buffer.alloc(length);
  let offset = 0;
  while (offset < length) {
    const { bytesRead } = await handle.read(buffer, offset, length - offset, offset);
    if (bytesRead === 0) {
      break;
    }
    offset += bytesRead;
  }
  return buffer.subarray(0, offset);
}

function fromText(text: string, location: Location, language: string, options: ReadOptions): ReadResult {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > options.maxBytes && !options.truncate) {
    return { ok: false, problem: tooLargeProblem(location.path, bytes.length, options.maxBytes) };
  }
  const shown = truncateUtf8(bytes, options.maxBytes);
  return {
    ok: true,
    file: {
      ...location,
      language,
      text: shown.length < bytes.length ? decodeText(shown) : text,
      truncated: shown.length < bytes.length ? { shownBytes: shown.length, totalBytes: bytes.length } : undefined,
    },
  };
}
