// Decides and records every kind of compaction: before a turn, paused at the threshold, on demand, the
// deterministic trim where compaction is unavailable, and the recovery from a context-window refusal.
import { isCompactionUnsupported, type ClassifiedError } from '../errors';
import { isLiveCompactionBlock } from '../requestHistory';
import type { ConversationRecord, StoredBlock, UsageFigures } from '../records';
import { timelineItem } from '../timeline';
import { compactionCostOf, priceFor, usageFigures } from '../usage';
import { keepsUnboundThinking, newRecordId, requestSource, sentMessages, usageEvent, type AssistantRecord, type CompactionRecord, type TurnContext } from './context';
import { MIN_SUMMARY_TOKENS, buildOnDemandRequest, keepBudgetBelow, systemBlocks, type CompactionState, type RequestBody } from './request';

/** The least room for an answer worth lowering `max_tokens` to; below it, Marathon compacts instead. */
const MIN_ANSWER_TOKENS = 1024;
import type { ApiAnswer, Recovery, Transport } from './transport';
import { describeError } from '../errorText';

export interface CompactionPolicyDeps {
  transport: Transport;
  /** Fresh copies of the pinned files, re-sent verbatim after every compaction. */
  pinnedBlocks?: () => Promise<StoredBlock[]>;
}

interface ThresholdMarkerOptions {
  putBack?: string[];
  coveredMessages?: number;
  paused?: boolean;
  id?: string;
  pinned?: StoredBlock[];
  settled?: boolean;
}

export class CompactionPolicy {
  /** The model the server said cannot compact (a 400 naming the beta); another model may again. */
  private unsupportedModel: string | undefined;
  /** A paused compaction of this turn came back failed (`content: null`): asking again identically would repeat it. */
  private failedThisTurn = false;
  /** Consecutive `compaction_unavailable` answers; from two on, Marathon trims instead of waiting. */
  private unavailableStreak = 0;
  /** Server tokens per estimated token, learned from each answer, so that estimates match the server's count. */
  private tokenRatio = 1;
  private lastRequestChars = 0;
  /**
   * The tool definitions' share of the last request. The server counts them with every prompt, so an
   * estimate of what a trim leaves must count them too: the ratio is learned over the whole request, and
   * applying it to the messages alone would count the tools' fixed cost as if it shrank with them.
   */
  private lastToolsChars = 0;
  /** Paused compactions since the turn started or its last tool step; each puts back less. */
  private compactionsThisTurn = 0;
  /** The records the last paused compaction of this turn put back. */
  private lastPutBack: string[] = [];
  private lastPutBackPinned = false;
  /** `max_tokens` for the next request only, after the API said the prompt plus `max_tokens` exceeds the window. */
  private maxTokensCap: number | undefined;

  /** The platform that made the summary the history starts from (undefined: the Anthropic API). */
  private anchorProvider: string | undefined;

  constructor(private readonly deps: CompactionPolicyDeps) {}

  /** Reads which platform made the latest summary from the records the history was rebuilt from. */
  restore(records: readonly ConversationRecord[]): void {
    for (const record of records) {
      if (record.kind === 'compaction' && !record.failed && record.compactionKind !== 'trim') {
        this.anchorProvider = record.provider;
      }
    }
  }

  /** The conversation's compaction state, for the request builder. */
  state(ctx: Pick<TurnContext, 'history' | 'settings'>): CompactionState {
    return {
      supported: this.supported(ctx),
      signed: ctx.history.signed,
      hasThresholdBlock: ctx.history.hasThresholdBlock,
      maxTokensCap: this.maxTokensCap,
      thresholdSuspended: this.failedThisTurn || undefined,
      anchorProvider: this.anchorProvider,
    };
  }

  private supported(ctx: Pick<TurnContext, 'settings'>): boolean {
    return ctx.settings.model !== this.unsupportedModel;
  }

  /** Counts paused compactions afresh: at the start of a turn and after each tool step. */
  restartCount(): void {
    this.compactionsThisTurn = 0;
    this.failedThisTurn = false;
    this.lastPutBack = [];
  }

  /** Notes the size of a request about to be sent, to learn the token ratio from its answer. */
  noteRequest(body: RequestBody): void {
    this.lastToolsChars = JSON.stringify(body.tools ?? []).length;
    this.lastRequestChars = JSON.stringify(body.system).length + this.lastToolsChars + JSON.stringify(body.messages).length;
  }

  /**
   * Lowers `max_tokens` before sending when the prompt (as estimated from the server's own counts) plus
   * `max_tokens` would pass the window, which the API refuses ("input length and `max_tokens` exceed
   * context limit"); a margin covers the estimate's error, and the refusal's recovery covers the rest.
   */
  fitToWindow(ctx: Pick<TurnContext, 'settings' | 'usage'>, body: RequestBody): void {
    const window = ctx.settings.contextWindow;
    const maxTokens = Number(body.max_tokens);
    const messages = Array.isArray(body.messages) ? (body.messages as unknown[]) : [];
    // The last measured context (the previous prompt and its answer, as the server counted them) plus the
    // newest message; before any answer, the whole body by the learned ratio.
    const prompt =
      ctx.usage.contextTokens > 0
        ? ctx.usage.contextTokens + this.estimate(JSON.stringify(messages.slice(-1)))
        : this.estimate(JSON.stringify(body.system) + JSON.stringify(body.tools ?? []) + JSON.stringify(messages));
    // The ratio is learned over whole requests (signatures and JSON included), so plain new text can count
    // for more than it estimates; 5% of the window covers that.
    const margin = Math.max(MIN_ANSWER_TOKENS, Math.ceil(window * 0.05));
    const room = Math.floor(window - prompt - margin);
    if (!(window > 0) || prompt + maxTokens <= window - margin || room < MIN_ANSWER_TOKENS) {
      return;
    }
    body.max_tokens = room;
    // A thinking budget must stay below max_tokens, with room for the answer (or the summary) after it.
    keepBudgetBelow(body, body.compaction ? MIN_SUMMARY_TOKENS : MIN_ANSWER_TOKENS);
  }

  /** Learns from an answer: compaction worked, and how the server counts tokens. */
  noteAnswer(figures: UsageFigures): void {
    this.unavailableStreak = 0;
    this.maxTokensCap = undefined;
    if (figures.contextTokens > 0 && this.lastRequestChars > 0 && !figures.compactionInputTokens) {
      this.tokenRatio = figures.contextTokens / Math.max(1, this.lastRequestChars / 4);
    }
  }

  /**
   * Before a turn that would pass the trigger: with a signed block the API refuses threshold
   * compaction, so Marathon compacts on demand; where compaction is unavailable it trims the
   * oldest turns, so that a session never dead-ends at the window.
   */
  async beforeTurn(ctx: TurnContext): Promise<void> {
    const { settings, history } = ctx;
    const pending = history.pendingUserIds();
    const added = this.estimate(JSON.stringify(sentMessages(ctx).slice(-1)));
    if (ctx.usage.contextTokens + added < settings.triggerTokens) {
      return;
    }
    if (!this.available(ctx)) {
      await this.trimToFit(ctx, settings.triggerTokens * 0.8, 'Compaction is unavailable');
      return;
    }
    if (settings.mode !== 'manual' && history.signed && settings.onDemandSupported !== false) {
      await this.compactOnDemand(ctx, pending);
    }
  }

  /**
   * The recovery of one streamed turn, asked about each failed attempt: a context-window refusal
   * compacts (or trims) once and retries; repeated `compaction_unavailable` trims; an endpoint that
   * cannot compact turns compaction off for the conversation.
   */
  recovery(ctx: TurnContext): (error: ClassifiedError, raw: unknown) => Promise<Recovery> {
    let triedCompaction = false;
    return async (error, raw) => {
      // "input length and `max_tokens` exceed context limit: A + B > C": the prompt fits, so the answer's
      // room is lowered to what is left (for this request only) while it stays useful; else compact.
      const room = error.contextLimit ? error.contextLimit.limit - error.contextLimit.inputTokens : 0;
      if (error.contextLimit && room >= MIN_ANSWER_TOKENS && room < (this.maxTokensCap ?? error.contextLimit.maxTokens)) {
        this.maxTokensCap = room;
        ctx.logger.info(`[Chat] the prompt (${error.contextLimit.inputTokens} tokens) leaves ${room} tokens of the window for the answer; asking for that much this time`);
        return 'retry';
      }
      this.maxTokensCap = undefined;
      if (error.kind === 'contextWindow' && !triedCompaction) {
        triedCompaction = true;
        ctx.emit({ type: 'notice', level: 'info', message: 'The conversation outgrew the context window; compacting it, then retrying.' });
        const recovered =
          (this.available(ctx) && ctx.settings.onDemandSupported !== false && (await this.compactOnDemand(ctx, ctx.history.pendingUserIds()))) ||
          (await this.trimToFit(ctx, ctx.settings.contextWindow * 0.8, 'The conversation outgrew the context window'));
        return recovered ? 'retry' : 'fail';
      }
      if (error.errorCode === 'compaction_unavailable') {
        this.unavailableStreak++;
        // The server only compacts at the trigger, so the request is over it whatever the estimate says.
        const current = this.estimateChars((await this.fixedChars(ctx)) + JSON.stringify(sentMessages(ctx)).length);
        const limit = Math.min(ctx.settings.triggerTokens, current) * 0.8;
        if (this.unavailableStreak >= 2 && (await this.trimToFit(ctx, limit, 'Compaction is unavailable right now'))) {
          return 'retry';
        }
      }
      if (this.supported(ctx) && isCompactionUnsupported(raw, error)) {
        this.unsupportedModel = ctx.settings.model;
        ctx.logger.warn(`[Chat] compaction is not available for this model or endpoint: ${error.message}`);
        ctx.emit({ type: 'notice', level: 'warning', message: 'This model or endpoint does not support compaction; the conversation goes on without it.' });
        return 'retry';
      }
      return 'pass';
    };
  }

  /** Sends an on-demand compaction; the pending user messages stay after the signed block. */
  async compactOnDemand(ctx: TurnContext, keptIds: readonly string[]): Promise<boolean> {
    const { settings, history } = ctx;
    const messages = history.messagesExcept(keptIds, keepsUnboundThinking(settings));
    if (messages.length === 0) {
      ctx.emit({ type: 'notice', level: 'info', message: 'There is nothing to compact yet.' });
      return false;
    }
    const covered = messages.length;
    const tokensBefore = ctx.usage.contextTokens || undefined;
    const source = await requestSource(ctx);
    ctx.logger.info(`[Compaction] compacting on demand (${covered} messages)`);
    const body = buildOnDemandRequest(source, messages, this.state(ctx));
    this.fitToWindow(ctx, body);
    let answer = await this.deps.transport.create(body, ctx.signal);
    const limit = 'error' in answer ? answer.error.contextLimit : undefined;
    if (limit && limit.limit - limit.inputTokens >= MIN_ANSWER_TOKENS) {
      // The summary's room did not fit next to the conversation: ask for what is left of the window.
      answer = await this.deps.transport.create(buildOnDemandRequest(source, messages, this.state(ctx), limit.limit - limit.inputTokens), ctx.signal);
    }
    if ('error' in answer) {
      if (!answer.error.aborted) {
        ctx.logger.warn(`[Compaction] on-demand compaction failed: ${answer.error.message}`);
        ctx.emit({ type: 'notice', level: 'warning', message: `Compaction failed: ${answer.error.message}` });
      }
      return false;
    }
    const response = answer.message;
    const figures = usageFigures(response.usage);
    const block = response.content[0];
    const live = response.stop_reason === 'compaction' && block !== undefined && isLiveCompactionBlock(block);
    const summary = live && typeof block.content === 'string' ? block.content : null;
    const pinned = live ? await this.pinnedBlocks(ctx) : [];
    const id = newRecordId('c');
    if (live) {
      // As for a threshold compaction, the history holds the block before its marker is stored, so that
      // the marker's size is the next request's, which the meter shows until an answer measures it.
      history.applyOnDemandCompaction(block, keptIds, { recordId: id, blocks: pinned });
    }
    const marker: CompactionRecord = {
      v: 1,
      kind: 'compaction',
      id,
      at: Date.now(),
      compactionKind: 'onDemand',
      block: live ? block : undefined,
      failed: !live,
      summary,
      coveredMessages: covered,
      putBack: live ? [...keptIds] : undefined,
      pinned: pinned.length > 0 ? pinned : undefined,
      tokensBefore,
      tokensAfter: live ? await this.nextRequestTokens(ctx) : undefined,
      costUsd: compactionCostOf(figures, priceFor(response.model, settings.prices)),
      // Stored so that the conversation's totals, read back from the file, include what this request cost.
      usage: figures,
      model: response.model,
      ...(settings.provider ? { provider: settings.provider } : {}),
    };
    await ctx.persist(marker);
    ctx.usage.add(figures, priceFor(response.model, settings.prices), marker.id);
    if (live) {
      this.anchorProvider = settings.provider;
      ctx.usage.contextTokens = marker.tokensAfter ?? ctx.usage.contextTokens;
    } else {
      ctx.logger.warn(`[Compaction] on-demand compaction produced no summary (stop reason ${response.stop_reason}); keeping the conversation as it is`);
    }
    ctx.emit({ type: 'item', item: timelineItem(marker)[0]! });
    ctx.emit(usageEvent(ctx));
    return live;
  }

  /**
   * An answer that stopped at a threshold compaction: stores it, replaces the history with the
   * summary and puts back the recent turns; returns whether the turn goes on by itself.
   */
  async settlePaused(ctx: TurnContext, block: StoredBlock, message: ApiAnswer, figures: UsageFigures): Promise<'done' | 'continue'> {
    const { settings, history } = ctx;
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
    await ctx.persist(record);
    ctx.usage.add(figures, priceFor(message.model, settings.prices), record.id);
    if (!isLiveCompactionBlock(block)) {
      // A failed summary (the model called a tool, say): the same request would fail the same way, and
      // each try is billed. It counts as a failed compaction; the turn goes on without compacting.
      this.failedThisTurn = true;
      await this.recordThresholdMarker(ctx, block, figures);
      return 'continue';
    }
    const covered = history.messageCount;
    // If what was put back is itself over the trigger, the server compacts again at once: put back
    // less each time (the previous exchanges, then the request alone, then nothing) so the turn ends.
    this.compactionsThisTurn++;
    let keep = this.compactionsThisTurn === 1 ? settings.keepRecentTurns : this.compactionsThisTurn === 2 ? 0 : -1;
    // A put-back identical to the one just compacted again (no earlier exchange to leave out) would send
    // the identical request: the next smaller one is taken instead.
    if (this.compactionsThisTurn === 2 && !this.lastPutBackPinned && sameIds(history.putBackIds(keep), this.lastPutBack)) {
      this.compactionsThisTurn = 3;
      keep = -1;
    }
    const markerId = newRecordId('c');
    const pinned = this.compactionsThisTurn === 1 ? await this.pinnedBlocks(ctx) : [];
    const putBack = history.applyPausedCompaction(block, keep, { recordId: markerId, blocks: pinned });
    this.lastPutBack = putBack;
    this.lastPutBackPinned = pinned.length > 0;
    const marker = await this.recordThresholdMarker(ctx, block, figures, { putBack, coveredMessages: covered, paused: settings.mode === 'pause', id: markerId, pinned, settled: true });
    ctx.emit(usageEvent(ctx));
    return marker.paused ? 'done' : 'continue';
  }

  /**
   * Stores a threshold compaction's marker. `settled`: the history already holds the block and its
   * put-back, so the next request's size is estimated from it and the meter shows that until the next
   * answer measures it; otherwise the answer went on after compacting and measured it already.
   */
  async recordThresholdMarker(
    ctx: TurnContext,
    block: StoredBlock,
    figures: UsageFigures,
    { putBack = [], coveredMessages = ctx.history.messageCount, paused = false, id = newRecordId('c'), pinned = [], settled = false }: ThresholdMarkerOptions = {},
  ): Promise<CompactionRecord & { paused: boolean }> {
    const { settings } = ctx;
    const summary = typeof block.content === 'string' ? block.content : null;
    const tokensAfter = !summary ? undefined : settled ? await this.nextRequestTokens(ctx) : figures.contextTokens || this.estimate(summary);
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
      tokensAfter,
      costUsd: compactionCostOf(figures, priceFor(settings.model, settings.prices)),
      paused: paused || undefined,
      ...(settings.provider ? { provider: settings.provider } : {}),
    };
    await ctx.persist(marker);
    if (!marker.failed) {
      this.anchorProvider = settings.provider;
    }
    if (settled && tokensAfter !== undefined) {
      ctx.usage.contextTokens = tokensAfter;
    }
    ctx.emit({ type: 'item', item: timelineItem(marker)[0]! });
    if (marker.failed) {
      ctx.logger.warn('[Compaction] the server returned a failed compaction (content null); the conversation continues uncompacted');
    }
    return { ...marker, paused };
  }

  private available(ctx: Pick<TurnContext, 'settings'>): boolean {
    return this.supported(ctx) && ctx.settings.compactionSupported !== false && this.unavailableStreak < 2;
  }

  /** Server-equivalent token estimate of serialized request text. */
  private estimate(serialized: string): number {
    return this.estimateChars(serialized.length);
  }

  private estimateChars(chars: number): number {
    return Math.ceil(Math.ceil(chars / 4) * this.tokenRatio);
  }

  /** What the next request will carry, in server tokens: the fixed part and the history as it is now. */
  private async nextRequestTokens(ctx: TurnContext): Promise<number> {
    return this.estimateChars((await this.fixedChars(ctx)) + JSON.stringify(sentMessages(ctx)).length);
  }

  /** Characters every request of the conversation carries besides its messages: the system prompt and the tools. */
  private async fixedChars(ctx: Pick<TurnContext, 'systemPrompt'>): Promise<number> {
    return JSON.stringify(systemBlocks(await ctx.systemPrompt())).length + this.lastToolsChars;
  }

  /** Deterministic fallback: drops the oldest turns until the request fits under `limit` tokens. */
  private async trimToFit(ctx: TurnContext, limit: number, reason: string): Promise<boolean> {
    const { history } = ctx;
    const fixed = await this.fixedChars(ctx);
    const tokensBefore = await this.nextRequestTokens(ctx);
    const dropped = history.trimOldest((messages) => this.estimateChars(fixed + JSON.stringify(messages).length) < limit, keepsUnboundThinking(ctx.settings));
    if (dropped.length === 0) {
      return false;
    }
    const tokensAfter = await this.nextRequestTokens(ctx);
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
    await ctx.persist(marker);
    ctx.usage.contextTokens = tokensAfter;
    ctx.logger.warn(`[Compaction] ${reason}; dropped the ${dropped.length} oldest messages to fit (${tokensBefore} → ${tokensAfter} tokens)`);
    ctx.emit({ type: 'item', item: timelineItem(marker)[0]! });
    ctx.emit({ type: 'notice', level: 'warning', message: `${reason}: the ${dropped.length} oldest messages are no longer sent. They stay in the transcript.` });
    ctx.emit(usageEvent(ctx));
    return true;
  }

  private async pinnedBlocks(ctx: Pick<TurnContext, 'logger'>): Promise<StoredBlock[]> {
    try {
      return (await this.deps.pinnedBlocks?.()) ?? [];
    } catch (error) {
      // A pinned file that cannot be read must not break the turn; the log says which.
      ctx.logger.warn(`[Compaction] could not re-read pinned files: ${describeError(error)}`);
      return [];
    }
  }
}

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}
