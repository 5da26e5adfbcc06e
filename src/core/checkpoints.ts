// Checkpoints of Agent mode: before Marathon writes a workspace file, the file's previous content is
// saved in the conversation's storage, so that "Restore to here" can revert every change made after a
// message without a git repository. One folder per conversation: an append-only index of entries
// (JSONL) and one blob per saved content. Pure Node (no `vscode`); the host applies restores.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** Conversation ids name folders: the store's id rule (lowercase, digits, `-`, `_`; no dots or separators). */
const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,127}$/;

export interface CheckpointEntry {
  v: 1;
  id: string;
  at: number;
  /** `edit`: saved before an accepted edit. `restore`: saved before a restore, so the restore can be undone. */
  kind: 'edit' | 'restore';
  /** The assistant record whose tool call made the edit (for `restore`: the restore's own group id). */
  messageId: string;
  toolUseId?: string;
  /** Absolute path of the file, and how the user knows it. */
  fsPath: string;
  label: string;
  /** False when the file did not exist before: restoring deletes it. */
  existed: boolean;
  /** Name of the blob holding the previous content (when it existed). */
  blob?: string;
}

const INDEX = 'index.jsonl';

export class CheckpointStore {
  constructor(private readonly root: string) {}

  private folder(conversationId: string): string {
    if (!ID_PATTERN.test(conversationId)) {
      throw new Error(`Invalid conversation id ${JSON.stringify(conversationId)}`);
    }
    return path.join(this.root, conversationId);
  }

  /** Saves what a file held before a change; `previous` undefined means the file did not exist. */
  async save(conversationId: string, entry: Omit<CheckpointEntry, 'v' | 'id' | 'at' | 'existed' | 'blob'>, previous: string | undefined): Promise<CheckpointEntry> {
    const folder = this.folder(conversationId);
    await fs.mkdir(folder, { recursive: true });
    const id = `k-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    let blob: string | undefined;
    if (previous !== undefined) {
      blob = `${id}.txt`;
      await fs.writeFile(path.join(folder, blob), previous, 'utf8');
    }
    const saved: CheckpointEntry = { v: 1, id, at: Date.now(), existed: previous !== undefined, blob, ...entry };
    // The blob is on disk before the index names it, so an entry never points at nothing.
    await fs.appendFile(path.join(folder, INDEX), `${JSON.stringify(saved)}\n`, 'utf8');
    return saved;
  }

  /** Every entry of a conversation, oldest first; a torn last line is skipped. */
  async list(conversationId: string): Promise<CheckpointEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.folder(conversationId), INDEX), 'utf8');
    } catch {
      return [];
    }
    const entries: CheckpointEntry[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') {
        continue;
      }
      try {
        const value = JSON.parse(line) as CheckpointEntry;
        if (value.v === 1 && typeof value.fsPath === 'string' && typeof value.messageId === 'string') {
          entries.push(value);
        }
      } catch {
        // a line torn by a crash
      }
    }
    return entries;
  }

  async read(conversationId: string, entry: CheckpointEntry): Promise<string | undefined> {
    if (!entry.existed || entry.blob === undefined || path.basename(entry.blob) !== entry.blob) {
      return undefined;
    }
    return fs.readFile(path.join(this.folder(conversationId), entry.blob), 'utf8');
  }

  async forget(conversationId: string): Promise<void> {
    await fs.rm(this.folder(conversationId), { recursive: true, force: true });
  }
}

/**
 * The files to put back when restoring to the message at `position`: for each file changed by an edit
 * whose message is at or after `position`, the earliest such entry (what the file held before the
 * first of those changes). `positionOf` gives a message's place in the conversation (-1: unknown).
 */
export function entriesToRestore(entries: readonly CheckpointEntry[], position: number, positionOf: (messageId: string) => number): CheckpointEntry[] {
  const firstByFile = new Map<string, CheckpointEntry>();
  for (const entry of entries) {
    if (entry.kind !== 'edit') {
      continue;
    }
    const at = positionOf(entry.messageId);
    if (at >= position && !firstByFile.has(entry.fsPath)) {
      firstByFile.set(entry.fsPath, entry);
    }
  }
  return Array.from(firstByFile.values());
}
