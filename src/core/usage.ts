// Token accounting. The context meter reads the last `message` iteration, never a `compaction` one;
// billing adds every iteration, compaction included (see the compaction wire reference, §2.5).
import type { ContextMeter } from '../shared/protocol';
import type { UsageFigures } from './records';

/** The subset of the API's `usage` object Marathon reads; unknown fields are ignored. */
export interface ApiUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  iterations?: ReadonlyArray<ApiIteration> | null;
  /** Final only on the last message_delta of a stream (reference thinking §2). */
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

export interface ApiIteration {
  type: string;
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

const n = (value: number | null | undefined): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

export function usageFigures(usage: ApiUsage | null | undefined): UsageFigures {
  const figures: UsageFigures = {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    compactionInputTokens: 0,
    compactionOutputTokens: 0,
    contextTokens: 0,
  };
  if (!usage) {
    return figures;
  }
  const thinking = n(usage.output_tokens_details?.thinking_tokens);
  if (thinking > 0) {
    figures.thinkingTokens = thinking;
  }
  const iterations = usage.iterations ?? [];
  if (iterations.length === 0) {
    // Without a compaction beta there are no iterations: the top-level fields are the whole story.
    figures.inputTokens = n(usage.input_tokens);
    figures.outputTokens = n(usage.output_tokens);
    figures.cacheReadTokens = n(usage.cache_read_input_tokens);
    figures.cacheWriteTokens = n(usage.cache_creation_input_tokens);
    figures.contextTokens = figures.inputTokens + figures.cacheReadTokens + figures.cacheWriteTokens + figures.outputTokens;
    return figures;
  }
  let lastMessage: ApiIteration | undefined;
  for (const iteration of iterations) {
    if (iteration.type === 'compaction') {
      figures.compactionInputTokens += n(iteration.input_tokens) + n(iteration.cache_read_input_tokens) + n(iteration.cache_creation_input_tokens);
      figures.compactionOutputTokens += n(iteration.output_tokens);
      // A summarization reads the conversation's cached prefix (reference §4): those tokens bill as cache reads.
      if (n(iteration.cache_read_input_tokens) > 0) {
        figures.compactionCacheReadTokens = (figures.compactionCacheReadTokens ?? 0) + n(iteration.cache_read_input_tokens);
      }
      if (n(iteration.cache_creation_input_tokens) > 0) {
        figures.compactionCacheWriteTokens = (figures.compactionCacheWriteTokens ?? 0) + n(iteration.cache_creation_input_tokens);
      }
      continue;
    }
    if (iteration.type === 'message') {
      lastMessage = iteration;
    }
    figures.inputTokens += n(iteration.input_tokens);
    figures.outputTokens += n(iteration.output_tokens);
    figures.cacheReadTokens += n(iteration.cache_read_input_tokens);
    figures.cacheWriteTokens += n(iteration.cache_creation_input_tokens);
  }
  if (lastMessage) {
    figures.contextTokens =
      n(lastMessage.input_tokens) +
      n(lastMessage.cache_read_input_tokens) +
      n(lastMessage.cache_creation_input_tokens) +
      n(lastMessage.output_tokens);
  }
  return figures;
}

/** US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

// Source: Anthropic's public pricing page (anthropic.com/pricing), list prices per million tokens;
// cache writes are 1.25x input (5-minute TTL) and cache reads 0.1x input. `marathon.pricing` overrides.
const family = (input: number, output: number): ModelPrice => ({ input, output, cacheWrite: input * 1.25, cacheRead: input * 0.1 });
const PRICES: ReadonlyArray<[prefix: string, price: ModelPrice]> = [
  ['claude-opus-4-1', family(15, 75)],
  ['claude-opus-4-0', family(15, 75)],
  ['claude-opus', family(5, 25)],
  ['claude-mythos', family(15, 75)],
  ['claude-fable', family(3, 15)],
  ['claude-sonnet', family(3, 15)],
  ['claude-haiku', family(1, 5)],
];
const DEFAULT_PRICE = family(3, 15);

export function priceFor(model: string, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice {
  const override = overrides[model];
  if (override) {
    return override;
  }
  return PRICES.find(([prefix]) => model.startsWith(prefix))?.[1] ?? DEFAULT_PRICE;
}

const perToken = (perMillion: number) => perMillion / 1_000_000;

/** What the compaction iterations of one answer cost: their cache reads and writes at cache rates, the rest as input. */
export function compactionCostOf(figures: UsageFigures, price: ModelPrice): number {
  const cacheRead = figures.compactionCacheReadTokens ?? 0;
  const cacheWrite = figures.compactionCacheWriteTokens ?? 0;
  const uncached = Math.max(0, figures.compactionInputTokens - cacheRead - cacheWrite);
  return (
    uncached * perToken(price.input) +
    cacheRead * perToken(price.cacheRead) +
    cacheWrite * perToken(price.cacheWrite) +
    figures.compactionOutputTokens * perToken(price.output)
  );
}

export function costOf(figures: UsageFigures, price: ModelPrice): number {
  return (
    figures.inputTokens * perToken(price.input) +
    figures.outputTokens * perToken(price.output) +
    figures.cacheReadTokens * perToken(price.cacheRead) +
    figures.cacheWriteTokens * perToken(price.cacheWrite) +
    compactionCostOf(figures, price)
  );
}

/** Running totals for one conversation, folded from its usage figures turn by turn. */
export class UsageLedger {
  private inputTokens = 0;
  private outputTokens = 0;
  private cacheReadTokens = 0;
  private cacheWriteTokens = 0;
  private compactionTokens = 0;
  private thinkingTokens = 0;
  private thinkingCost = 0;
  private cost = 0;
  contextTokens = 0;

  add(figures: UsageFigures, price: ModelPrice): void {
    this.inputTokens += figures.inputTokens;
    this.outputTokens += figures.outputTokens;
    this.cacheReadTokens += figures.cacheReadTokens;
    this.cacheWriteTokens += figures.cacheWriteTokens;
    this.compactionTokens += figures.compactionInputTokens + figures.compactionOutputTokens;
    this.cost += costOf(figures, price);
    // Reasoning is billed as output; its share is shown, not added again.
    this.thinkingTokens += figures.thinkingTokens ?? 0;
    this.thinkingCost += ((figures.thinkingTokens ?? 0) * price.output) / 1_000_000;
    if (figures.contextTokens > 0) {
      this.contextTokens = figures.contextTokens;
    }
  }

  /** Adds another ledger's totals (read in the background) without touching the current context size. */
  merge(other: UsageLedger): void {
    this.inputTokens += other.inputTokens;
    this.outputTokens += other.outputTokens;
    this.cacheReadTokens += other.cacheReadTokens;
    this.cacheWriteTokens += other.cacheWriteTokens;
    this.compactionTokens += other.compactionTokens;
    this.thinkingTokens += other.thinkingTokens;
    this.thinkingCost += other.thinkingCost;
    this.cost += other.cost;
  }

  meter(triggerTokens: number, contextWindow: number): ContextMeter {
    return {
      contextTokens: this.contextTokens,
      triggerTokens,
      contextWindow,
      totalInputTokens: this.inputTokens,
      totalOutputTokens: this.outputTokens,
      totalCacheReadTokens: this.cacheReadTokens,
      totalCacheWriteTokens: this.cacheWriteTokens,
      compactionTokens: this.compactionTokens,
      costUsd: this.cost,
      ...(this.thinkingTokens > 0 ? { totalThinkingTokens: this.thinkingTokens, thinkingCostUsd: this.thinkingCost } : {}),
    };
  }
}

/** Rough size of text in tokens, for estimates before the server has counted (about 4 chars a token). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
