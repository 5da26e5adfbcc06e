// The attachments waiting for each conversation's next message, kept in the workspace state with the
// blocks they will send, so that a reload of the window shows the same chips and sends exactly them.
import type * as vscode from 'vscode';
import type { BuiltAttachment } from '../../core/attachments';
import type { Logger } from '../../core/ports';
import { describeError } from '../../core/errorText';

export interface PendingEntry {
  id: string;
  /** Attaching the same thing again replaces it instead of adding a second chip. */
  key: string;
  built: BuiltAttachment;
  /** Files only: what a pin re-reads. */
  uri?: string;
}

const pendingKey = (conversationId: string) => `marathon.pending.${conversationId}`;

/** Chip ids stay unique across reloads (a view may still show one from before), hence the time base. */
const idBase = Date.now().toString(36);
let idCounter = 0;

export class PendingAttachments {
  /** Read once per conversation from the workspace state, then kept here and written through. */
  private readonly lists = new Map<string, PendingEntry[]>();

  constructor(
    private readonly state: Pick<vscode.Memento, 'get' | 'update'>,
    private readonly logger: Logger,
  ) {}

  newId(): string {
    idCounter++;
    return `a${idBase}-${idCounter}`;
  }

  /** The conversation's pending attachments, in the order they were attached. */
  get(conversationId: string): PendingEntry[] {
    let list = this.lists.get(conversationId);
    if (list === undefined) {
      const stored = this.state.get<unknown>(pendingKey(conversationId));
      list = Array.isArray(stored) ? stored.filter(isPendingEntry) : [];
      this.lists.set(conversationId, list);
    }
    return list;
  }

  /** Replaces the list and stores it; an entry changed in place is stored by calling this again. */
  set(conversationId: string, list: PendingEntry[]): void {
    this.lists.set(conversationId, list);
    this.write(conversationId, list.length > 0 ? list : undefined);
  }

  delete(conversationId: string): void {
    this.lists.set(conversationId, []);
    this.write(conversationId, undefined);
  }

  private write(conversationId: string, value: PendingEntry[] | undefined): void {
    // The memento takes the value at once (a later read sees it) and persists it in the background.
    this.state.update(pendingKey(conversationId), value).then(undefined, (error: unknown) => {
      this.logger.warn(`[Context] could not keep the pending attachments of ${conversationId}: ${describeError(error)}`);
    });
  }
}

function isPendingEntry(value: unknown): value is PendingEntry {
  const entry = value as Partial<PendingEntry> | null;
  const built = entry?.built as Partial<BuiltAttachment> | undefined;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.id === 'string' &&
    typeof entry.key === 'string' &&
    (entry.uri === undefined || typeof entry.uri === 'string') &&
    typeof built?.block?.type === 'string' &&
    typeof built.summary?.kind === 'string' &&
    typeof built.summary.label === 'string' &&
    typeof built.summary.tokens === 'number'
  );
}
