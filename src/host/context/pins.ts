// Pinned files: which files each conversation keeps pinned (in the workspace's state, so they outlast
// a reload), and fresh copies of them for the request after a compaction.
import * as vscode from 'vscode';
import { delimit, fileAttachment, type BuiltAttachment } from '../../core/attachments';
import type { Logger } from '../../core/ports';
import type { StoredBlock } from '../../core/records';
import { readWorkspaceFile } from './reader';

export interface PinnedRef {
  uri: string;
  label: string;
  tokens: number;
  truncated?: boolean;
}

export interface PinStoreDeps {
  /** Where pinned files are remembered, per conversation (the extension's workspaceState). */
  state: vscode.Memento;
  logger: Logger;
  maxFileBytes: () => number;
}

const pinnedKey = (conversationId: string) => `marathon.pinned.${conversationId}`;

export class PinStore {
  constructor(private readonly deps: PinStoreDeps) {}

  refs(conversationId: string): PinnedRef[] {
    const value = this.deps.state.get<unknown>(pinnedKey(conversationId));
    return Array.isArray(value) ? value.filter(isPinnedRef) : [];
  }

  isPinned(conversationId: string, uri: string): boolean {
    return this.refs(conversationId).some((ref) => ref.uri === uri);
  }

  /** Pins a file, or refreshes its label and size when it is pinned already. */
  async save(conversationId: string, uri: string, built: BuiltAttachment): Promise<void> {
    const refs = this.refs(conversationId).filter((ref) => ref.uri !== uri);
    refs.push({ uri, label: built.summary.label, tokens: built.summary.tokens, truncated: built.summary.truncated });
    await this.deps.state.update(pinnedKey(conversationId), refs);
  }

  async remove(conversationId: string, uri: string): Promise<void> {
    const refs = this.refs(conversationId);
    await this.deps.state.update(pinnedKey(conversationId), refs.filter((ref) => ref.uri !== uri));
  }

  async forget(conversationId: string): Promise<void> {
    await this.deps.state.update(pinnedKey(conversationId), undefined);
  }

  /** Fresh copies of the conversation's pinned files, for the request after a compaction. */
  async blocks(conversationId: string): Promise<StoredBlock[]> {
    const blocks: StoredBlock[] = [];
    for (const ref of this.refs(conversationId)) {
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
}

function isPinnedRef(value: unknown): value is PinnedRef {
  const ref = value as Partial<PinnedRef> | null;
  return typeof ref === 'object' && ref !== null && typeof ref.uri === 'string' && typeof ref.label === 'string' && typeof ref.tokens === 'number';
}
