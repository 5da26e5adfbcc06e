// Routes the chat views' messages and the commands to the module that handles each, and keeps the
// views up to date. Heavy pieces (the store, the SDK) are created on first use, never during activation.
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import type { ConversationSession } from '../core/session';
import { assertNever, type ToHost, type ToWebview, type ViewState } from '../shared/protocol';
import type { AgentMessage, AgentMode } from './agent/agentMode';
import type { ApiKeyStore } from './apiKey';
import type { ProposalManager } from './apply';
import { Backend } from './backend/backend';
import { PlatformTurns } from './backend/platform';
import type { ProviderService } from './backend/providers';
import { CompactionModeWriter } from './compactionModeWriter';
import { readSettings } from './config';
import { ContextMessages } from './context/contextMessages';
import type { ContextService } from './context/service';
import { ConversationLifecycle } from './conversationLifecycle';
import { ConversationMessages, toSummary } from './conversationMessages';
import { Disposable } from './disposable';
import { EffortSwitch } from './effort';
import { handleEditorMessage } from './editorActions';
import { SessionFactory } from './sessionFactory';
import { ViewHub, type Post } from './viewHub';

type TurnMessage = Extract<ToHost, { type: 'chat/send' | 'chat/cancel' | 'chat/retry' | 'chat/continue' | 'chat/editLast' | 'conversation/compact' }>;

export class ChatController extends Disposable {
  private readonly views = new ViewHub();
  private readonly compactionMode = new CompactionModeWriter(() => this.postSettings());
  private readonly backend: Backend;
  private readonly conversations: ConversationLifecycle;
  private readonly effort: EffortSwitch;
  private readonly list: ConversationMessages;
  private readonly contextMessages: ContextMessages | undefined;
  /** The request the active session answers (or answered last). */
  private request: string | undefined;

  constructor(
    context: vscode.ExtensionContext,
    keys: ApiKeyStore,
    private readonly logger: Logger,
    /** Apply as a diff the user accepts; absent, Apply explains it is unavailable. */
    private readonly proposals?: ProposalManager,
    /** Workspace context on request: the @ picker, pending attachments, pinned files. */
    private readonly workspaceContext?: ContextService,
    /** Agent mode: tools with approval, checkpoints, Restore to here; absent, every turn is plain chat. */
    private readonly agent?: AgentMode,
    /** `marathon.provider`: Bedrock, Vertex AI or Foundry through their own clients; absent, the Anthropic API only. */
    providers?: ProviderService,
  ) {
    super();
    this.backend = new Backend(
      keys,
      logger,
      (model) => this.views.notice('warning', `${model} does not support compaction: long conversations drop their oldest turns instead.`),
      providers ? new PlatformTurns(providers, context.workspaceState, logger) : undefined,
      () => void this.postBackend(),
    );
    if (providers) {
      this._register(providers.onDidChange(() => void this.postBackend()));
    }
    const marathon = () => vscode.workspace.getConfiguration('marathon');
    const settingsPort = { get: (key: string) => marathon().get(key), update: (key: string, value: unknown) => marathon().update(key, value, vscode.ConfigurationTarget.Global) };
    this.effort = new EffortSwitch(this.backend.models, settingsPort, context.workspaceState, (message) => this.views.notice('info', message));
    const sessions = new SessionFactory({ backend: this.backend, logger, workspaceContext, agent });
    this.conversations = this._register(
      new ConversationLifecycle({
        context,
        logger,
        openSession: (store, id) => sessions.open(store, id),
        onDidOpen: (focusItemId) => {
          this.noticeProviderMove();
          return this.bootstrapViews(focusItemId);
        },
        onDidChangeList: () => this.postConversations(),
        onSessionEvent: (event) => this.views.forward(event, this.request ?? hostRequestId()),
        notice: (message) => this.views.notice('info', message),
        forget: (id) => workspaceContext?.forget(id) ?? Promise.resolve(),
      }),
    );
    this.list = new ConversationMessages({
      conversations: this.conversations,
      views: this.views,
      speaker: async () => ((await this.backend.info()).kind === 'demo' ? 'Demo backend' : 'Claude'),
    });
    if (workspaceContext) {
      this.contextMessages = new ContextMessages({
        context: workspaceContext,
        views: this.views,
        activeId: async () => (await this.activeSession()).id,
        currentId: () => this.conversations.current?.id,
      });
      this._register(workspaceContext.onDidChangeAttachments((id) => this.postAttachments(id)));
    }
    if (agent) {
      this._register(agent.tools.onDidChange(() => this.postAgent()));
    }
    // Apply and other edits light up as soon as the user trusts the workspace.
    this._register(vscode.workspace.onDidGrantWorkspaceTrust(() => void this.bootstrapViews()));
    this._register(keys.onDidChange(() => void this.postBackend()));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('marathon')) {
          this.backend.platform?.settingsChanged();
          void this.postBackend();
          if (['provider', 'model', 'bedrock', 'vertex', 'foundry'].some((key) => event.affectsConfiguration(`marathon.${key}`))) {
            this.noticeProviderMove();
          }
          this.reportSettingsProblems();
          this.postSettings();
          this.postMeter();
          this.postAgent();
        }
      }),
    );
  }

  /** Connects a chat view; disposing the result disconnects it. */
  attachView(post: Post): vscode.Disposable {
    return this.views.attach(post);
  }

  /**
   * Routes a message from a view to the part that handles it. `reply` is the view it came from:
   * a view that (re)loads is bootstrapped alone, and a refused request goes back to its view only.
   */
  async handle(message: ToHost, reply?: Post): Promise<void> {
    switch (message.type) {
      // The views themselves.
      case 'webview/ready':
        await this.onViewReady(reply);
        return;
      // Turns of the active conversation: its session.
      case 'chat/send':
      case 'chat/cancel':
      case 'chat/retry':
      case 'chat/continue':
      case 'chat/editLast':
      case 'conversation/compact':
        await this.handleTurn(message, reply);
        return;
      // The conversations: their lifecycle and their store.
      case 'conversation/new':
      case 'conversation/switch':
      case 'conversation/rename':
      case 'conversation/delete':
      case 'conversation/export':
      case 'timeline/loadOlder':
      case 'search/query':
        await this.list.handle(message);
        return;
      // The editor: clipboard, cursor, Apply, links, host commands.
      case 'command/run':
      case 'link/open':
      case 'code/copy':
      case 'code/insert':
      case 'code/apply':
        await handleEditorMessage(message, {
          logger: this.logger,
          proposals: this.proposals,
          notice: (text) => this.views.notice('info', text),
          onPlatform: () => this.backend.onPlatform(),
        });
        return;
      // Settings.
      case 'settings/setCompactionMode':
        await this.compactionMode.write(message.mode);
        return;
      case 'settings/setEffort': {
        const session = await this.activeSession();
        if (!(await this.effort.set(message.effort, this.backend.model(), { id: session.id, contextTokens: session.meter().contextTokens }))) {
          this.postSettings();
        }
        return;
      }
      // Workspace context: the @ picker and the attachments.
      case 'context/query':
      case 'context/attach':
      case 'attachments/remove':
      case 'attachments/togglePin':
        await this.contextMessages?.handle(message);
        return;
      // Agent mode.
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

  private async onViewReady(reply: Post | undefined): Promise<void> {
    // Opening the first session bootstraps every view already; otherwise only the one that loaded.
    const opened = this.conversations.current === undefined;
    await this.activeSession();
    if (opened) {
      return;
    }
    if (reply !== undefined && this.views.has(reply)) {
      reply({ type: 'state/bootstrap', state: await this.viewState() });
    } else {
      await this.bootstrapViews();
    }
  }

  /** A request about a turn runs only in the conversation it names; a stop only stops the request it names. */
  private async handleTurn(message: TurnMessage, reply: Post | undefined): Promise<void> {
    if (message.type === 'chat/cancel') {
      this.cancel(message.requestId);
      return;
    }
    const session = await this.activeSession();
    if (message.conversationId !== session.id) {
      this.logger.debug(`[Chat] refused ${message.type}: it names a conversation that is not the active one`);
      const refusal: ToWebview = {
        type: 'chat/refused',
        requestId: message.requestId,
        message: 'That conversation is no longer the open one, so nothing was sent. Your text is back in the prompt.',
        draft: 'text' in message ? message.text : undefined,
      };
      if (reply === undefined) {
        this.views.broadcast(refusal);
      } else {
        reply(refusal);
      }
      return;
    }
    switch (message.type) {
      case 'chat/send':
        await this.send(message.text, message.requestId, message.attachmentIds);
        return;
      case 'chat/retry':
        await this.track(message.requestId, (active) => active.retryLast());
        return;
      case 'chat/continue':
        await this.track(message.requestId, (active) => active.continueTurn());
        return;
      case 'chat/editLast':
        await this.track(message.requestId, (active) => active.editLast(message.text));
        return;
      case 'conversation/compact':
        await this.compactNow(message.requestId);
        return;
      default:
        assertNever(message);
    }
  }

  /** Agent mode's messages: the mode switch, approvals, auto-approve, Restore to here. */
  private async handleAgent(message: AgentMessage): Promise<void> {
    if (!this.agent) {
      this.views.notice('info', 'Agent mode is not available here.');
      return;
    }
    const session = await this.activeSession();
    const store = await this.conversations.getStore();
    if (await this.agent.handle(message, session.id, () => store.readAll(session.id))) {
      this.postAgent();
    }
  }

  /**
   * Sends a message in the active conversation; commands that send get an id of the host's.
   * `attachmentIds`: the chips the view showed, which the message carries exactly (absent: all pending).
   */
  async send(text: string, requestId = hostRequestId(), attachmentIds?: readonly string[]): Promise<void> {
    if (text.trim().length === 0) {
      this.views.notice('info', 'Type a message first.');
      return;
    }
    const missing = await this.backend.missingCredentials();
    if (missing !== undefined) {
      this.views.broadcast({
        type: 'chat/failed',
        requestId,
        error: {
          kind: 'error',
          id: `e-nokey-${Date.now()}`,
          at: Date.now(),
          errorKind: 'noApiKey',
          message: missing,
          retryable: false,
        },
        draft: text,
      });
      return;
    }
    if (attachmentIds !== undefined && this.workspaceContext) {
      const session = await this.activeSession();
      if (this.workspaceContext.missingPending(session.id, attachmentIds).length > 0) {
        // The view showed a chip the host no longer holds: sending without it would drop what the user saw.
        this.views.broadcast({
          type: 'chat/refused',
          requestId,
          message: 'An attachment shown above the prompt is no longer there, so nothing was sent. Check the attachments and send again; your text is back in the prompt.',
          draft: text,
        });
        this.postAttachments(session.id);
        return;
      }
    }
    await this.track(requestId, (session) =>
      // Attachments leave the prompt only with a message the session accepts.
      session.send(text, session.generating || text.trim().length === 0 ? undefined : this.workspaceContext?.takePending(session.id, attachmentIds)),
    );
  }

  /** Stops whatever the active conversation is answering (the Stop command). */
  stop(): void {
    this.conversations.stop();
  }

  /** Stops the request a view names; a stop for a request that has ended is stale and ignored. */
  private cancel(requestId: string): void {
    if (this.request === undefined || this.request === requestId) {
      this.stop();
    } else {
      this.logger.debug('[Chat] ignored a stop for a request that has ended');
    }
  }

  newConversation(): Promise<void> {
    return this.conversations.newConversation();
  }

  async compactNow(requestId = hostRequestId()): Promise<void> {
    const unavailable = this.backend.compactNowUnavailable();
    if (unavailable) {
      this.views.notice('info', unavailable);
      return;
    }
    await this.track(requestId, (session) => session.compactNow().then(() => undefined));
  }

  /** Opens the whole transcript as Markdown in an editor, from where the user can save it. */
  exportConversation(): Promise<void> {
    return this.list.exportConversation();
  }

  /** Quick pick over all conversations: switch, rename or delete. */
  showConversations(): Promise<void> {
    return this.list.showConversations();
  }

  /** The active session, opening the most recent conversation (or a new one) on first use. */
  activeSession(): Promise<ConversationSession> {
    return this.conversations.activeSession();
  }

  async viewState(): Promise<ViewState> {
    const session = await this.activeSession();
    const store = await this.conversations.getStore();
    const list = await store.list();
    const backend = await this.backend.info();
    // Read after the awaits, so that a bootstrap never carries a mode older than the last change event.
    const { settings } = readSettings();
    const { items, hasOlder } = session.items();
    return {
      backend,
      conversations: list.map(toSummary),
      active: { id: session.id, title: list.find((entry) => entry.id === session.id)?.title ?? 'New conversation', items, hasOlder },
      generating: session.generating,
      requestId: session.generating ? this.request : undefined,
      meter: session.meter(),
      compactionMode: this.compactionMode.shown(settings.mode),
      model: this.backend.model(),
      effort: this.effort.state(this.backend.model()),
      workspaceTrusted: vscode.workspace.isTrusted,
      agent: this.agent?.state(session.id),
      chips: this.workspaceContext?.chips(session.id) ?? [],
    };
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

  /** Runs a request as the active session's turn; it names the events it causes unless a turn runs already. */
  private async track(requestId: string, action: (session: ConversationSession) => Promise<void>): Promise<void> {
    await this.conversations.track((session) => {
      if (!session.generating) {
        this.request = requestId;
      }
      return action(session);
    });
    await this.postConversations();
  }

  private async bootstrapViews(focusItemId?: string): Promise<void> {
    if (this.views.isEmpty) {
      return;
    }
    const state = await this.viewState();
    // Another conversation opened while the state was read (New Conversation right after a reload):
    // its own bootstrap shows it, and this older one must not overwrite it.
    if (state.active.id !== this.conversations.current?.id) {
      return;
    }
    this.views.broadcast({ type: 'state/bootstrap', state, focusItemId });
    this.postAttachments();
  }

  /** Tells the views which attachments wait for the active conversation's next message. */
  private postAttachments(conversationId?: string): void {
    this.contextMessages?.postChips(conversationId);
  }

  /** The meter of the open conversation against the settings as they are now (a new trigger shows at once). */
  private postMeter(): void {
    const session = this.conversations.current;
    if (session) {
      this.views.broadcast({ type: 'meter/didChange', meter: session.meter() });
    }
  }

  private postSettings(): void {
    const model = this.backend.model();
    this.views.broadcast({ type: 'settings/didChange', compactionMode: this.compactionMode.shown(readSettings().settings.mode), model, effort: this.effort.state(model) });
  }

  private postAgent(): void {
    if (this.agent) {
      this.views.broadcast({ type: 'agent/didChange', agent: this.agent.state(this.conversations.current?.id) });
    }
  }

  private postConversations(): Promise<void> {
    return this.list.postList();
  }

  /** The active conversation was last served by another provider or model: say where it continues. */
  private noticeProviderMove(): void {
    const id = this.conversations.current?.id;
    const moved = id === undefined ? undefined : this.backend.platform?.opened(id);
    if (moved) {
      this.views.notice('info', moved);
    }
  }


  private async postBackend(): Promise<void> {
    this.views.broadcast({ type: 'backend/didChange', backend: await this.backend.info() });
  }
}

let hostRequests = 0;

/** Ids of requests the host starts itself (a command, not a view). */
function hostRequestId(): string {
  hostRequests++;
  return `h-${hostRequests}`;
}
