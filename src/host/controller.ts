// Owns the conversations of this workspace and connects them to the chat view and the commands.
// Heavy pieces (the store, the SDK) are created on first use, never during activation.
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import type { JsonlConversationStore } from '../core/store';
import type { ConversationSession, MessagesClient, SessionEvent, SessionSettings } from '../core/session';
import {
  assertNever,
  type BackendInfo,
  type ConversationSummary,
  type HostCommand,
  type ToHost,
  type ToWebview,
  type ViewState,
} from '../shared/protocol';
import type { ApiKeyStore, Credentials } from './apiKey';
import type { ProposalManager } from './apply';
import { readAgentSettings, readSettings, type MarathonSettings } from './config';
import type { ContextService } from './context/service';
import type { AgentMessage, AgentMode } from './agent';
import { loadEngine } from './engine';
import { buildSystemPrompt } from './systemPrompt';

const ACTIVE_KEY = 'marathon.activeConversation';
const DEFAULT_CONTEXT_WINDOW = 200_000;

type Post = (message: ToWebview) => void;

export class ChatController implements vscode.Disposable {
  private store: JsonlConversationStore | undefined;
  private session: ConversationSession | undefined;
  private sessionListener: { dispose(): void } | undefined;
  private opening: Promise<ConversationSession> | undefined;
  private readonly views = new Set<Post>();
  private readonly contextWindows = new Map<string, number>();
  private readonly compactionUnsupported = new Set<string>();
  private cachedClient: { key: string; client: Promise<MessagesClient> } | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly keys: ApiKeyStore,
    private readonly logger: Logger,
    /** Apply as a diff the user accepts; absent, Apply explains it is unavailable. */
    private readonly proposals?: ProposalManager,
    /** Workspace context on request: the @ picker, pending attachments, pinned files. */
    private readonly workspaceContext?: ContextService,
    /** Agent mode: tools with approval, checkpoints, Restore to here; absent, every turn is plain chat. */
    private readonly agent?: AgentMode,
  ) {
    if (workspaceContext) {
      this.disposables.push(workspaceContext.onDidChangeAttachments((id) => this.postAttachments(id)));
    }
    if (agent) {
      this.disposables.push(agent.tools.onDidChange(() => this.postAgent()));
    }
    this.disposables.push(
      // Apply and other edits light up as soon as the user trusts the workspace.
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.bootstrapViews()),
      keys.onDidChange(() => void this.postBackend()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('marathon')) {
          this.reportSettingsProblems();
          const { settings } = readSettings();
          this.broadcast({ type: 'settings/didChange', compactionMode: settings.mode, model: settings.model });
          this.postAgent();
        }
      }),
    );
  }

  /** Connects a chat view; returns the function that disconnects it. */
  attachView(post: Post): vscode.Disposable {
    this.views.add(post);
    return new vscode.Disposable(() => this.views.delete(post));
  }

  /** Resolves when the current turn (if any) has finished; for tests and commands that must wait. */
  whenIdle(): Promise<void> {
    return this.idle;
  }

  get generating(): boolean {
    return this.session?.generating ?? false;
  }

  /** `reply` is the view the message came from: a view that (re)loads is bootstrapped alone. */
  async handle(message: ToHost, reply?: Post): Promise<void> {
    switch (message.type) {
      case 'webview/ready': {
        // Opening the first session bootstraps every view already; otherwise only the one that loaded.
        const opened = this.session === undefined;
        await this.activeSession();
        if (opened) {
          return;
        }
        if (reply !== undefined && this.views.has(reply)) {
          reply({ type: 'state/bootstrap', state: await this.viewState() });
        } else {
          await this.bootstrapViews();
        }
        return;
      }
      case 'chat/send':
        await this.send(message.text);
        return;
      case 'chat/cancel':
        this.stop();
        return;
      case 'chat/retry':
        await this.track((session) => session.retryLast());
        return;
      case 'chat/continue':
        await this.track((session) => session.continueTurn());
        return;
      case 'chat/editLast':
        await this.track((session) => session.editLast(message.text));
        return;
      case 'conversation/new':
        await this.newConversation();
        return;
      case 'conversation/switch':
        await this.switchTo(message.id, message.focusItemId);
        return;
      case 'conversation/rename':
        await (await this.getStore()).rename(message.id, message.title.trim() || 'Untitled');
        await this.postConversations();
        return;
      case 'conversation/delete':
        await this.deleteConversation(message.id);
        return;
      case 'conversation/compact':
        await this.compactNow();
        return;
      case 'conversation/export':
        await this.exportConversation();
        return;
      case 'timeline/loadOlder': {
        const session = await this.activeSession();
        if (session.id === message.conversationId) {
          const { items, hasOlder } = await session.olderItems(message.beforeId);
          this.broadcast({ type: 'timeline/older', conversationId: session.id, items, hasOlder });
        }
        return;
      }
      case 'search/query': {
        const { searchTranscripts } = await loadEngine();
        this.broadcast({ type: 'search/results', query: message.query, hits: await searchTranscripts(await this.getStore(), message.query) });
        return;
      }
      case 'settings/setCompactionMode':
        await vscode.workspace.getConfiguration('marathon').update('compaction.mode', message.mode, vscode.ConfigurationTarget.Global);
        return;
      case 'command/run':
        await this.runHostCommand(message.command);
        return;
      case 'link/open':
        await this.openLink(message.href);
        return;
      case 'code/copy':
        await vscode.env.clipboard.writeText(message.code);
        return;
      case 'code/insert':
        await this.insertAtCursor(message.code);
        return;
      case 'code/apply':
        if (this.proposals === undefined) {
          this.broadcast({ type: 'notice/show', level: 'info', message: 'Apply is not available here; use Insert at cursor.' });
        } else {
          await this.proposals.propose({ code: message.code, language: message.language, path: message.path });
        }
        return;
      case 'context/query':
      case 'context/attach':
      case 'attachments/remove':
      case 'attachments/togglePin':
        await this.handleContext(message);
        return;
      case 'settings/setMode':
      case 'tool/approve':
      case 'tool/refuse':
      case 'tools/setAutoApprove':
      case 'checkpoint/restore':
        await this.handleAgent(message);
        return;
      default:
        assertNever(message);
    }
  }

  /** The @ picker and the chips above the prompt; attachments belong to the active conversation. */
  private async handleContext(message: Extract<ToHost, { type: 'context/query' | 'context/attach' | 'attachments/remove' | 'attachments/togglePin' }>): Promise<void> {
    const context = this.workspaceContext;
    if (!context) {
      return;
    }
    const session = await this.activeSession();
    switch (message.type) {
      case 'context/query':
        await context.query(message.queryId, message.query, (reply) => this.broadcast(reply));
        return;
      case 'context/attach': {
        const result = await context.attachItem(session.id, message.itemId, message.truncate === true);
        if (!result.ok) {
          this.broadcast({ type: 'context/attachFailed', itemId: message.itemId, message: result.problem.message, canTruncate: result.problem.canTruncate === true });
        }
        return;
      }
      case 'attachments/remove':
        await context.remove(session.id, message.id);
        return;
      case 'attachments/togglePin':
        await context.togglePin(session.id, message.id);
        return;
      default:
        assertNever(message);
    }
  }

  /** Agent mode's messages: the mode switch, approvals, auto-approve, Restore to here. */
  private async handleAgent(message: AgentMessage): Promise<void> {
    if (!this.agent) {
      this.broadcast({ type: 'notice/show', level: 'info', message: 'Agent mode is not available here.' });
      return;
    }
    const session = await this.activeSession();
    const store = await this.getStore();
    if (await this.agent.handle(message, session.id, () => store.readAll(session.id))) {
      this.postAgent();
    }
  }

  private postAgent(): void {
    if (this.agent) {
      this.broadcast({ type: 'agent/didChange', agent: this.agent.state(this.session?.id) });
    }
  }

  /** Tells the views which attachments wait for the active conversation's next message. */
  postAttachments(conversationId?: string): void {
    const id = conversationId ?? this.session?.id;
    if (!this.workspaceContext || id === undefined || id !== this.session?.id) {
      return;
    }
    this.broadcast({ type: 'attachments/didChange', conversationId: id, chips: this.workspaceContext.chips(id) });
  }

  async send(text: string): Promise<void> {
    if (text.trim().length === 0) {
      this.broadcast({ type: 'notice/show', level: 'info', message: 'Type a message first.' });
      return;
    }
    const credentials = await this.credentials();
    if (!credentials) {
      this.broadcast({
        type: 'chat/failed',
        error: {
          kind: 'error',
          id: `e-nokey-${Date.now()}`,
          at: Date.now(),
          errorKind: 'noApiKey',
          message: 'No API key is set. Run “Marathon: Set API Key”, or set ANTHROPIC_API_KEY before starting VS Code.',
          retryable: false,
        },
        draft: text,
      });
      return;
    }
    await this.track((session) =>
      // Attachments leave the prompt only with a message the session accepts.
      session.send(text, session.generating || text.trim().length === 0 ? undefined : this.workspaceContext?.takePending(session.id)),
    );
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

  /** Opens the whole transcript as Markdown in an editor, from where the user can save it. */
  async exportConversation(): Promise<void> {
    const session = await this.activeSession();
    const store = await this.getStore();
    const { transcriptMarkdown } = await loadEngine();
    const title = (await store.list()).find((entry) => entry.id === session.id)?.title ?? 'Conversation';
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: transcriptMarkdown(title, await store.readAll(session.id)) });
    await vscode.window.showTextDocument(document, { preview: false });
  }

  /** Quick pick over all conversations: switch, rename or delete. */
  async showConversations(): Promise<void> {
    const store = await this.getStore();
    const rename: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Rename' };
    const remove: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete' };
    type Item = vscode.QuickPickItem & { id: string };
    const pick = vscode.window.createQuickPick<Item>();
    const load = async () => {
      const list = await store.list();
      pick.items = list.map((entry) => ({
        id: entry.id,
        label: entry.title,
        description: entry.id === this.session?.id ? 'current' : undefined,
        detail: `${entry.messageCount} messages · ${new Date(entry.updatedAt).toLocaleString()}`,
        buttons: [rename, remove],
      }));
    };
    pick.title = 'Marathon: Conversations';
    pick.placeholder = 'Switch to a conversation, or rename or delete one';
    pick.matchOnDetail = true;
    await load();
    await new Promise<void>((resolve) => {
      pick.onDidAccept(() => {
        const chosen = pick.selectedItems[0];
        pick.hide();
        if (chosen) {
          void this.switchTo(chosen.id);
        }
      });
      pick.onDidTriggerItemButton(async (event) => {
        if (event.button === rename) {
          const title = await vscode.window.showInputBox({ title: 'Rename conversation', value: event.item.label, validateInput: (value) => (value.trim() ? undefined : 'The title cannot be empty.') });
          if (title) {
            await store.rename(event.item.id, title.trim());
            await this.postConversations();
          }
        } else {
          await this.deleteConversation(event.item.id);
        }
        await load();
        pick.show();
      });
      pick.onDidHide(() => {
        pick.dispose();
        resolve();
      });
      pick.show();
    });
  }

  async compactNow(): Promise<void> {
    await this.track((session) => session.compactNow().then(() => undefined));
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
    const remembered = this.context.workspaceState.get<string>(ACTIVE_KEY);
    const list = await store.list();
    const id = list.find((entry) => entry.id === remembered)?.id ?? list[0]?.id ?? (await store.create()).id;
    return this.open(id);
  }

  async viewState(): Promise<ViewState> {
    const session = await this.activeSession();
    const store = await this.getStore();
    const { settings } = readSettings();
    const list = await store.list();
    const { items, hasOlder } = session.items();
    return {
      backend: await this.backendInfo(),
      conversations: list.map(toSummary),
      active: { id: session.id, title: list.find((entry) => entry.id === session.id)?.title ?? 'New conversation', items, hasOlder },
      generating: session.generating,
      meter: session.meter(),
      compactionMode: settings.mode,
      model: settings.model,
      workspaceTrusted: vscode.workspace.isTrusted,
      agent: this.agent?.state(session.id),
    };
  }

  private async track(action: (session: ConversationSession) => Promise<void>): Promise<void> {
    const session = await this.activeSession();
    const run = action(session).catch((error: unknown) => {
      this.logger.error(error instanceof Error ? error : String(error));
    });
    this.idle = run;
    await run;
    await this.postConversations();
  }

  private async open(id: string, focusItemId?: string): Promise<ConversationSession> {
    this.sessionListener?.dispose();
    this.session = undefined;
    const opening = this.openSession(id);
    this.opening = opening;
    try {
      const session = await opening;
      this.session = session;
      this.sessionListener = session.onEvent((event) => this.forward(event));
      await this.context.workspaceState.update(ACTIVE_KEY, id);
      await this.bootstrapViews(focusItemId);
      return session;
    } finally {
      this.opening = undefined;
    }
  }

  private async openSession(id: string): Promise<ConversationSession> {
    const { ConversationSession } = await loadEngine();
    const store = await this.getStore();
    return ConversationSession.open({
      store,
      conversationId: id,
      client: () => this.client(),
      settings: () => this.sessionSettings(),
      systemPrompt: buildSystemPrompt,
      tools: this.agent?.tools,
      pinnedBlocks: () => this.workspaceContext?.pinnedBlocks(id) ?? Promise.resolve([]),
      logger: this.logger,
      retry: retryPolicyFromEnvironment(),
      idleTimeoutMs: Number(process.env.MARATHON_IDLE_TIMEOUT_MS) || undefined,
    });
  }

  private async switchTo(id: string, focusItemId?: string): Promise<void> {
    if (id === this.session?.id) {
      if (focusItemId !== undefined) {
        await this.bootstrapViews(focusItemId);
      }
      return;
    }
    if (this.generating) {
      this.broadcast({ type: 'notice/show', level: 'info', message: 'Stop the current answer before switching conversations.' });
      return;
    }
    await this.open(id, focusItemId);
  }

  private async deleteConversation(id: string): Promise<void> {
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
    await this.workspaceContext?.forget(id);
    if (id === this.session?.id) {
      this.session = undefined;
      const next = (await store.list())[0]?.id ?? (await store.create()).id;
      await this.open(next);
    } else {
      await this.postConversations();
    }
  }

  private forward(event: SessionEvent): void {
    switch (event.type) {
      case 'turnStarted':
        this.broadcast({ type: 'chat/started', user: event.user, assistantId: event.assistantId, replacesId: event.replacesId });
        return;
      case 'textDelta':
        this.broadcast({ type: 'chat/delta', assistantId: event.assistantId, text: event.text });
        return;
      case 'item':
        this.broadcast({ type: 'chat/item', item: event.item });
        return;
      case 'turnFinished':
        this.broadcast({ type: 'chat/done', item: event.item });
        return;
      case 'turnFailed':
        this.broadcast({ type: 'chat/failed', error: event.error, draft: event.draft });
        return;
      case 'usage':
        this.broadcast({ type: 'meter/didChange', meter: event.meter });
        return;
      case 'generating':
        void vscode.commands.executeCommand('setContext', 'marathon.generating', event.generating);
        this.broadcast({ type: 'generating/didChange', generating: event.generating });
        return;
      case 'notice':
        this.broadcast({ type: 'notice/show', level: event.level, message: event.message });
        return;
      case 'tool':
        this.broadcast({ type: 'tool/didChange', item: event.item });
        return;
      case 'retrying':
        this.broadcast({
          type: 'notice/show',
          level: 'info',
          message: `${event.reason} Retrying in ${Math.max(1, Math.round(event.delayMs / 1000))} s (attempt ${event.attempt}).`,
        });
        return;
      default:
        assertNever(event);
    }
  }

  private broadcast(message: ToWebview): void {
    for (const post of this.views) {
      post(message);
    }
  }

  private async bootstrapViews(focusItemId?: string): Promise<void> {
    if (this.views.size === 0) {
      return;
    }
    const state = await this.viewState();
    // Another conversation opened while the state was read (New Conversation right after a reload):
    // its own bootstrap shows it, and this older one must not overwrite it.
    if (state.active.id !== this.session?.id) {
      return;
    }
    this.broadcast({ type: 'state/bootstrap', state, focusItemId });
    this.postAttachments();
  }

  private async postConversations(): Promise<void> {
    const store = await this.getStore();
    const list = await store.list();
    const activeTitle = list.find((entry) => entry.id === this.session?.id)?.title ?? 'New conversation';
    this.broadcast({ type: 'conversations/didChange', conversations: list.map(toSummary), activeTitle });
  }

  private async postBackend(): Promise<void> {
    this.broadcast({ type: 'backend/didChange', backend: await this.backendInfo() });
  }

  private async backendInfo(): Promise<BackendInfo> {
    return (await this.credentials())?.backend ?? { kind: 'none' };
  }

  private credentials(): Promise<Credentials | undefined> {
    return this.keys.resolve(readSettings().settings.apiBaseUrl);
  }

  private async client() {
    const credentials = await this.credentials();
    if (!credentials) {
      throw new Error('No API key is set. Run “Marathon: Set API Key”.');
    }
    // One client per key and endpoint, so its connections are reused from turn to turn.
    const cacheKey = `${credentials.baseURL ?? ''}\n${credentials.apiKey}`;
    if (this.cachedClient?.key !== cacheKey) {
      const { createClient } = await loadEngine();
      this.cachedClient = { key: cacheKey, client: createClient({ apiKey: credentials.apiKey, baseURL: credentials.baseURL }) };
    }
    const client = await this.cachedClient.client;
    void this.learnContextWindow(client, readSettings().settings.model);
    return client;
  }

  /**
   * The model's window and whether it can compact come from the Models API, once per model; until then
   * the defaults stand (and a 400 naming the beta still turns compaction off).
   */
  private async learnContextWindow(client: Awaited<ReturnType<ChatController['client']>>, model: string): Promise<void> {
    if (this.contextWindows.has(model)) {
      return;
    }
    this.contextWindows.set(model, DEFAULT_CONTEXT_WINDOW);
    try {
      const info = (await client.beta.models.retrieve(model)) as {
        max_input_tokens?: number | null;
        capabilities?: { context_management?: { compact_20260112?: { supported?: boolean } } } | null;
      };
      if (typeof info.max_input_tokens === 'number' && info.max_input_tokens > 0) {
        this.contextWindows.set(model, info.max_input_tokens);
        this.logger.debug(`[Models] ${model}: context window ${info.max_input_tokens} tokens`);
      }
      if (info.capabilities?.context_management?.compact_20260112?.supported === false) {
        this.compactionUnsupported.add(model);
        this.logger.warn(`[Models] ${model} does not support compaction; conversations with it are trimmed instead`);
        this.broadcast({ type: 'notice/show', level: 'warning', message: `${model} does not support compaction: long conversations drop their oldest turns instead.` });
      }
    } catch (error) {
      this.logger.debug(`[Models] could not read the context window of ${model}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private sessionSettings(): SessionSettings {
    const settings: MarathonSettings = readSettings().settings;
    return {
      model: settings.model,
      maxTokens: settings.maxTokens,
      triggerTokens: settings.triggerTokens,
      instructions: settings.instructions,
      mode: settings.mode,
      keepRecentTurns: settings.keepRecentTurns,
      contextWindow: this.contextWindows.get(settings.model) ?? DEFAULT_CONTEXT_WINDOW,
      compactionSupported: !this.compactionUnsupported.has(settings.model),
      prices: settings.prices,
      chatMode: this.agent ? readAgentSettings().mode : 'ask',
      maxToolIterations: readAgentSettings().maxToolIterations,
    };
  }

  private async getStore(): Promise<JsonlConversationStore> {
    if (!this.store) {
      const { JsonlConversationStore } = await loadEngine();
      const base = this.context.storageUri ?? this.context.globalStorageUri;
      this.store = new JsonlConversationStore(vscode.Uri.joinPath(base, 'conversations').fsPath, this.logger);
    }
    return this.store;
  }

  reportSettingsProblems(): void {
    for (const problem of readSettings().problems) {
      this.logger.warn(`[Settings] ${problem.key}: ${problem.message}`);
      void vscode.window.showWarningMessage(`Marathon: ${problem.key} — ${problem.message}`, 'Open Settings').then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand('workbench.action.openSettings', problem.key);
        }
      });
    }
  }

  private async runHostCommand(command: HostCommand): Promise<void> {
    switch (command) {
      case 'setApiKey':
        await vscode.commands.executeCommand('marathon.setApiKey');
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:marathon-dev.marathon');
        return;
      case 'showLog':
        await vscode.commands.executeCommand('marathon.showLog');
        return;
      case 'openInEditor':
        await vscode.commands.executeCommand('marathon.openInEditor');
        return;
      default:
        assertNever(command);
    }
  }

  private async openLink(href: string): Promise<void> {
    let uri: vscode.Uri;
    try {
      uri = vscode.Uri.parse(href, true);
    } catch {
      return;
    }
    // Only web links leave the webview; anything else (command:, file:, javascript:) is refused.
    if (uri.scheme !== 'http' && uri.scheme !== 'https') {
      this.logger.warn(`[View] refused to open a ${uri.scheme}: link`);
      return;
    }
    await vscode.env.openExternal(uri);
  }

  private async insertAtCursor(code: string): Promise<void> {
    // Restricted Mode is read-only for Marathon: no Apply, no Insert, no commands.
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Marathon: Insert is off in Restricted Mode. Copy the code instead, or trust this workspace.');
      return;
    }
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) {
      void vscode.window.showInformationMessage('Marathon: open a file to insert the code into.');
      return;
    }
    await editor.edit((edit) => {
      for (const selection of editor.selections) {
        edit.replace(selection, code);
      }
    });
  }

  dispose(): void {
    this.session?.cancel();
    this.sessionListener?.dispose();
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
    void this.store?.dispose();
  }
}

function toSummary(entry: ConversationSummary): ConversationSummary {
  return { id: entry.id, title: entry.title, createdAt: entry.createdAt, updatedAt: entry.updatedAt, messageCount: entry.messageCount };
}

/** Tests shorten the backoff through the environment; users get the defaults. */
function retryPolicyFromEnvironment(): { baseDelayMs?: number; maxRetries?: number } | undefined {
  const base = Number(process.env.MARATHON_RETRY_BASE_MS);
  return Number.isFinite(base) && base > 0 ? { baseDelayMs: base } : undefined;
}
