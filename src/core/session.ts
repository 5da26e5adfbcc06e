// One conversation: persists every record before acting on it, runs turns on the SDK's beta stream,
// and keeps the request bounded with server-side compaction (threshold, and on demand once signed).
import type Anthropic from '@anthropic-ai/sdk';
import type { AttachmentSummary, ChatMode, CompactionMode, ContextMeter, TimelineItem } from '../shared/protocol';
import { MIN_TRIGGER_TOKENS, ON_DEMAND_BETA, THRESHOLD_BETA } from './betas';
import { classifyError, isCompactionUnsupported, type ClassifiedError } from './errors';
import { RequestHistory, hasToolUse, isLiveCompactionBlock, type ApiMessage } from './history';
import { silentLogger, type ConversationStore, type Logger, type ToolCall, type ToolHost, type ToolOutcome } from './ports';
import { isToolResultRecord, textOf, type ConversationRecord, type StoredBlock, type ToolRun, type UsageFigures } from './records';
import { assistantItem, timelineItem, timelineItems, toolItem, withToolResult, type ToolItem } from './timeline';
import { AGENT_COMPACTION_INSTRUCTIONS, TOOL_DEFINITIONS, isToolName, validateToolInput, type ToolDefinition } from './tools';
import { UsageLedger, estimateTokens, priceFor, usageFigures, type ApiUsage, type ModelPrice } from './usage';


export type MessagesClient = Pick<Anthropic, 'beta'>;

export interface SessionSettings {
  model: string;
  maxTokens: number;
  triggerTokens: number;
  instructions: string;
  mode: CompactionMode;
  keepRecentTurns: number;
  contextWindow: number;
  prices?: Readonly<Record<string, ModelPrice>>;
  /** `agent` offers the tools of `SessionDeps.tools`; absent or `ask` is plain chat. */
  chatMode?: ChatMode;
  /** Tool steps (answers whose calls are run) per turn before Marathon stops and asks to continue. */
  maxToolIterations?: number;
  /** False when the Models API says the model cannot compact; the turn then goes without the betas. */
  compactionSupported?: boolean;
}

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export type SessionEvent =
  | { type: 'turnStarted'; user?: TimelineItem; assistantId: string; replacesId?: string }
  | { type: 'textDelta'; assistantId: string; text: string }
  | { type: 'item'; item: TimelineItem }
  | { type: 'turnFinished'; item: TimelineItem }
  | { type: 'turnFailed'; error: TimelineItem; draft?: string }
  | { type: 'usage'; meter: ContextMeter }
  | { type: 'generating'; generating: boolean }
  | { type: 'notice'; level: 'info' | 'warning'; message: string }
  | { type: 'retrying'; attempt: number; delayMs: number; reason: string }
  | { type: 'tool'; item: ToolItem };

export interface SessionDeps {
  store: ConversationStore;
  conversationId: string;
  client: () => Promise<MessagesClient>;
  settings: () => SessionSettings;
  systemPrompt: () => Promise<string>;
  logger?: Logger;
  retry?: Partial<RetryPolicy>;
  /** A stream silent for this long is treated as dropped. */
  idleTimeoutMs?: number;
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

type AssistantRecord = Extract<ConversationRecord, { kind: 'assistant' }>;
type CompactionRecord = Extract<ConversationRecord, { kind: 'compaction' }>;

interface StreamResult {
  message?: { content: StoredBlock[]; stop_reason: string | null; usage: ApiUsage; model: string };
  partial: StoredBlock[];
  error?: ClassifiedError;
  rawError?: unknown;
}

const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 30_000 };
/** Turns continue by themselves after `pause_turn` and paused compactions; this bounds a runaway loop. */
const MAX_CONTINUATIONS = 8;
const DEFAULT_MAX_TOOL_ITERATIONS = 25;

let idCounter = 0;
export function newRecordId(prefix: string): string {
  idCounter = (idCounter + 1) % 1_000_000;
  return `${prefix}-${Date.now().toString(36)}-${idCounter.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class ConversationSession {
  private readonly logger: Logger;
  private readonly retry: RetryPolicy;
  private readonly listeners = new Set<(event: SessionEvent) => void>();
  private readonly ledger = new UsageLedger();
  private abort: AbortController | undefined;
  private compactionSupported = true;
  /** Consecutive `compaction_unavailable` answers; from two on, Marathon trims instead of waiting. */
  private unavailableStreak = 0;
  /** Server tokens per estimated token, learned from each answer, so that estimates match the server's count. */
  private tokenRatio = 1;
  private lastRequestChars = 0;
  /** The newest records, oldest first, for the view; bounded. */
  private tail: ConversationRecord[] = [];
  private hasOlderRecords = false;
  private compactionsThisTurn = 0;
  /** Cards of the tool calls of the running turn, as they change; records hold them once settled. */
  private readonly liveTools = new Map<string, ToolItem>();
  private historyReady: Promise<void> | undefined;
  private totalsReady: Promise<void> = Promise.resolve();
  /** Answers whose usage was added live, so the background total does not count them twice. */
  private readonly liveUsageIds = new Set<string>();
  private totalsLoaded = false;

  private constructor(
    private readonly deps: SessionDeps,
    private history: RequestHistory,
  ) {
    // Filled in by ensureHistory() before the first request.
    this.logger = deps.logger ?? silentLogger;
    this.retry = { ...DEFAULT_RETRY, ...deps.retry };
  }

  /**
   * Opens a conversation from its tail, enough to show the last screen. The request state (back to the
   * last compaction) and the usage totals (the whole file) are read later, off the path to first paint.
   */
  static async open(deps: SessionDeps): Promise<ConversationSession> {
    const tailSize = deps.tailSize ?? 100;
    const records = await deps.store.readTail(deps.conversationId, tailSize);
    const session = new ConversationSession(deps, new RequestHistory());
    session.tail = records;
    session.hasOlderRecords = records.length === tailSize;
    const lastUsage = [...records].reverse().find((record) => record.kind === 'assistant' && record.usage?.contextTokens);
    if (lastUsage?.kind === 'assistant' && lastUsage.usage) {
      session.ledger.contextTokens = lastUsage.usage.contextTokens;
    }
    session.totalsReady = session.loadTotals();
    return session;
  }

  /** Usage totals of the whole conversation, read in the background; answers of this session are added live. */
  private async loadTotals(): Promise<void> {
    try {
      const prices = this.deps.settings().prices;
      const totals = new UsageLedger();
      for (const record of await this.deps.store.readAll(this.deps.conversationId)) {
        if (record.kind === 'assistant' && record.usage && !this.liveUsageIds.has(record.id)) {
          totals.add(record.usage, priceFor(record.model, prices));
        }
      }
      this.ledger.merge(totals);
      this.emit({ type: 'usage', meter: this.meter() });
    } catch (error) {
      this.logger.warn(`[Store] could not total the usage of ${this.deps.conversationId}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      // Needed only while the file was being read; a session of hours must not keep every id.
      this.totalsLoaded = true;
      this.liveUsageIds.clear();
    }
  }

  private noteLiveUsage(recordId: string): void {
    if (!this.totalsLoaded) {
      this.liveUsageIds.add(recordId);
    }
  }

  /** Rebuilds the request state on first need: reads back only as far as the last compaction anchor. */
  private ensureHistory(): Promise<void> {
    this.historyReady ??= (async () => {
      const tailSize = this.deps.tailSize ?? 100;
      let count = tailSize;
      let records = this.tail.length < tailSize || ConversationSession.tailReachesAnchor(this.tail) ? this.tail : await this.deps.store.readTail(this.deps.conversationId, count);
      while (records.length === count && !ConversationSession.tailReachesAnchor(records)) {
        count *= 4;
        records = await this.deps.store.readTail(this.deps.conversationId, count);
      }
      this.history = RequestHistory.rebuild(records);
    })();
    return this.historyReady;
  }

  private static tailReachesAnchor(records: readonly ConversationRecord[]): boolean {
    if (!RequestHistory.containsAnchor(records)) {
      return false;
    }
    const ids = new Set(records.map((record) => ('id' in record ? record.id : '')));
    return records.every((record) => record.kind !== 'compaction' || (record.putBack ?? []).every((id) => ids.has(id)));
  }

  get id(): string {
    return this.deps.conversationId;
  }

  /** Resolves when the background work of opening (usage totals) is done. */
  whenLoaded(): Promise<void> {
    return this.totalsReady;
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
    const items = timelineItems(this.tail).map((item) => (item.kind === 'tool' ? (this.liveTools.get(item.id) ?? item) : item));
    return { items, hasOlder: this.hasOlderRecords };
  }

  /** Up to `page` timeline items older than the record `beforeId`, read from the end of the file. */
  async olderItems(beforeId: string, page = 60): Promise<{ items: TimelineItem[]; hasOlder: boolean }> {
    for (let count = Math.max(this.tail.length, 100) + page; ; count *= 2) {
      const records = await this.deps.store.readTail(this.deps.conversationId, count);
      const exhausted = records.length < count;
      const index = records.findIndex((record) => 'id' in record && record.id === beforeId);
      if (index < 0 && exhausted) {
        return { items: [], hasOlder: false };
      }
      if (index >= 0 && (index >= page || exhausted)) {
        const start = Math.max(0, index - page);
        // Later records are read too, so that tool cards on the page show how their calls ended.
        const onPage = new Set(records.slice(start, index).map((record) => ('id' in record ? record.id : '')));
        const items = timelineItems(records.slice(start)).filter((item) => onPage.has(item.kind === 'tool' ? item.messageId : item.id));
        return { items, hasOlder: start > 0 || !exhausted };
      }
    }
  }

  meter(): ContextMeter {
    const settings = this.deps.settings();
    return this.ledger.meter(settings.triggerTokens, settings.contextWindow);
  }

  /** The request the next turn would send, for tests and the benchmark. */
  async previewRequest(): Promise<Record<string, unknown>> {
    await this.ensureHistory();
    return this.buildRequest(this.history.toMessages());
  }

  cancel(): void {
    this.abort?.abort();
  }

  async send(text: string, attachments?: Attachments): Promise<void> {
    await this.startTurn(text, attachments);
  }

  /** Replaces the last user message with `text` and answers it again; the old one and its answers are dropped. */
  async editLast(text: string): Promise<void> {
    const last = [...this.tail].reverse().find((record) => record.kind === 'user' && !isToolResultRecord(record));
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
    if (!replaces) {
      // Calls left unanswered (a reload while they waited) get results first, or the request is invalid.
      await this.closeDanglingToolUses('Not run: the user sent a new message instead.');
    }
    // The user's words reach the disk before anything can fail.
    await this.persist(user);
    this.history.push(user);
    const assistantId = newRecordId('a');
    this.emit({ type: 'turnStarted', user: timelineItem(user)[0], assistantId, replacesId: replaces });
    await this.runTurn(assistantId, text);
  }

  /** Answers the last user message again (after an error or an interrupted answer). */
  async retryLast(): Promise<void> {
    if (this.generating) {
      return;
    }
    const lastMessage = [...this.tail].reverse().find((record) => record.kind === 'user' || record.kind === 'assistant');
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
    const assistantId = newRecordId('a');
    this.emit({ type: 'turnStarted', assistantId });
    await this.runTurn(assistantId);
  }

  /** Continues a cut answer, or resumes a turn paused after compaction. */
  async continueTurn(): Promise<void> {
    if (this.generating) {
      return;
    }
    const last = [...this.tail].reverse().find((record) => record.kind !== 'title' && record.kind !== 'settings');
    if ((last?.kind === 'assistant' && hasToolUse(last.content)) || (last !== undefined && isToolResultRecord(last))) {
      // A tool loop that stopped (reload, Stop, the step limit): run what is unanswered, then go on.
      await this.ensureHistory();
      const assistantId = newRecordId('a');
      this.emit({ type: 'turnStarted', assistantId });
      await this.runTurn(assistantId, undefined, last.kind === 'assistant' ? last : undefined);
      return;
    }
    if (last?.kind === 'compaction' && last.compactionKind === 'threshold') {
      await this.ensureHistory();
      const assistantId = newRecordId('a');
      this.emit({ type: 'turnStarted', assistantId });
      await this.runTurn(assistantId);
      return;
    }
    await this.send('Please continue exactly where your last answer stopped.');
  }

  /** Compacts on demand (command, button, or before a turn that would pass the trigger). */
  async compactNow(): Promise<boolean> {
    if (this.generating) {
      this.emit({ type: 'notice', level: 'info', message: 'Wait for the answer to finish, then compact.' });
      return false;
    }
    this.abort = new AbortController();
    this.emit({ type: 'generating', generating: true });
    try {
      await this.ensureHistory();
      return await this.compactOnDemand(this.abort.signal, []);
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
    this.tail.push(record);
    const tailSize = this.deps.tailSize ?? 100;
    if (this.tail.length > tailSize * 2) {
      this.tail = this.tail.slice(-tailSize);
      this.hasOlderRecords = true;
    }
  }

  /**
   * One turn: sampling iterations until an answer ends it. Pauses (`pause_turn`, paused compactions)
   * continue by themselves; in Agent mode an answer with tool calls runs them and samples again, so a
   * turn can span many requests, and the compaction trigger is checked before each of them.
   * `resumeTools`: an answer whose calls never ran (a reload, Stop) is run first.
   */
  private async runTurn(assistantId: string, draft?: string, resumeTools?: AssistantRecord): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    this.compactionsThisTurn = 0;
    this.emit({ type: 'generating', generating: true });
    let toolSteps = 0;
    const maxToolSteps = Math.max(1, this.deps.settings().maxToolIterations ?? DEFAULT_MAX_TOOL_ITERATIONS);
    try {
      if (resumeTools && (await this.runToolStep(resumeTools, abort.signal)) === 'stopped') {
        // Nothing was sampled: the view drops the empty answer it opened for this turn.
        return;
      }
      await this.compactBeforeTurnIfNeeded(abort.signal);
      for (let continuation = 0; continuation <= MAX_CONTINUATIONS; continuation++) {
        const result = await this.streamWithRetries(assistantId, abort.signal);
        const next = await this.settle(assistantId, result, draft, abort.signal);
        if (next === 'done') {
          return;
        }
        if (typeof next === 'object') {
          if ((await this.runToolStep(next, abort.signal)) === 'stopped') {
            return;
          }
          toolSteps++;
          // A tool step is progress: pauses are counted again from here, and a compaction later in
          // the loop puts back the request and the last call as the first one of the turn did.
          continuation = -1;
          this.compactionsThisTurn = 0;
          if (toolSteps >= maxToolSteps) {
            this.emit({
              type: 'notice',
              level: 'warning',
              message: `Stopped after ${toolSteps} tool steps in one turn (marathon.agent.maxToolIterations). Choose Continue to let Claude go on.`,
            });
            return;
          }
          await this.compactBeforeTurnIfNeeded(abort.signal);
        }
        assistantId = newRecordId('a');
        this.emit({ type: 'turnStarted', assistantId });
      }
      this.emit({ type: 'notice', level: 'warning', message: 'The answer kept pausing; stopped after several continuations. Send a message to go on.' });
    } catch (error) {
      // A failure of Marathon itself (not the API): show it and keep what the user typed.
      this.logger.error(error instanceof Error ? error : String(error));
      await this.closeDanglingToolUses('Not run: Marathon failed before running this call.');
      await this.fail(classifyError(error), draft);
    } finally {
      this.abort = undefined;
      this.liveTools.clear();
      this.emit({ type: 'generating', generating: false });
    }
  }

  // ------------------------------------------------------------------ tools (Agent mode)

  private agentActive(): boolean {
    return this.deps.settings().chatMode === 'agent' && this.deps.tools !== undefined;
  }

  /**
   * Tools the request carries: Agent mode's available tools; in Ask mode, when the conversation already
   * holds tool calls, the same definitions with `tool_choice: none` (the API needs them to read the calls).
   */
  private requestTools(): { tools: ToolDefinition[]; choiceNone: boolean } | undefined {
    if (this.agentActive()) {
      const names = this.deps.tools?.availableTools() ?? [];
      const tools = names.filter(isToolName).map((name) => TOOL_DEFINITIONS[name]);
      return tools.length > 0 ? { tools, choiceNone: false } : undefined;
    }
    const hasTools = this.history.toMessages().some((message) => message.content.some((block) => block.type === 'tool_use' || block.type === 'tool_result'));
    return hasTools ? { tools: Object.values(TOOL_DEFINITIONS), choiceNone: true } : undefined;
  }

  /** Compaction instructions: the user's, else in Agent mode ones that forbid tool calls while summarizing. */
  private compactionInstructions(): string {
    const settings = this.deps.settings();
    if (settings.instructions.trim()) {
      return settings.instructions;
    }
    return this.requestTools() !== undefined ? AGENT_COMPACTION_INSTRUCTIONS : '';
  }

  private updateTool(item: ToolItem): void {
    this.liveTools.set(item.id, item);
    this.emit({ type: 'tool', item });
  }

  /**
   * Runs the calls of one answer through the tool host and records their results as one user message
   * (tool_result blocks, in call order), so every call is answered before the next request.
   */
  private async runToolStep(record: AssistantRecord, signal: AbortSignal): Promise<'continue' | 'stopped'> {
    const blocks = record.content.filter((block) => block.type === 'tool_use');
    const calls: ToolCall[] = blocks.map((block) => ({ id: String(block.id), name: String(block.name), input: block.input }));
    const cards = new Map(blocks.map((block) => [String(block.id), toolItem(block, record.id, record.at, 'pending')]));
    const outcomes = new Map<string, ToolOutcome>();
    const host = this.deps.tools;
    const runnable: ToolCall[] = [];
    for (const call of calls) {
      const validated = validateToolInput(call.name, call.input);
      if (!this.agentActive() || host === undefined) {
        outcomes.set(call.id, { status: 'refused', content: 'Tools are off: the conversation is in Ask mode. Answer without tools.' });
      } else if (!validated.ok) {
        outcomes.set(call.id, { status: 'failed', content: validated.message });
      } else if (!host.availableTools().includes(call.name)) {
        outcomes.set(call.id, { status: 'refused', content: `${call.name} is not available here (edits and commands are off in Restricted Mode).` });
      } else if (signal.aborted) {
        outcomes.set(call.id, { status: 'stopped', content: 'Not run: the user stopped the turn.' });
      } else {
        runnable.push(call);
      }
    }
    if (runnable.length > 0 && host !== undefined) {
      let results: ToolOutcome[];
      try {
        results = await host.run(runnable, {
          conversationId: this.deps.conversationId,
          messageId: record.id,
          signal,
          report: (toolUseId, status, details) => {
            const card = this.liveTools.get(toolUseId) ?? cards.get(toolUseId);
            if (card) {
              this.updateTool({ ...card, status, cwd: details?.cwd ?? card.cwd });
            }
          },
        });
      } catch (error) {
        this.logger.error(error instanceof Error ? error : String(error));
        results = runnable.map(() => ({ status: 'failed' as const, content: `The tool failed inside Marathon: ${error instanceof Error ? error.message : String(error)}` }));
      }
      runnable.forEach((call, index) => outcomes.set(call.id, results[index] ?? { status: 'failed', content: 'The tool returned no result.' }));
    }
    const content: StoredBlock[] = calls.map((call) => {
      const outcome = outcomes.get(call.id)!;
      const block: StoredBlock = { type: 'tool_result', tool_use_id: call.id, content: outcome.content || '(no output)' };
      if (outcome.status !== 'done') {
        block.is_error = true;
      }
      return block;
    });
    const toolRuns: ToolRun[] = calls.map((call) => {
      const outcome = outcomes.get(call.id)!;
      return { toolUseId: call.id, status: outcome.status, durationMs: outcome.durationMs };
    });
    await this.recordToolResults(content, toolRuns, record, cards);
    return signal.aborted || toolRuns.some((run) => run.status === 'stopped') ? 'stopped' : 'continue';
  }

  private async recordToolResults(content: StoredBlock[], toolRuns: ToolRun[], call: AssistantRecord, cards?: Map<string, ToolItem>): Promise<void> {
    const record: ConversationRecord = { v: 1, kind: 'user', id: newRecordId('t'), at: Date.now(), content, toolRuns };
    await this.persist(record);
    this.history.push(record);
    for (const block of content) {
      const id = String(block.tool_use_id);
      const card = this.liveTools.get(id) ?? cards?.get(id) ?? toolItem(call.content.find((candidate) => candidate.id === id) ?? { type: 'tool_use', id }, call.id, call.at, 'pending');
      const run = toolRuns.find((candidate) => candidate.toolUseId === id);
      this.updateTool(withToolResult(card, block, run?.status ?? 'done', run?.durationMs));
    }
  }

  /** Answers calls left without results (so that the next request is valid), marking them not run. */
  private async closeDanglingToolUses(reason: string): Promise<void> {
    await this.ensureHistory();
    if (!this.history.endsWithToolUse) {
      return;
    }
    const last = [...this.tail].reverse().find((record): record is AssistantRecord => record.kind === 'assistant');
    if (!last || !hasToolUse(last.content)) {
      return;
    }
    const calls = last.content.filter((block) => block.type === 'tool_use');
    await this.recordToolResults(
      calls.map((block) => ({ type: 'tool_result', tool_use_id: block.id, content: reason, is_error: true })),
      calls.map((block) => ({ toolUseId: String(block.id), status: 'interrupted' })),
      last,
    );
  }

  /** Handles one finished request; returns whether the turn goes on with another request. */
  private async settle(assistantId: string, result: StreamResult, draft: string | undefined, signal: AbortSignal): Promise<'done' | 'continue' | AssistantRecord> {
    const settings = this.deps.settings();
    if (!result.message) {
      const error = result.error ?? { kind: 'unknown' as const, message: 'No answer.', retryable: true };
      const text = textOf(result.partial);
      if (text.length > 0 || error.aborted) {
        await this.finishAssistant(assistantId, result.partial, null, error.aborted ? 'stopped' : 'interrupted', settings.model);
      }
      if (!error.aborted) {
        await this.fail(error, text.length > 0 ? undefined : draft);
      }
      return 'done';
    }
    const { message } = result;
    const figures = usageFigures(message.usage);
    this.unavailableStreak = 0;
    if (figures.contextTokens > 0 && this.lastRequestChars > 0 && !figures.compactionInputTokens) {
      this.tokenRatio = figures.contextTokens / Math.max(1, this.lastRequestChars / 4);
    }
    const first = message.content[0];
    if (message.stop_reason === 'compaction' && first?.type === 'compaction') {
      return this.settlePausedCompaction(first, message, figures, signal);
    }
    if (first?.type === 'compaction') {
      await this.recordThresholdMarker(first, figures, []);
    }
    const status = message.stop_reason === 'max_tokens' ? 'cut' : message.stop_reason === 'refusal' ? 'refused' : 'done';
    const record = await this.finishAssistant(assistantId, message.content, message.stop_reason, status, message.model, figures);
    if (hasToolUse(message.content)) {
      if (message.stop_reason === 'tool_use' || message.stop_reason === 'pause_turn') {
        return record;
      }
      // Calls cut off by the output limit cannot run; they are answered so the conversation stays valid.
      await this.closeDanglingToolUses('Not run: the call was cut off at the output limit. Call the tool again with complete input.');
      return 'done';
    }
    if (message.stop_reason === 'pause_turn') {
      return 'continue';
    }
    if (settings.mode === 'manual' && this.ledger.contextTokens > settings.contextWindow * 0.8) {
      this.emit({ type: 'notice', level: 'warning', message: 'The conversation is close to the context window. Compact now to keep going.' });
    }
    return 'done';
  }

  private async settlePausedCompaction(
    block: StoredBlock,
    message: NonNullable<StreamResult['message']>,
    figures: UsageFigures,
    _signal: AbortSignal,
  ): Promise<'done' | 'continue'> {
    const settings = this.deps.settings();
    const record: AssistantRecord = {
      v: 1,
      kind: 'assistant',
      id: newRecordId('a'),
      at: Date.now(),
      content: message.content,
      stopReason: 'compaction',
      status: 'done',
      model: message.model,
      usage: figures,
    };
    await this.persist(record);
    this.noteLiveUsage(record.id);
    this.ledger.add(figures, priceFor(message.model, settings.prices));
    if (!isLiveCompactionBlock(block)) {
      await this.recordThresholdMarker(block, figures, []);
      return 'continue';
    }
    const covered = this.history.messageCount;
    // If what was put back is itself over the trigger, the server compacts again at once: put back
    // less each time (the previous exchanges, then the request alone, then nothing) so the turn ends.
    this.compactionsThisTurn++;
    const keep = this.compactionsThisTurn === 1 ? settings.keepRecentTurns : this.compactionsThisTurn === 2 ? 0 : -1;
    const markerId = newRecordId('c');
    const pinned = this.compactionsThisTurn === 1 ? await this.pinnedBlocks() : [];
    const putBack = this.history.applyPausedCompaction(block, keep, { recordId: markerId, blocks: pinned });
    const marker = await this.recordThresholdMarker(block, figures, putBack, covered, settings.mode === 'pause', markerId, pinned);
    this.emit({ type: 'usage', meter: this.meter() });
    return marker.paused ? 'done' : 'continue';
  }

  private async recordThresholdMarker(
    block: StoredBlock,
    figures: UsageFigures,
    putBack: string[],
    coveredMessages = this.history.messageCount,
    paused = false,
    id = newRecordId('c'),
    pinned: StoredBlock[] = [],
  ): Promise<CompactionRecord & { paused: boolean }> {
    const settings = this.deps.settings();
    const summary = typeof block.content === 'string' ? block.content : null;
    const marker: CompactionRecord = {
      v: 1,
      kind: 'compaction',
      id,
      at: Date.now(),
      compactionKind: 'threshold',
      failed: summary === null || summary.length === 0,
      summary,
      coveredMessages,
      putBack,
      pinned: pinned.length > 0 ? pinned : undefined,
      tokensBefore: figures.compactionInputTokens || undefined,
      tokensAfter: summary ? this.estimate(summary) : undefined,
      costUsd: costOfCompaction(figures, priceFor(settings.model, settings.prices)),
      paused: paused || undefined,
    };
    await this.persist(marker);
    this.emit({ type: 'item', item: timelineItem(marker)[0]! });
    if (marker.failed) {
      this.logger.warn('[Compaction] the server returned a failed compaction (content null); the conversation continues uncompacted');
    }
    return { ...marker, paused };
  }

  private async finishAssistant(
    assistantId: string,
    content: StoredBlock[],
    stopReason: string | null,
    status: AssistantRecord['status'],
    model: string,
    usage?: UsageFigures,
  ): Promise<AssistantRecord> {
    const record: AssistantRecord = { v: 1, kind: 'assistant', id: assistantId, at: Date.now(), content, stopReason, status, model, usage };
    await this.persist(record);
    this.history.push(record);
    if (usage) {
      this.noteLiveUsage(record.id);
      this.ledger.add(usage, priceFor(model, this.deps.settings().prices));
      this.emit({ type: 'usage', meter: this.meter() });
    }
    this.emit({ type: 'turnFinished', item: assistantItem(record) });
    for (const block of content) {
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        this.updateTool(toolItem(block, record.id, record.at, 'pending'));
      }
    }
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

  /**
   * Before a turn that would pass the trigger: with a signed block the API refuses threshold
   * compaction, so Marathon compacts on demand; where compaction is unavailable it trims the
   * oldest turns, so that a session never dead-ends at the window.
   */
  private async compactBeforeTurnIfNeeded(signal: AbortSignal): Promise<void> {
    const settings = this.deps.settings();
    const pending = this.history.pendingUserIds();
    const added = this.estimate(JSON.stringify(this.history.toMessages().slice(-1)));
    if (this.ledger.contextTokens + added < settings.triggerTokens) {
      return;
    }
    if (!this.compactionAvailable()) {
      await this.trimToFit(settings.triggerTokens * 0.8, 'Compaction is unavailable');
      return;
    }
    if (settings.mode !== 'manual' && this.history.signed) {
      await this.compactOnDemand(signal, pending);
    }
  }

  private compactionAvailable(): boolean {
    return this.compactionSupported && this.deps.settings().compactionSupported !== false && this.unavailableStreak < 2;
  }

  /** Server-equivalent token estimate of serialized request text. */
  private estimate(serialized: string): number {
    return Math.ceil(estimateTokens(serialized) * this.tokenRatio);
  }

  /** Deterministic fallback: drops the oldest turns until the request fits under `limit` tokens. */
  private async trimToFit(limit: number, reason: string): Promise<boolean> {
    const system = JSON.stringify(await this.systemBlocks());
    const tokensBefore = this.estimate(system + JSON.stringify(this.history.toMessages()));
    const dropped = this.history.trimOldest((messages) => this.estimate(system + JSON.stringify(messages)) < limit);
    if (dropped.length === 0) {
      return false;
    }
    const tokensAfter = this.estimate(system + JSON.stringify(this.history.toMessages()));
    const marker: CompactionRecord = {
      v: 1,
      kind: 'compaction',
      id: newRecordId('c'),
      at: Date.now(),
      compactionKind: 'trim',
      failed: false,
      summary: null,
      coveredMessages: dropped.length,
      droppedIds: dropped,
      tokensBefore,
      tokensAfter,
      costUsd: 0,
    };
    await this.persist(marker);
    this.ledger.contextTokens = tokensAfter;
    this.logger.warn(`[Compaction] ${reason}; dropped the ${dropped.length} oldest messages to fit (${tokensBefore} → ${tokensAfter} tokens)`);
    this.emit({ type: 'item', item: timelineItem(marker)[0]! });
    this.emit({ type: 'notice', level: 'warning', message: `${reason}: the ${dropped.length} oldest messages are no longer sent. They stay in the transcript.` });
    this.emit({ type: 'usage', meter: this.meter() });
    return true;
  }

  /** Sends an on-demand compaction; the pending user messages stay after the signed block. */
  private async compactOnDemand(signal: AbortSignal, keptIds: readonly string[]): Promise<boolean> {
    const settings = this.deps.settings();
    const messages = this.history.messagesExcept(keptIds);
    if (messages.length === 0) {
      this.emit({ type: 'notice', level: 'info', message: 'There is nothing to compact yet.' });
      return false;
    }
    const covered = messages.length;
    const tokensBefore = this.ledger.contextTokens || undefined;
    const body: Record<string, unknown> = {
      model: settings.model,
      max_tokens: Math.max(settings.maxTokens, 4096),
      system: await this.systemBlocks(),
      messages,
      compaction: this.compactionInstructions().trim() ? { type: 'summarize', instructions: this.compactionInstructions() } : { type: 'summarize' },
      betas: [ON_DEMAND_BETA],
    };
    // The summarizer reads the same tools the conversation used (never runs them).
    const tools = this.requestTools();
    if (tools) {
      body.tools = tools.tools;
    }
    this.logger.info(`[Compaction] compacting on demand (${covered} messages)`);
    let response: { content: StoredBlock[]; stop_reason: string | null; usage: ApiUsage; model: string };
    try {
      const client = await this.deps.client();
      response = (await client.beta.messages.create(body as never, { signal, maxRetries: this.retry.maxRetries })) as unknown as typeof response;
    } catch (raw) {
      const error = classifyError(raw);
      if (!error.aborted) {
        this.logger.warn(`[Compaction] on-demand compaction failed: ${error.message}`);
        this.emit({ type: 'notice', level: 'warning', message: `Compaction failed: ${error.message}` });
      }
      return false;
    }
    const figures = usageFigures(response.usage);
    this.ledger.add(figures, priceFor(response.model, settings.prices));
    const block = response.content[0];
    const live = response.stop_reason === 'compaction' && block !== undefined && isLiveCompactionBlock(block);
    const summary = live && typeof block.content === 'string' ? block.content : null;
    const pinned = live ? await this.pinnedBlocks() : [];
    const marker: CompactionRecord = {
      v: 1,
      kind: 'compaction',
      id: newRecordId('c'),
      at: Date.now(),
      compactionKind: 'onDemand',
      block: live ? block : undefined,
      failed: !live,
      summary,
      coveredMessages: covered,
      putBack: live ? [...keptIds] : undefined,
      pinned: pinned.length > 0 ? pinned : undefined,
      tokensBefore,
      tokensAfter: summary ? this.estimate(summary) : undefined,
      costUsd: costOfCompaction(figures, priceFor(response.model, settings.prices)),
    };
    await this.persist(marker);
    if (live) {
      this.history.applyOnDemandCompaction(block, keptIds, { recordId: marker.id, blocks: pinned });
      // The context is now the summary plus what was kept; the next answer will measure it exactly.
      this.ledger.contextTokens = estimateTokens(summary ?? '') + estimateTokens(JSON.stringify(this.history.toMessages().slice(1)));
    } else {
      this.logger.warn(`[Compaction] on-demand compaction produced no summary (stop reason ${response.stop_reason}); keeping the conversation as it is`);
    }
    this.emit({ type: 'item', item: timelineItem(marker)[0]! });
    this.emit({ type: 'usage', meter: this.meter() });
    return live;
  }

  private async pinnedBlocks(): Promise<StoredBlock[]> {
    try {
      return (await this.deps.pinnedBlocks?.()) ?? [];
    } catch (error) {
      // A pinned file that cannot be read must not break the turn; the log says which.
      this.logger.warn(`[Compaction] could not re-read pinned files: ${error instanceof Error ? error.message : String(error)}`);
      return [];
    }
  }

  private async systemBlocks(): Promise<StoredBlock[]> {
    // The breakpoint at the end of the system prompt keeps it cached across compactions.
    return [{ type: 'text', text: await this.deps.systemPrompt(), cache_control: { type: 'ephemeral' } }];
  }

  private async buildRequest(messages: ApiMessage[]): Promise<Record<string, unknown>> {
    const settings = this.deps.settings();
    const body: Record<string, unknown> = {
      model: settings.model,
      max_tokens: settings.maxTokens,
      system: await this.systemBlocks(),
      messages: withCacheBreakpoints(messages),
    };
    const tools = this.requestTools();
    if (tools) {
      body.tools = tools.tools;
      if (tools.choiceNone) {
        body.tool_choice = { type: 'none' };
      }
    }
    if (!this.compactionSupported || settings.compactionSupported === false) {
      return body;
    }
    const trigger = Math.max(settings.triggerTokens, MIN_TRIGGER_TOKENS);
    if (this.history.signed) {
      body.betas = [ON_DEMAND_BETA];
      return body;
    }
    body.betas = [THRESHOLD_BETA];
    if (settings.mode === 'manual') {
      if (this.history.hasThresholdBlock) {
        // Threshold blocks must keep their strategy declared; a trigger past the window never fires.
        body.context_management = { edits: [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: Math.max(settings.contextWindow + 1, MIN_TRIGGER_TOKENS) } }] };
      }
      return body;
    }
    const edit: Record<string, unknown> = {
      type: 'compact_20260112',
      trigger: { type: 'input_tokens', value: trigger },
      // Marathon pauses after every compaction to put the current request back verbatim.
      pause_after_compaction: true,
    };
    const instructions = this.compactionInstructions();
    if (instructions.trim()) {
      edit.instructions = instructions;
    }
    body.context_management = { edits: [edit] };
    return body;
  }

  private async streamWithRetries(assistantId: string, signal: AbortSignal): Promise<StreamResult> {
    let triedCompaction = false;
    for (let attempt = 0; ; attempt++) {
      const result = await this.streamOnce(assistantId, signal);
      if (result.message || !result.error) {
        return result;
      }
      const error = result.error;
      if (error.aborted || textOf(result.partial).length > 0) {
        return result;
      }
      if (error.kind === 'contextWindow' && !triedCompaction) {
        triedCompaction = true;
        this.emit({ type: 'notice', level: 'info', message: 'The conversation outgrew the context window; compacting it, then retrying.' });
        const settings = this.deps.settings();
        if ((this.compactionAvailable() && (await this.compactOnDemand(signal, this.history.pendingUserIds()))) || (await this.trimToFit(settings.contextWindow * 0.8, 'The conversation outgrew the context window'))) {
          continue;
        }
        return result;
      }
      if (error.errorCode === 'compaction_unavailable') {
        this.unavailableStreak++;
        // The server only compacts at the trigger, so the request is over it whatever the estimate says.
        const current = this.estimate(JSON.stringify(await this.systemBlocks()) + JSON.stringify(this.history.toMessages()));
        const limit = Math.min(this.deps.settings().triggerTokens, current) * 0.8;
        if (this.unavailableStreak >= 2 && (await this.trimToFit(limit, 'Compaction is unavailable right now'))) {
          continue;
        }
      }
      if (this.compactionSupported && isCompactionUnsupported(result.rawError, error)) {
        this.compactionSupported = false;
        this.logger.warn(`[Chat] compaction is not available for this model or endpoint: ${error.message}`);
        this.emit({ type: 'notice', level: 'warning', message: 'This model or endpoint does not support compaction; the conversation goes on without it.' });
        continue;
      }
      if (!error.retryable || attempt >= this.retry.maxRetries) {
        return result;
      }
      const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
      const delayMs = error.retryAfterSeconds !== undefined ? Math.min(this.retry.maxDelayMs, error.retryAfterSeconds * 1000) : backoff;
      this.logger.info(`[Chat] ${error.message} Retrying in ${Math.round(delayMs)} ms (attempt ${attempt + 1} of ${this.retry.maxRetries})`);
      this.emit({ type: 'retrying', attempt: attempt + 1, delayMs, reason: error.message });
      await sleep(delayMs, signal);
      if (signal.aborted) {
        return { partial: [], error: { kind: 'unknown', message: 'Stopped.', retryable: false, aborted: true } };
      }
    }
  }

  private async streamOnce(assistantId: string, signal: AbortSignal): Promise<StreamResult> {
    const body = await this.buildRequest(this.history.toMessages());
    this.lastRequestChars = JSON.stringify(body.system).length + JSON.stringify(body.messages).length;
    const client = await this.deps.client();
    const idle = new AbortController();
    const onAbort = () => idle.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let stalled = false;
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        stalled = true;
        idle.abort();
      }, this.deps.idleTimeoutMs ?? 90_000);
    };
    const stream = client.beta.messages.stream(body as never, { signal: idle.signal, maxRetries: 0 });
    try {
      armIdle();
      for await (const event of stream) {
        armIdle();
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          this.emit({ type: 'textDelta', assistantId, text: event.delta.text });
        } else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
          // A card per call as soon as the model starts writing it; its input follows when complete.
          this.updateTool(toolItem({ type: 'tool_use', id: event.content_block.id, name: event.content_block.name, input: undefined }, assistantId, Date.now(), 'pending'));
        } else if (event.type === 'content_block_stop') {
          const block = stream.currentMessage?.content[event.index] as unknown as StoredBlock | undefined;
          if (block?.type === 'tool_use') {
            this.updateTool(toolItem(block, assistantId, Date.now(), 'pending'));
          }
        }
      }
      const final = await stream.finalMessage();
      return { message: final as unknown as NonNullable<StreamResult['message']>, partial: [] };
    } catch (raw) {
      const partial = partialText((stream.currentMessage?.content ?? []) as unknown as StoredBlock[]);
      if (stalled && !signal.aborted) {
        return { partial, error: { kind: 'connection', message: 'The answer stalled; the connection was reset.', retryable: true }, rawError: raw };
      }
      const error = classifyError(raw);
      if (signal.aborted) {
        return { partial, error: { ...error, aborted: true } };
      }
      if (!error.aborted) {
        this.logger.warn(`[Chat] request failed: ${error.kind}${error.errorCode ? ` (${error.errorCode})` : ''}: ${error.message}`);
      }
      return { partial, error, rawError: raw };
    } finally {
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * The text of a cut-off answer. The API refuses a conversation whose last assistant content ends in
 * whitespace (a compaction request can end there), so the cut edge is trimmed.
 */
function partialText(content: readonly StoredBlock[]): StoredBlock[] {
  const blocks = content.filter((block) => block.type === 'text' && typeof block.text === 'string' && block.text.trim().length > 0);
  const last = blocks.at(-1);
  if (last) {
    blocks[blocks.length - 1] = { ...last, text: (last.text as string).trimEnd() };
  }
  return blocks;
}

function costOfCompaction(figures: UsageFigures, price: ModelPrice): number {
  return ((figures.compactionInputTokens * price.input) + (figures.compactionOutputTokens * price.output)) / 1_000_000;
}

/**
 * Marks the last block of the latest two messages as cache breakpoints (plus the system prompt, three in
 * all): the previous request's breakpoint is read from cache, the new one written for the next turn.
 * Blocks are copied, so the stored blocks stay exactly as received.
 */
export function withCacheBreakpoints(messages: readonly ApiMessage[]): ApiMessage[] {
  return messages.map((message, index) => {
    if (index < messages.length - 2 || message.content.length === 0) {
      return message;
    }
    const content = [...message.content];
    const lastIndex = content.length - 1;
    const last = content[lastIndex]!;
    if (last.type === 'compaction' && last.content === null) {
      return message;
    }
    content[lastIndex] = { ...last, cache_control: { type: 'ephemeral' } };
    return { role: message.role, content };
  });
}
