// One conversation: the public face the host drives, and the orchestration of each turn over the pieces
// under ./turn (request builder, transport, compaction policy, tool loop, transcript view).
import type { AttachmentSummary, ContextMeter, TimelineItem } from '../shared/protocol';
import { classifyError, type ClassifiedError } from './errors';
import { hasToolUse } from './messageRules';
import { RequestHistory } from './requestHistory';
import { silentLogger, type ConversationStore, type Logger, type ToolHost } from './ports';
import { isToolResultRecord, textOf, type ConversationRecord, type StoredBlock, type UsageFigures } from './records';
import { hasThinking } from './thinkingBlocks';
import { assistantItem, timelineItem, toolItem } from './timeline';
import { priceFor, usageFigures } from './usage';
import { CompactionPolicy } from './turn/compaction';
import { newRecordId, requestSource, usageEvent, type AssistantRecord, type MessagesClient, type SessionEvent, type TurnContext } from './turn/context';
import { ToolResultClearing, isClearingRefused } from './turn/contextEditing';
import { buildTurnRequest, requestThinking } from './turn/request';
import { ThinkingGuard } from './turn/thinkingGuard';
import { snapshotSettings, type SessionSettings } from './turn/settingsSnapshot';
import { ToolLoop } from './turn/toolLoop';
import { UsageTotals } from './turn/totals';
import { DEFAULT_RETRY, Transport, type RetryPolicy, type StreamResult } from './turn/transport';
import { TranscriptView } from './turn/view';
import { loggableError } from './errorText';

export type { MessagesClient, SessionEvent } from './turn/context';
export type { SessionSettings } from './turn/settingsSnapshot';
export type { RetryPolicy } from './turn/transport';

export interface SessionDeps {
  store: ConversationStore;
  conversationId: string;
  client: () => Promise<MessagesClient>;
  settings: () => SessionSettings;
  /** Learns what `settings` reads of the model (its real window) before a turn freezes them; may fail. */
  prepare?: () => Promise<void>;
  systemPrompt: () => Promise<string>;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** A stream silent for this long is treated as dropped. */
  idleTimeoutMs?: number;
  /** The same while a compaction block is open: the server sends nothing but pings while it summarizes. */
  compactionIdleTimeoutMs?: number;
  /** What to tell the user when the endpoint cannot be reached (the host knows what serves the turn). */
  unreachable?: () => string;
  /** Records read at open to show the last screen. */
  tailSize?: number;
  /** Fresh copies of the pinned files, re-sent verbatim after every compaction. */
  pinnedBlocks?: () => Promise<StoredBlock[]>;
  /** Runs Agent mode's tools; without it every mode is plain chat. */
  tools?: ToolHost;
}

/** Attachments of one message: the blocks the request carries and what the view shows of them. */
export interface Attachments {
  blocks: StoredBlock[];
  summaries: AttachmentSummary[];
}

/** Turns continue by themselves after `pause_turn` and paused compactions; this bounds a runaway loop. */
const MAX_CONTINUATIONS = 8;
const DEFAULT_MAX_TOOL_ITERATIONS = 25;

const isAssistant = (record: ConversationRecord): record is AssistantRecord => record.kind === 'assistant';

export class ConversationSession {
  private readonly logger: Logger;
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private readonly usage = new UsageTotals();
  private readonly transport: Transport;
  private readonly compaction: CompactionPolicy;
  private readonly tools = new ToolLoop();
  private readonly thinking: ThinkingGuard;
  private abort: AbortController | undefined;
  /** Filled in by ensureHistory() before the first request. */
  private history = new RequestHistory();
  /** Which tool results the server is asked to clear; rebuilt with the history. */
  private clearing = new ToolResultClearing();
  private historyReady: Promise<void> | undefined;

  private constructor(
    private readonly deps: SessionDeps,
    private readonly view: TranscriptView,
  ) {
    this.logger = deps.logger ?? silentLogger;
    this.transport = new Transport(deps.client, { ...DEFAULT_RETRY, ...deps.retry }, this.logger, deps.idleTimeoutMs, deps.compactionIdleTimeoutMs, deps.unreachable);
    this.compaction = new CompactionPolicy({ transport: this.transport, pinnedBlocks: deps.pinnedBlocks });
    this.thinking = new ThinkingGuard(deps.systemPrompt);
  }

  /**
   * Opens a conversation from its tail, enough to show the last screen. The request state (back to the
   * last compaction) and the usage totals (the whole file) are read later, off the path to first paint.
   */
  static async open(deps: SessionDeps): Promise<ConversationSession> {
    const session = new ConversationSession(deps, await TranscriptView.open(deps.store, deps.conversationId, deps.tailSize));
    session.usage.restoreContext(session.view);
    void session.loadTotals();
    return session;
  }

  /** Usage totals of the whole conversation, read in the background; answers of this session are added live. */
  private async loadTotals(): Promise<void> {
    if (await this.usage.load(this.deps.store, this.deps.conversationId, this.deps.settings().prices, this.logger)) {
      this.emit({ type: 'usage', meter: this.meter() });
    }
  }

  /** Rebuilds the request state on first need: reads back only as far as the last compaction anchor. */
  private ensureHistory(): Promise<void> {
    this.historyReady ??= (async () => {
      const records = await this.view.recordsToAnchor();
      this.history = RequestHistory.rebuild(records);
      this.clearing = ToolResultClearing.fromRecords(records);
      this.compaction.restore(records);
    })();
    return this.historyReady;
  }

  /** The context of one turn (or one compaction): the settings as they are now, frozen for its length. */
  private context(signal: AbortSignal): TurnContext {
    return {
      conversationId: this.deps.conversationId,
      settings: snapshotSettings(this.deps.settings()),
      signal,
      history: this.history,
      usage: this.usage,
      logger: this.logger,
      tools: this.deps.tools,
      // Stable within a conversation: thinking is bound to it (a rules change waits for the next compaction).
      systemPrompt: () => this.thinking.systemPrompt(this.history, this.logger),
      emit: (event) => this.emit(event),
      persist: (record) => this.persist(record),
    };
  }

  private async prepare(): Promise<void> {
    await this.deps.prepare?.().catch(() => undefined);
  }

  get id(): string {
    return this.deps.conversationId;
  }

  get generating(): boolean {
    return this.abort !== undefined;
  }

  onEvent(listener: (event: SessionEvent) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Timeline items of the newest records, for the view. */
  items(): { items: TimelineItem[]; hasOlder: boolean } {
    const { items, hasOlder } = this.view.items();
    return { items: this.tools.overlay(items), hasOlder };
  }

  /** Up to `page` timeline items older than the record `beforeId`, read from the end of the file. */
  olderItems(beforeId: string, page = 60): Promise<{ items: TimelineItem[]; hasOlder: boolean }> {
    return this.view.olderItems(beforeId, page);
  }

  meter(): ContextMeter {
    return this.usage.meter(this.deps.settings());
  }

  /** The request the next turn would send, for tests and the benchmark. */
  async previewRequest(): Promise<Record<string, unknown>> {
    await this.ensureHistory();
    await this.prepare();
    const ctx = this.context(new AbortController().signal);
    return buildTurnRequest(await requestSource(ctx), this.compaction.state(ctx));
  }

  cancel(): void {
    this.abort?.abort();
  }

  async send(text: string, attachments?: Attachments): Promise<void> {
    await this.startTurn(text, attachments);
  }

  /** Replaces the last user message with `text` and answers it again; the old one and its answers are dropped. */
  async editLast(text: string): Promise<void> {
    const last = this.view.findLast((record) => record.kind === 'user' && !isToolResultRecord(record));
    await this.startTurn(text, undefined, last?.kind === 'user' ? last.id : undefined);
  }

  private async startTurn(text: string, attachments?: Attachments, replaces?: string): Promise<void> {
    if (this.generating) {
      this.emit({ type: 'notice', level: 'info', message: 'Marathon is still answering. Stop it first, or wait.' });
      return;
    }
    if (text.trim().length === 0) {
      this.emit({ type: 'notice', level: 'info', message: 'Type a message first.' });
      return;
    }
    const user: ConversationRecord = {
      v: 1,
      kind: 'user',
      id: newRecordId('u'),
      at: Date.now(),
      content: [...(attachments?.blocks ?? []), { type: 'text', text }],
      attachments: attachments && attachments.summaries.length > 0 ? attachments.summaries : undefined,
      replaces,
    };
    // The request state is rebuilt before this record joins the tail, which it is built from.
    await this.ensureHistory();
    await this.prepare();
    const abort = new AbortController();
    const ctx = this.context(abort.signal);
    if (!replaces) {
      // Calls left unanswered (a reload while they waited) get results first, or the request is invalid.
      await this.closeDanglingToolUses(ctx, 'Not run: the user sent a new message instead.');
    }
    // The user's words reach the disk before anything can fail.
    await this.persist(user);
    this.history.push(user);
    const assistantId = newRecordId('a');
    this.emit({ type: 'turnStarted', user: timelineItem(user)[0], assistantId, replacesId: replaces });
    // No draft: the message is stored and shown with Retry; a copy in the prompt box would be sent twice.
    await this.runTurn(ctx, abort, assistantId);
  }

  /** Answers the last user message again (after an error or an interrupted answer). */
  async retryLast(): Promise<void> {
    if (this.generating) {
      return;
    }
    const lastMessage = this.view.findLast((record) => record.kind === 'user' || record.kind === 'assistant');
    if (lastMessage?.kind === 'assistant' && lastMessage.status !== 'interrupted' && lastMessage.status !== 'stopped') {
      this.emit({ type: 'notice', level: 'info', message: 'The last answer is complete; nothing to retry.' });
      return;
    }
    await this.ensureHistory();
    if (lastMessage?.kind === 'assistant') {
      this.history.dropLast(lastMessage.id);
    }
    if (!lastMessage) {
      return;
    }
    await this.startResumedTurn();
  }

  /** Continues a cut answer, or resumes a turn paused after compaction. */
  async continueTurn(): Promise<void> {
    if (this.generating) {
      return;
    }
    const last = this.view.findLast((record) => record.kind !== 'title' && record.kind !== 'settings');
    if ((last?.kind === 'assistant' && hasToolUse(last.content)) || (last !== undefined && isToolResultRecord(last))) {
      // A tool loop that stopped (reload, Stop, the step limit): run what is unanswered, then go on.
      await this.ensureHistory();
      await this.startResumedTurn(last.kind === 'assistant' ? last : undefined);
      return;
    }
    if (last?.kind === 'compaction' && last.compactionKind === 'threshold') {
      await this.ensureHistory();
      await this.startResumedTurn();
      return;
    }
    await this.send('Please continue exactly where your last answer stopped.');
  }

  /** A turn without a new user message (retry, continue); `resumeTools` are calls to run first. */
  private async startResumedTurn(resumeTools?: AssistantRecord): Promise<void> {
    await this.prepare();
    const abort = new AbortController();
    const ctx = this.context(abort.signal);
    const assistantId = newRecordId('a');
    this.emit({ type: 'turnStarted', assistantId });
    await this.runTurn(ctx, abort, assistantId, undefined, resumeTools);
  }

  /** Compacts on demand (command, button, or before a turn that would pass the trigger). */
  async compactNow(): Promise<boolean> {
    if (this.generating) {
      this.emit({ type: 'notice', level: 'info', message: 'Wait for the answer to finish, then compact.' });
      return false;
    }
    const abort = new AbortController();
    this.abort = abort;
    this.emit({ type: 'generating', generating: true });
    try {
      await this.ensureHistory();
      await this.prepare();
      const ctx = this.context(abort.signal);
      if (ctx.settings.onDemandSupported === false) {
        this.emit({ type: 'notice', level: 'info', message: `Compact Now is not available: ${ctx.settings.model} has no on-demand compaction here. The conversation compacts at the trigger instead.` });
        return false;
      }
      // The API refuses to summarize a conversation that ends on unanswered calls (compaction_incomplete_turn).
      await this.closeDanglingToolUses(ctx, 'Not run: the conversation was compacted before this call ran.');
      return await this.compaction.compactOnDemand(ctx, []);
    } finally {
      this.abort = undefined;
      this.emit({ type: 'generating', generating: false });
    }
  }

  private emit(event: SessionEvent): void {
    for (const listener of this.listeners) {
      listener(event);
    }
  }

  private async persist(record: ConversationRecord): Promise<void> {
    await this.deps.store.append(this.deps.conversationId, record);
    this.view.push(record);
  }

  /**
   * One turn: sampling iterations until an answer ends it. Pauses (`pause_turn`, paused compactions)
   * continue by themselves; in Agent mode an answer with tool calls runs them and samples again, so a
   * turn can span many requests, and the compaction trigger is checked before each of them.
   * `resumeTools`: an answer whose calls never ran (a reload, Stop) is run first.
   */
  private async runTurn(ctx: TurnContext, abort: AbortController, assistantId: string, draft?: string, resumeTools?: AssistantRecord): Promise<void> {
    this.abort = abort;
    this.compaction.restartCount();
    this.emit({ type: 'generating', generating: true });
    this.thinking.beforeTurn(ctx, requestThinking(ctx.settings));
    let toolSteps = 0;
    const maxToolSteps = Math.max(1, ctx.settings.maxToolIterations ?? DEFAULT_MAX_TOOL_ITERATIONS);
    try {
      if (resumeTools && (await this.tools.runStep(ctx, resumeTools)) === 'stopped') {
        // Nothing was sampled: the view drops the empty answer it opened for this turn.
        return;
      }
      await this.compaction.beforeTurn(ctx);
      for (let continuation = 0; continuation <= MAX_CONTINUATIONS; continuation++) {
        const result = await this.stream(ctx, assistantId);
        const next = await this.settle(ctx, assistantId, result, draft);
        if (next === 'done') {
          return;
        }
        if (typeof next === 'object') {
          if ((await this.tools.runStep(ctx, next)) === 'stopped') {
            return;
          }
          toolSteps++;
          // A tool step is progress: pauses are counted again from here, and a compaction later in
          // the loop puts back the request and the last call as the first one of the turn did.
          continuation = -1;
          this.compaction.restartCount();
          if (toolSteps >= maxToolSteps) {
            this.emit({
              type: 'notice',
              level: 'warning',
              message: `Stopped after ${toolSteps} tool steps in one turn (marathon.agent.maxToolIterations). Choose Continue to let Claude go on.`,
            });
            return;
          }
          await this.compaction.beforeTurn(ctx);
        }
        assistantId = newRecordId('a');
        this.emit({ type: 'turnStarted', assistantId });
      }
      this.emit({ type: 'notice', level: 'warning', message: 'The answer kept pausing; stopped after several continuations. Send a message to go on.' });
    } catch (error) {
      // A failure of Marathon itself (not the API): show it and keep what the user typed.
      this.logger.error(loggableError(error));
      await this.closeDanglingToolUses(ctx, 'Not run: Marathon failed before running this call.');
      await this.fail(classifyError(error, this.deps.unreachable?.()), draft);
    } finally {
      this.abort = undefined;
      this.tools.clear();
      this.emit({ type: 'generating', generating: false });
    }
  }

  /** One sampling request, streamed, with the compaction policy's recovery between attempts. */
  private stream(ctx: TurnContext, assistantId: string): Promise<StreamResult> {
    const recoverCompaction = this.compaction.recovery(ctx);
    const card = (block: StoredBlock) => this.tools.update(ctx, toolItem(block, assistantId, Date.now(), 'pending'));
    return this.transport.stream(ctx, {
      body: async () => {
        const source = await requestSource(ctx);
        const body = buildTurnRequest(source, this.compaction.state(ctx));
        this.clearing.apply(body, source.messages, this.usage.contextTokens, ctx.settings);
        this.compaction.fitToWindow(ctx, body);
        this.compaction.noteRequest(body);
        return body;
      },
      sink: {
        text: (text) => this.emit({ type: 'textDelta', assistantId, text }),
        toolStarted: card,
        toolWritten: card,
        thinking: (part, text, start) => this.emit({ type: 'thinkingDelta', assistantId, part, text, start }),
      },
      recover: this.thinking.recovery(ctx, async (error, raw) => {
        if (error.kind === 'invalidRequest' && isClearingRefused(error.message) && this.clearing.refuse()) {
          // A model or platform without context editing: the turn goes on without it (compaction stays).
          this.logger.warn(`[Chat] context editing is not available for this model or endpoint: ${error.message}`);
          return 'retry';
        }
        return recoverCompaction(error, raw);
      }),
    });
  }

  /** Answers calls left without results (so that the next request is valid), marking them not run. */
  private async closeDanglingToolUses(ctx: TurnContext, reason: string): Promise<void> {
    await this.tools.closeDangling(ctx, this.view.findLast(isAssistant), reason);
  }

  /** Handles one finished request; returns whether the turn goes on with another request. */
  private async settle(ctx: TurnContext, assistantId: string, result: StreamResult, draft: string | undefined): Promise<'done' | 'continue' | AssistantRecord> {
    const { settings } = ctx;
    if (!result.message) {
      const error = result.error ?? { kind: 'unknown' as const, message: 'No answer.', retryable: true };
      const text = textOf(result.partial);
      if (text.length > 0 || error.aborted) {
        await this.finishAssistant(ctx, assistantId, result.partial, null, error.aborted ? 'stopped' : 'interrupted', settings.model);
      }
      if (!error.aborted) {
        await this.fail(error, text.length > 0 ? undefined : draft);
      }
      return 'done';
    }
    const { message } = result;
    const figures = usageFigures(message.usage);
    this.compaction.noteAnswer(figures);
    this.thinking.noteAnswer(ctx, message);
    const cleared = this.clearing.noteAnswer(message.context_management);
    // The compaction block opens its iteration, which need not be the answer's first block (a server-tool
    // iteration or a proxy's text can come before it); the last one is the one the server goes on from.
    const compactionBlock = [...message.content].reverse().find((block) => block.type === 'compaction');
    if (message.stop_reason === 'compaction' && compactionBlock) {
      return this.compaction.settlePaused(ctx, compactionBlock, message, figures);
    }
    if (compactionBlock) {
      await this.compaction.recordThresholdMarker(ctx, compactionBlock, figures);
    }
    // Cut by the output limit or by the context window (`model_context_window_exceeded`): Continue goes on.
    const cut = message.stop_reason === 'max_tokens' || message.stop_reason === 'model_context_window_exceeded';
    const status = cut ? 'cut' : message.stop_reason === 'refusal' ? 'refused' : 'done';
    const record = await this.finishAssistant(ctx, assistantId, message.content, message.stop_reason, status, message.model, figures, result.thinkingMs, {
      ...(message.context_management ? { contextManagement: message.context_management } : {}),
      ...(cleared ? { clearedToolResults: cleared } : {}),
    });
    if (cleared) {
      this.emit({ type: 'toolsCleared', cleared });
    }
    if (hasToolUse(message.content)) {
      if (message.stop_reason === 'tool_use' || message.stop_reason === 'pause_turn') {
        return record;
      }
      // Calls cut off by the output limit cannot run; they are answered so the conversation stays valid.
      await this.closeDanglingToolUses(ctx, 'Not run: the call was cut off at the output limit. Call the tool again with complete input.');
      return 'done';
    }
    if (message.stop_reason === 'pause_turn') {
      return 'continue';
    }
    if (settings.mode === 'manual' && this.usage.contextTokens > settings.contextWindow * 0.8) {
      this.emit({ type: 'notice', level: 'warning', message: 'The conversation is close to the context window. Compact now to keep going.' });
    }
    return 'done';
  }

  private async finishAssistant(
    ctx: TurnContext,
    assistantId: string,
    content: StoredBlock[],
    stopReason: string | null,
    status: AssistantRecord['status'],
    model: string,
    usage?: UsageFigures,
    thinkingMs?: number,
    editing: Pick<AssistantRecord, 'contextManagement' | 'clearedToolResults'> = {},
  ): Promise<AssistantRecord> {
    const record: AssistantRecord = {
      v: 1,
      kind: 'assistant',
      id: assistantId,
      at: Date.now(),
      content,
      stopReason,
      status,
      model,
      usage,
      ...(thinkingMs !== undefined && hasThinking(content) ? { thinkingMs } : {}),
      ...editing,
    };
    await this.persist(record);
    this.history.push(record);
    if (usage) {
      this.usage.add(usage, priceFor(model, ctx.settings.prices), record.id);
      this.emit(usageEvent(ctx));
    }
    this.emit({ type: 'turnFinished', item: assistantItem(record) });
    this.tools.showCalls(ctx, record);
    return record;
  }

  private async fail(error: ClassifiedError, draft?: string): Promise<void> {
    const record: ConversationRecord = {
      v: 1,
      kind: 'error',
      id: newRecordId('e'),
      at: Date.now(),
      errorKind: error.kind,
      message: error.message,
      retryable: error.retryable || error.kind === 'connection' || error.kind === 'interrupted',
    };
    await this.persist(record);
    this.emit({ type: 'turnFailed', error: timelineItem(record)[0]!, draft });
  }
}
