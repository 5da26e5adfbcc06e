// The chips of each conversation: the attachments waiting for its next message, listed with its
// pinned files, until the message takes them. Attaching the same thing again replaces its chip.
// What waits is kept across reloads (pendingAttachments.ts), so the chips shown are what is sent.
import * as vscode from 'vscode';
import type { BuiltAttachment } from '../../core/attachments';
import type { Logger } from '../../core/ports';
import type { Attachments } from '../../core/session';
import type { AttachmentChip } from '../../shared/protocol';
import { Disposable } from '../disposable';
import type { PendingAttachments } from './pendingAttachments';
import type { PinStore } from './pins';

export interface PendingAttachment {
  /** Attaching the same thing again replaces it instead of adding a second chip. */
  key: string;
  built: BuiltAttachment;
  /** Files only: what a pin re-reads. */
  uri?: string;
}

export class AttachmentShelf extends Disposable {
  private readonly _onDidChangeAttachments = this._register(new vscode.EventEmitter<string>());
  /** Fires with a conversation id when its chips change. */
  readonly onDidChangeAttachments = this._onDidChangeAttachments.event;

  constructor(
    private readonly pins: PinStore,
    /** The attachments waiting for each conversation's next message, kept in the workspace state. */
    private readonly pending: PendingAttachments,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** Puts an attachment on the conversation's shelf and returns its chip id. */
  add(conversationId: string, entry: PendingAttachment): string {
    const list = this.pending.get(conversationId);
    const existing = list.findIndex((candidate) => candidate.key === entry.key);
    const id = existing >= 0 ? list[existing]!.id : this.pending.newId();
    if (existing >= 0) {
      list[existing] = { ...entry, id };
    } else {
      list.push({ ...entry, id });
    }
    this.pending.set(conversationId, list);
    this.logger.debug(`[Context] attached ${entry.built.summary.kind} ${entry.built.summary.label} (~${entry.built.summary.tokens} tokens)`);
    this._onDidChangeAttachments.fire(conversationId);
    return id;
  }

  chips(conversationId: string): AttachmentChip[] {
    const pending = this.pending.get(conversationId);
    const chips: AttachmentChip[] = pending.map((entry) => ({
      ...entry.built.summary,
      id: entry.id,
      pending: true,
      pinnable: entry.built.summary.kind === 'file' && entry.uri !== undefined,
    }));
    const pendingUris = new Set(pending.map((entry) => entry.uri));
    for (const ref of this.pins.refs(conversationId)) {
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
      const list = this.pending.get(conversationId);
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
      const entry = this.pending.get(conversationId).find((candidate) => candidate.id === chipId);
      if (!entry?.uri || entry.built.summary.kind !== 'file') {
        return;
      }
      if (entry.built.summary.pinned) {
        entry.built.summary.pinned = undefined;
        await this.unpin(conversationId, entry.uri);
      } else {
        entry.built.summary.pinned = true;
        await this.pins.save(conversationId, entry.uri, entry.built);
      }
      this.pending.set(conversationId, this.pending.get(conversationId));
    }
    this._onDidChangeAttachments.fire(conversationId);
  }

  /**
   * Takes the attachments of the next message: they leave the prompt and join the conversation.
   * `ids` (the chips the view showed) takes exactly those; others stay pending, and are shown.
   */
  takePending(conversationId: string, ids?: readonly string[]): Attachments | undefined {
    const all = this.pending.get(conversationId);
    const list = ids === undefined ? all : all.filter((entry) => ids.includes(entry.id));
    if (list.length === 0) {
      return undefined;
    }
    this.pending.set(conversationId, all.filter((entry) => !list.includes(entry)));
    this._onDidChangeAttachments.fire(conversationId);
    return { blocks: list.map((entry) => entry.built.block), summaries: list.map((entry) => ({ ...entry.built.summary })) };
  }

  /** Chips a view showed that no longer wait for the next message (removed meanwhile, say). */
  missingPending(conversationId: string, ids: readonly string[]): string[] {
    const pending = new Set(this.pending.get(conversationId).map((entry) => entry.id));
    return ids.filter((id) => !pending.has(id));
  }

  /** Drops what is kept for a deleted conversation. */
  async forget(conversationId: string): Promise<void> {
    this.pending.delete(conversationId);
    await this.pins.forget(conversationId);
  }

  private async unpin(conversationId: string, uri: string): Promise<void> {
    await this.pins.remove(conversationId, uri);
    const list = this.pending.get(conversationId);
    for (const entry of list) {
      if (entry.uri === uri) {
        entry.built.summary.pinned = undefined;
      }
    }
    this.pending.set(conversationId, list);
  }
}
