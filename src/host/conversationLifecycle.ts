// The lifecycle of the workspace's conversations: which one is active, opening it (the remembered
// one or a new one), switching, creating and deleting, and waiting for the current turn.
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import type { Logger } from '../core/ports';
import type { ConversationSession, SessionEvent } from '../core/session';
import type { JsonlConversationStore } from '../core/store';
import { loadEngine } from './engineLoader';
import { loggableError } from '../core/errorText';

const ACTIVE_KEY = 'marathon.activeConversation';

export interface ConversationLifecycleDeps {
  context: vscode.ExtensionContext;
  logger: Logger;
  openSession(store: JsonlConversationStore, id: string): Promise<ConversationSession>;
  /** A conversation became the active one: the views show it (and the item to focus, if any). */
  onDidOpen(focusItemId?: string): Promise<void>;
  /** The list of conversations changed without another one becoming active. */
  onDidChangeList(): Promise<void>;
  onSessionEvent(event: SessionEvent): void;
  /** Tells the user why a request was not carried out. */
  notice(message: string): void;
  /** Drops what a deleted conversation owns outside the store (its pending attachments). */
  forget(id: string): Promise<void>;
}

export class ConversationLifecycle extends Disposable {
  private store: JsonlConversationStore | undefined;
  private session: ConversationSession | undefined;
  private sessionListener: { dispose(): void } | undefined;
  private opening: Promise<ConversationSession> | undefined;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ConversationLifecycleDeps) {
    super();
  }

  /** The active session, if one is open already. */
  get current(): ConversationSession | undefined {
    return this.session;
  }

  get generating(): boolean {
    return this.session?.generating ?? false;
  }

  async getStore(): Promise<JsonlConversationStore> {
    if (!this.store) {
      const { JsonlConversationStore } = await loadEngine();
      const base = this.deps.context.storageUri ?? this.deps.context.globalStorageUri;
      this.store = new JsonlConversationStore(vscode.Uri.joinPath(base, 'conversations').fsPath, this.deps.logger);
    }
    return this.store;
  }

  /** The active session, opening the most recent conversation (or a new one) on first use. */
  async activeSession(): Promise<ConversationSession> {
    if (this.session) {
      return this.session;
    }
    if (this.opening) {
      return this.opening;
    }
    const store = await this.getStore();
    const remembered = this.deps.context.workspaceState.get<string>(ACTIVE_KEY);
    const list = await store.list();
    const id = list.find((entry) => entry.id === remembered)?.id ?? list[0]?.id ?? (await store.create()).id;
    return this.open(id);
  }

  /** Runs an action of the active session as the current turn; its failure is logged, never thrown. */
  async track(action: (session: ConversationSession) => Promise<void>): Promise<void> {
    const session = await this.activeSession();
    const run = action(session).catch((error: unknown) => {
      this.deps.logger.error(loggableError(error));
    });
    this.idle = run;
    await run;
  }

  stop(): void {
    this.session?.cancel();
  }

  async newConversation(): Promise<void> {
    if (this.generating) {
      this.stop();
      await this.idle;
    }
    const store = await this.getStore();
    const entry = await store.create();
    await this.open(entry.id);
  }

  async switchTo(id: string, focusItemId?: string): Promise<void> {
    if (id === this.session?.id) {
      if (focusItemId !== undefined) {
        await this.deps.onDidOpen(focusItemId);
      }
      return;
    }
    if (this.generating) {
      this.deps.notice('Stop the current answer before switching conversations.');
      return;
    }
    await this.open(id, focusItemId);
  }

  /** Deletes a conversation after the user confirms; deleting the active one opens the next. */
  async delete(id: string): Promise<void> {
    const store = await this.getStore();
    const title = (await store.list()).find((entry) => entry.id === id)?.title ?? 'this conversation';
    const choice = await vscode.window.showWarningMessage(`Delete “${title}”? This cannot be undone.`, { modal: true }, 'Delete');
    if (choice !== 'Delete') {
      return;
    }
    if (id === this.session?.id) {
      this.stop();
      await this.idle;
    }
    await store.delete(id);
    await this.deps.forget(id);
    if (id === this.session?.id) {
      this.session = undefined;
      const next = (await store.list())[0]?.id ?? (await store.create()).id;
      await this.open(next);
    } else {
      await this.deps.onDidChangeList();
    }
  }

  private async open(id: string, focusItemId?: string): Promise<ConversationSession> {
    this.sessionListener?.dispose();
    this.session = undefined;
    const opening = this.getStore().then((store) => this.deps.openSession(store, id));
    this.opening = opening;
    try {
      const session = await opening;
      this.session = session;
      this.sessionListener = session.onEvent((event) => this.deps.onSessionEvent(event));
      await this.deps.context.workspaceState.update(ACTIVE_KEY, id);
      await this.deps.onDidOpen(focusItemId);
      return session;
    } finally {
      this.opening = undefined;
    }
  }

  override dispose(): void {
    this.session?.cancel();
    this.sessionListener?.dispose();
    void this.store?.dispose();
    super.dispose();
  }
}
