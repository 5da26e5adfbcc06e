// The chips of each conversation: the attachments waiting for its next message, listed with its
// pinned files, until the message takes them. Attaching the same thing again replaces its chip.
import * as vscode from 'vscode';
import type { BuiltAttachment } from '../../core/attachments';
import type { Logger } from '../../core/ports';
import type { Attachments } from '../../core/session';
import type { AttachmentChip } from '../../shared/protocol';
import { Disposable } from '../disposable';
import type { PinStore } from './pins';

export interface PendingAttachment {
  /** Attaching the same thing again replaces it instead of adding a second chip. */
  key: string;
  built: BuiltAttachment;
  /** Files only: what a pin re-reads. */
  uri?: string;
}

interface Pending extends PendingAttachment {
  id: string;
}

export class AttachmentShelf extends Disposable {
  private readonly pending = new Map<string, Pending[]>();
  private nextId = 1;
  private readonly _onDidChangeAttachments = this._register(new vscode.EventEmitter<string>());
  /** Fires with a conversation id when its chips change. */
  readonly onDidChangeAttachments = this._onDidChangeAttachments.event;

  constructor(
    private readonly pins: PinStore,
    private readonly logger: Logger,
  ) {
    super();
  }

  /** Puts an attachment on the conversation's shelf and returns its chip id. */
  add(conversationId: string, entry: PendingAttachment): string {
    const list = this.pending.get(conversationId) ?? [];
    const existing = list.findIndex((candidate) => candidate.key === entry.key);
    const id = existing >= 0 ? list[existing]!.id : `a${this.nextId++}`;
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
    const pending = this.pending.get(conversationId) ?? [];
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
      const list = this.pending.get(conversationId) ?? [];
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
      const entry = (this.pending.get(conversationId) ?? []).find((candidate) => candidate.id === chipId);
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
    }
    this._onDidChangeAttachments.fire(conversationId);
  }

  /** Takes the attachments of the next message: they leave the prompt and join the conversation. */
  takePending(conversationId: string): Attachments | undefined {
    const list = this.pending.get(conversationId) ?? [];
    if (list.length === 0) {
      return undefined;
    }
    this.pending.delete(conversationId);
    this._onDidChangeAttachments.fire(conversationId);
    return { blocks: list.map((entry) => entry.built.block), summaries: list.map((entry) => ({ ...entry.built.summary })) };
  }

  /** Drops what is kept for a deleted conversation. */
  async forget(conversationId: string): Promise<void> {
    this.pending.delete(conversationId);
    await this.pins.forget(conversationId);
  }

  private async unpin(conversationId: string, uri: string): Promise<void> {
    await this.pins.remove(conversationId, uri);
    for (const entry of this.pending.get(conversationId) ?? []) {
      if (entry.uri === uri) {
        entry.built.summary.pinned = undefined;
      }
    }
  }
}
