// The working tree's changes for the "Git changes" attachment: `git status` and `git diff HEAD` per
// workspace folder. Runs git, so Restricted Mode refuses it before this is called. Repository config
// that could run programs (fsmonitor, external diff, textconv) is switched off on the command line.
import { execFile } from 'node:child_process';
import type { GitChanges } from '../../core/attachments';
import type { IndexRoot } from './fileIndex';

const SAFE = ['-c', 'core.fsmonitor=false', '-c', 'core.quotepath=off', '-c', 'diff.external=', '--no-optional-locks'];

function git(cwd: string, args: string[], maxBuffer: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('git', [...SAFE, ...args], { cwd, maxBuffer, windowsHide: true, timeout: 15_000, env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }, (error, stdout) => {
      if (error) {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- an Error whose `code` (ENOENT: no git) the caller reads
        reject(error);
      } else {
        resolve(stdout);
      }
    });
  });
}

export type GitResult = { ok: true; changes: GitChanges[] } | { ok: false; message: string };

/** Changes of every folder that is a git repository; the diff is cut at `maxBytes` in all. */
export async function readGitChanges(roots: readonly IndexRoot[], maxBytes: number): Promise<GitResult> {
  const changes: GitChanges[] = [];
  let budget = maxBytes;
  let gitMissing = false;
  for (const root of roots) {
    let status: string;
    try {
      status = await git(root.fsPath, ['status', '--porcelain'], 4 * 1024 * 1024);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        gitMissing = true;
      }
      continue; // not a repository
    }
    let diff: string;
    try {
      diff = await git(root.fsPath, ['diff', 'HEAD', '--no-color', '--no-ext-diff', '--no-textconv'], 64 * 1024 * 1024);
    } catch {
      // No commit yet: the index against the empty tree is all there is.
      diff = await git(root.fsPath, ['diff', '--cached', '--no-color', '--no-ext-diff', '--no-textconv'], 64 * 1024 * 1024).catch(() => '');
    }
    const truncated = Buffer.byteLength(diff) > budget;
    const shown = truncated ? Buffer.from(diff).subarray(0, Math.max(0, budget)).toString('utf8') : diff;
    budget = Math.max(0, budget - Buffer.byteLength(shown));
    changes.push({ root: roots.length > 1 ? root.name : undefined, status, diff: shown, truncated: truncated || undefined });
  }
  if (changes.length === 0) {
    return { ok: false, message: gitMissing ? 'Git is not installed, so the changes cannot be read.' : 'No folder of this workspace is a git repository.' };
  }
  return { ok: true, changes };
}
