// Talks to the Messages API: streams a request with an idle timeout, retries what is retryable with
// backoff, and classifies every failure; it owns the SDK casts and leaves recovery to its caller.
import { classifyError, type ClassifiedError } from '../errors';
import { DEFAULT_RETRY, retryDelayMs, type RetryPolicy } from '../retry';
import type { Logger } from '../ports';
import { textOf, type ContextManagementResponse, type StoredBlock } from '../records';
import type { ApiUsage } from '../usage';
import type { MessagesClient, TurnContext } from './context';
import type { RequestBody } from './request';

export { DEFAULT_RETRY, type RetryPolicy };
const DEFAULT_IDLE_TIMEOUT_MS = 90_000;
/**
 * While a compaction block is open the server is summarizing the whole context and sends nothing but
 * `ping`s, which the SDK drops; on a large context that outlasts the idle limit by far (reference §3.1:
 * one compaction_delta carries the whole summary). Ten minutes is the SDK's own default request timeout.
 */
const DEFAULT_COMPACTION_IDLE_TIMEOUT_MS = 10 * 60_000;

/** A complete answer of the Messages API, as the store keeps it. */
export interface ApiAnswer {
  content: StoredBlock[];
  stop_reason: string | null;
  usage: ApiUsage;
  model: string;
  /** Under the thinking binding beta: blocks the API dropped or let through unverified. */
  input_transformations?: ReadonlyArray<{ type: string; path?: string; reason?: string }> | null;
  /** What the server's context editing cleared (`applied_edits`); null without context management. */
  context_management?: ContextManagementResponse | null;
}

export interface StreamResult {
  message?: ApiAnswer;
  /** How long the answer thought before its first visible output. */
  thinkingMs?: number;
  /** The text received before a failure, trimmed at the cut edge. */
  partial: StoredBlock[];
  error?: ClassifiedError;
  rawError?: unknown;
  /** The stream went silent while a compaction block was open (the server was summarizing). */
  stalledInCompaction?: boolean;
}

/** Where the stream's progress goes while the answer is written. */
export interface StreamSink {
  text(text: string): void;
  /** A tool call has started (its input is not known yet). */
  toolStarted(block: StoredBlock): void;
  /** A tool call's input is complete. */
  toolWritten(block: StoredBlock): void;
  /** Thinking streaming in: `start` opens a block (reasoning, a progress update, or a redacted block). */
  thinking?(part: 'reasoning' | 'update' | 'redacted', text: string, start: boolean): void;
}

/** What the caller made of a failed attempt: sent again at once, given up, or left to the retry policy. */
export type Recovery = 'retry' | 'fail' | 'pass';

export interface StreamCall {
  /** Built afresh for every attempt, so that what a recovery changed is sent. */
  body(): Promise<RequestBody>;
  sink: StreamSink;
  /** Asked about every failure before the retry policy; the transport itself never recovers. */
  recover(error: ClassifiedError, raw: unknown): Promise<Recovery>;
}

export class Transport {
  constructor(
    private readonly client: () => Promise<MessagesClient>,
    private readonly retry: RetryPolicy,
    private readonly logger: Logger,
    private readonly idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS,
    private readonly compactionIdleTimeoutMs = DEFAULT_COMPACTION_IDLE_TIMEOUT_MS,
    /** The sentence for an endpoint that cannot be reached (see `classifyError`); absent: the API's. */
    private readonly unreachable?: () => string,
  ) {}

  /** Streams until an answer, a failure that is not retried, or Stop; a partial answer is never retried. */
  async stream(ctx: Pick<TurnContext, 'signal' | 'emit'>, call: StreamCall): Promise<StreamResult> {
    const { signal } = ctx;
    let compactionStalls = 0;
    for (let attempt = 0; ; attempt++) {
      const result = await this.streamOnce(await call.body(), signal, call.sink);
      if (result.message || !result.error) {
        return result;
      }
      const error = result.error;
      if (error.aborted || textOf(result.partial).length > 0) {
        return result;
      }
      // Each attempt runs (and bills) a new summarization of the whole context: one blind retry at most.
      if (result.stalledInCompaction && ++compactionStalls > 1) {
        return { ...result, error: { ...error, message: 'The server’s summary stalled twice; the conversation was not compacted. Retry, or compact now.' } };
      }
      const recovery = await call.recover(error, result.rawError);
      if (recovery === 'retry') {
        continue;
      }
      if (recovery === 'fail' || !error.retryable || attempt >= this.retry.maxRetries) {
        return result;
      }
      const delayMs = retryDelayMs(error, attempt, this.retry);
      this.logger.info(`[Chat] ${error.message} Retrying in ${Math.round(delayMs)} ms (attempt ${attempt + 1} of ${this.retry.maxRetries})`);
      ctx.emit({ type: 'retrying', attempt: attempt + 1, delayMs, reason: error.message });
      await sleep(delayMs, signal);
      if (signal.aborted) {
        return { partial: [], error: { kind: 'unknown', message: 'Stopped.', retryable: false, aborted: true } };
      }
    }
  }

  /**
   * One request whose answer is wanted whole (on-demand compaction), with the SDK's own retries.
   * Streamed all the same: SDK 1.14 refuses a non-streaming call whose max_tokens could take longer
   * than ten minutes (thinking reference §1.1, "Streaming is required…" above ~21,333 tokens).
   */
  async create(body: RequestBody, signal: AbortSignal): Promise<{ message: ApiAnswer } | { error: ClassifiedError }> {
    try {
      const client = await this.client();
      const message = (await client.beta.messages.stream(body as never, { signal, maxRetries: this.retry.maxRetries }).finalMessage()) as unknown as ApiAnswer;
      return { message };
    } catch (raw) {
      return { error: classifyError(raw, this.unreachable?.()) };
    }
  }

  private async streamOnce(body: RequestBody, signal: AbortSignal, sink: StreamSink): Promise<StreamResult> {
    const client = await this.client();
    const idle = new AbortController();
    const onAbort = () => idle.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    let stalled = false;
    let compactionOpen = false;
    /** compaction_delta contents per block index, in arrival order. */
    const summaryPieces = new Map<number, string[]>();
    const armIdle = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        stalled = true;
        idle.abort();
      }, compactionOpen ? this.compactionIdleTimeoutMs : this.idleTimeoutMs);
    };
    const stream = client.beta.messages.stream(body as never, { signal: idle.signal, maxRetries: 0 });
    const thought = new ThinkingClock();
    try {
      armIdle();
      for await (const event of stream) {
        if (event.type === 'content_block_start') {
          compactionOpen = event.content_block.type === 'compaction';
        } else if (event.type === 'content_block_stop') {
          compactionOpen = false;
        } else if (event.type === 'content_block_delta' && event.delta.type === 'compaction_delta' && typeof event.delta.content === 'string') {
          summaryPieces.set(event.index, [...(summaryPieces.get(event.index) ?? []), event.delta.content]);
        }
        armIdle();
        if (event.type === 'content_block_start') {
          thought.blockStarted(event.content_block.type, sink);
        }
        if (event.type === 'content_block_delta' && event.delta.type === 'thinking_delta') {
          thought.delta(event.delta.thinking, sink);
        } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          sink.text(event.delta.text);
        } else if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') {
          // A card per call as soon as the model starts writing it; its input follows when complete.
          sink.toolStarted({ type: 'tool_use', id: event.content_block.id, name: event.content_block.name, input: undefined });
        } else if (event.type === 'content_block_stop') {
          const block = stream.currentMessage?.content[event.index] as unknown as StoredBlock | undefined;
          if (block?.type === 'tool_use') {
            sink.toolWritten(block);
          }
        }
      }
      const final = (await stream.finalMessage()) as unknown as ApiAnswer;
      return { message: withWholeSummaries(final, summaryPieces), partial: [], thinkingMs: thought.ms() };
    } catch (raw) {
      const partial = partialText((stream.currentMessage?.content ?? []) as unknown as StoredBlock[]);
      if (stalled && !signal.aborted) {
        const error: ClassifiedError = { kind: 'connection', message: 'The answer stalled; the connection was reset.', retryable: true };
        return { partial, error, rawError: raw, stalledInCompaction: compactionOpen || undefined };
      }
      const error = classifyError(raw, this.unreachable?.());
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
 * Follows the thinking blocks of a stream for the view: those that open the answer are reasoning,
 * later ones progress updates (display "updates", thinking reference §2); it times the reasoning up to
 * the first visible block.
 */
class ThinkingClock {
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private visibleSeen = false;
  private part: 'reasoning' | 'update' | 'redacted' | undefined;

  blockStarted(type: string, sink: StreamSink): void {
    if (type === 'thinking' || type === 'redacted_thinking') {
      this.startedAt ??= Date.now();
      this.part = type === 'redacted_thinking' ? 'redacted' : this.visibleSeen ? 'update' : 'reasoning';
      sink.thinking?.(this.part, '', true);
      return;
    }
    this.part = undefined;
    if (type !== 'compaction' && !this.visibleSeen) {
      this.visibleSeen = true;
      if (this.startedAt !== undefined) {
        this.endedAt = Date.now();
      }
    }
  }

  delta(text: string, sink: StreamSink): void {
    if (this.part !== undefined && text !== '') {
      sink.thinking?.(this.part, text, false);
    }
  }

  ms(): number | undefined {
    return this.startedAt === undefined ? undefined : (this.endedAt ?? Date.now()) - this.startedAt;
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

/**
 * A summary that came in several compaction_delta events, whole. The reference streams one delta with
 * the complete summary (§3.1), but servers and proxies split it; the TS SDK assigns each delta instead of
 * appending (§3.4, `BetaMessageStream` "compaction_delta"), so its final block holds only the last piece.
 * The pieces are parts of one text (a split stream), so the stored block gets their concatenation.
 */
function withWholeSummaries(message: ApiAnswer, pieces: ReadonlyMap<number, string[]>): ApiAnswer {
  const split = [...pieces].filter(([, parts]) => parts.length > 1);
  if (split.length === 0) {
    return message;
  }
  const content = [...message.content];
  for (const [index, parts] of split) {
    const block = content[index];
    if (block?.type === 'compaction') {
      content[index] = { ...block, content: parts.join('') };
    }
  }
  return { ...message, content };
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
