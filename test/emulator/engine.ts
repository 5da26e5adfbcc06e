// Runs one validated request to completion: compaction (threshold or on demand), the reply, cache and
// usage accounting. The result is the final Message plus the blocks as they stream, so the JSON and SSE
// paths cannot disagree (reference §2, §3, §6 "Behaviour" / "Response").

import type { CacheAccount, PromptCache } from './cache';
import {
  DEFAULT_SUMMARY_PROMPT,
  applyCompactionBlocks,
  lastUserText,
  signCompaction,
  summarize,
  toolChangesOf,
} from './compaction';
import { applyClearing } from './contextEditing';
import { cacheMinimum } from './models';
import type { FinalReply } from './replies';
import type { OnDemandPrefixes, ThinkingPlan, ThinkingStreamBlock } from './thinking';
import { PrefixHash, planThinking, progressUpdate, redactedBlock, thinkingBlock } from './thinking';
import { defaultPlan, finalizeReply, newId, scriptedPlan } from './replies';
import { scenePlan } from './scenes';
import type { BuiltBlock } from './shapes';
import { onDemandBlock, plainTextBlock, thresholdBlock } from './shapes';
import type { PromptUnit } from './tokens';
import { outputTokens, promptUnits, sumTokens, textInputTokens } from './tokens';
import type {
  Block,
  EmulatorConfig,
  JsonObject,
  Message,
  MessagesRequest,
  OnDemandFailStopReason,
  ScriptedReply,
  StopReason,
} from './types';
import { invalidRequest } from './types';

/** Output tokens billed for a summarization that produced nothing usable. */
const FAILED_COMPACTION_OUTPUT_TOKENS = 24;
/** Size of the input_json_delta fragments of a streamed tool_use block. */
const JSON_DELTA_CHARS = 24;

export interface EngineContext {
  readonly config: EmulatorConfig;
  readonly signingSecret: string;
  readonly cache: PromptCache;
  nextReply(): ScriptedReply | undefined;
  /** Records whether the request's tool results meet what a scripted reply expects. */
  checkToolResults?(reply: ScriptedReply, messages: Message[]): void;
  takeNullCompaction(): { pause: boolean } | undefined;
  takeOnDemandFailure(): OnDemandFailStopReason | undefined;
  /** Prefixes summarized by on-demand compactions, so kept turns keep valid thinking. */
  readonly onDemandPrefixes: OnDemandPrefixes;
}

interface CacheCreation {
  ephemeral_5m_input_tokens: number;
  ephemeral_1h_input_tokens: number;
}

export interface IterationUsage {
  type: 'message' | 'compaction';
  model?: string;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: CacheCreation;
}

export interface Usage {
  input_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation: CacheCreation;
  output_tokens: number;
  /** Raw reasoning tokens (included in output_tokens); null when the model did not think. */
  output_tokens_details: { thinking_tokens: number } | null;
  service_tier: 'standard';
  iterations: IterationUsage[] | null;
}

export interface ResponseMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: JsonObject[];
  stop_reason: StopReason;
  stop_sequence: string | null;
  stop_details: JsonObject | null;
  container: null;
  context_management: { applied_edits: JsonObject[] } | null;
  /** Present under the thinking binding beta (final in message_start). */
  input_transformations?: JsonObject[];
  usage: Usage;
}

/** A content block as streamed: the content_block_start payload and its deltas. */
export interface StreamBlock {
  start: JsonObject;
  deltas: JsonObject[];
  /** Text deltas are paced by the reply's delay and count toward fault positions. */
  text: boolean;
  /** Paced like text without counting toward fault positions (thinking deltas). */
  paced?: boolean;
}

export interface Generated {
  message: ResponseMessage;
  blocks: StreamBlock[];
  /** The input_tokens message_start announces before the final count (pre-compaction size). */
  provisionalInputTokens: number;
  deltaDelayMs: number;
  /** Pause before the first content block (time to first token). */
  firstTokenDelayMs?: number;
  /** Pause before a threshold summary's first compaction_delta (pings only meanwhile). */
  summaryDelayMs?: number;
}

function iterationUsage(type: IterationUsage['type'], account: CacheAccount, output: number, model?: string): IterationUsage {
  return {
    type,
    ...(model !== undefined ? { model } : {}),
    input_tokens: account.uncached,
    output_tokens: output,
    cache_creation_input_tokens: account.creation5m + account.creation1h,
    cache_read_input_tokens: account.read,
    cache_creation: { ephemeral_5m_input_tokens: account.creation5m, ephemeral_1h_input_tokens: account.creation1h },
  };
}

/** Top-level usage = sums over non-compaction iterations (reference §2.5). */
function totalUsage(iterations: IterationUsage[], withIterations: boolean, thinkingTokens: number | null = null): Usage {
  const counted = iterations.filter((i) => i.type !== 'compaction');
  const sum = (pick: (i: IterationUsage) => number): number => counted.reduce((total, i) => total + pick(i), 0);
  return {
    input_tokens: sum((i) => i.input_tokens),
    cache_creation_input_tokens: sum((i) => i.cache_creation_input_tokens),
    cache_read_input_tokens: sum((i) => i.cache_read_input_tokens),
    cache_creation: {
      ephemeral_5m_input_tokens: sum((i) => i.cache_creation.ephemeral_5m_input_tokens),
      ephemeral_1h_input_tokens: sum((i) => i.cache_creation.ephemeral_1h_input_tokens),
    },
    output_tokens: sum((i) => i.output_tokens),
    output_tokens_details: thinkingTokens === null ? null : { thinking_tokens: thinkingTokens },
    service_tier: 'standard',
    iterations: withIterations ? iterations : null,
  };
}

function replyBlocks(reply: FinalReply): BuiltBlock[] {
  const blocks: BuiltBlock[] = reply.textBlocks.map(plainTextBlock);
  if (reply.pieces.length) {
    blocks.push({
      final: { type: 'text', text: reply.pieces.join(''), citations: null },
      stream: {
        start: { type: 'text', text: '', citations: null },
        deltas: reply.pieces.map((text) => ({ type: 'text_delta', text })),
        text: true,
      },
    });
  }
  for (const tool of reply.toolUses) {
    const json = JSON.stringify(tool.input);
    const fragments = [''];
    for (let i = 0; i < json.length; i += JSON_DELTA_CHARS) {fragments.push(json.slice(i, i + JSON_DELTA_CHARS));}
    blocks.push({
      final: { type: 'tool_use', id: tool.id, name: tool.name, input: tool.input },
      stream: {
        start: { type: 'tool_use', id: tool.id, name: tool.name, input: {} },
        deltas: fragments.map((partial_json) => ({ type: 'input_json_delta', partial_json })),
        text: false,
      },
    });
  }
  return blocks;
}

/** The prefix of what follows a new compaction block: system + tools + the block. */
function prefixFromCompaction(req: MessagesRequest, block: Block): PrefixHash {
  const start = PrefixHash.start(req.system, req.tools);
  start.add('assistant', block);
  return start;
}

/** The reply's blocks behind its thinking: one block first, and under display "updates" a progress update before each call. */
function withThinking(plan: ThinkingPlan | null, reply: BuiltBlock[], prefix: PrefixHash, req: MessagesRequest, secret: string): BuiltBlock[] {
  if (!plan) {return reply;}
  const out: BuiltBlock[] = [];
  const push = (block: ThinkingStreamBlock): void => {
    out.push({ final: block.final, stream: { start: block.start, deltas: block.deltas, text: false, paced: true } });
    prefix.add('assistant', block.final as Block);
  };
  push(plan.redacted ? redactedBlock(prefix, secret) : thinkingBlock(plan.shown, prefix, secret, req.thinking.tokenCountBeta, plan.tokens));
  for (const block of reply) {
    if (plan.display === 'updates' && block.final['type'] === 'tool_use') {
      push(thinkingBlock(progressUpdate(String(block.final['name']), block.final['input'] ?? null), prefix, secret, req.thinking.tokenCountBeta, null));
    }
    out.push(block);
    prefix.add('assistant', block.final as Block);
  }
  return out;
}

class Run {
  readonly config: EmulatorConfig;
  readonly effective: Message[];
  readonly summary: string | null;
  readonly units: PromptUnit[];
  readonly promptTokens: number;
  /** What context editing cleared before the prompt was counted (compaction-api.md §6: the trigger sees it). */
  readonly appliedEdits: JsonObject[];

  constructor(
    readonly req: MessagesRequest,
    readonly ctx: EngineContext,
  ) {
    this.config = ctx.config;
    const compacted = applyCompactionBlocks(req.messages);
    this.summary = compacted.summary;
    ({ messages: this.effective, applied: this.appliedEdits } = applyClearing(compacted.messages, req.clearing, (messages) => sumTokens(this.unitsFor(messages))));
    this.units = this.unitsFor(this.effective);
    this.promptTokens = sumTokens(this.units);
  }

  unitsFor(messages: Message[]): PromptUnit[] {
    return promptUnits({ tools: this.req.tools, system: this.req.system, messages }, this.req.topCacheControl, this.config);
  }

  account(units: PromptUnit[], write: boolean): CacheAccount {
    return this.ctx.cache.account(this.req.model, units, this.config.minCacheableTokens ?? cacheMinimum(this.req.model), write);
  }

  /** A summarization reads the whole current prompt (cache hits allowed, nothing written) plus its own prompt. */
  compactionInput(instructions: string | null): CacheAccount {
    const account = this.account(this.units, false);
    return { ...account, uncached: account.uncached + textInputTokens(instructions ?? DEFAULT_SUMMARY_PROMPT, this.config) };
  }

  message(content: BuiltBlock[], iterations: IterationUsage[], stop: FinalReply | StopReason, thinkingTokens: number | null = null): ResponseMessage {
    const stopReason = typeof stop === 'string' ? stop : stop.stopReason;
    const transformations = this.req.binding.transformations;
    return {
      id: newId('msg'),
      type: 'message',
      role: 'assistant',
      model: this.req.model,
      content: content.map((b) => b.final),
      stop_reason: stopReason,
      stop_sequence: typeof stop === 'string' ? null : stop.stopSequence,
      stop_details: stopReason === 'refusal' ? { type: 'refusal', category: null, explanation: null } : null,
      container: null,
      context_management: this.req.contextManagementSent ? { applied_edits: this.appliedEdits } : null,
      ...(transformations ? { input_transformations: transformations } : {}),
      usage: totalUsage(iterations, this.req.compactionBeta, thinkingTokens),
    };
  }

  /** On demand: only the signed block, stop_reason compaction, top-level usage 0/0 (reference §1.4, §2.3). */
  onDemand(instructions: string | null): Generated {
    const summary = summarize(this.effective, instructions, this.config.summaryTemplate);
    // The request's thinking applies, and max_tokens caps thinking + summary (reference §4 "On demand").
    const thinking = planThinking(this.req.thinking, undefined, lastUserText(this.effective), this.req.maxTokens, this.config.charsPerToken, this.config)?.tokens ?? 0;
    const summaryTokens = outputTokens(summary, this.config) + thinking;
    const failure = this.ctx.takeOnDemandFailure() ?? (summaryTokens > this.req.maxTokens ? 'max_tokens' : undefined);
    if (failure) {
      const noCall: CacheAccount = { read: 0, creation5m: 0, creation1h: 0, uncached: 0 };
      const input = failure === 'model_context_window_exceeded' ? noCall : this.compactionInput(instructions);
      const output = failure === 'max_tokens' ? this.req.maxTokens : failure === 'model_context_window_exceeded' ? 0 : FAILED_COMPACTION_OUTPUT_TOKENS;
      const message = this.message([], [iterationUsage('compaction', input, output)], failure);
      return { message, blocks: [], provisionalInputTokens: 0, deltaDelayMs: 0 };
    }
    const toolChanges = toolChangesOf(this.effective);
    // The signature covers tool_changes as sent: absent when the server did not compute them.
    const signature = signCompaction(this.ctx.signingSecret, summary, this.config.shapes.omitToolChanges ? undefined : toolChanges);
    const built = onDemandBlock(summary, signature, toolChanges, this.config.shapes);
    this.ctx.onDemandPrefixes.remember(signature, this.req.system, this.req.tools, this.req.binding.prefix);
    const iteration = iterationUsage('compaction', this.compactionInput(instructions), summaryTokens);
    return { message: this.message([built], [iteration], 'compaction'), blocks: [built.stream], provisionalInputTokens: 0, deltaDelayMs: 0 };
  }

  /** Threshold compaction is checked before the sampling iteration, then the reply is generated. */
  sample(): Generated {
    const blocks: BuiltBlock[] = [];
    const iterations: IterationUsage[] = [];
    let messageUnits = this.units;
    // New thinking is bound to the prefix the model sees: the request's, or from a new compaction block on.
    let prefix = this.req.binding.prefix.copy();
    const edit = this.req.threshold;
    const { shapes } = this.config;
    if (edit && this.promptTokens >= edit.trigger) {
      const input = this.compactionInput(edit.instructions);
      if (shapes.textBeforeCompaction !== '') {blocks.push(plainTextBlock(shapes.textBeforeCompaction));}
      const failed = this.ctx.takeNullCompaction();
      if (failed) {
        // A failed summarization: a null block, and generation goes on from the un-compacted prompt,
        // unless the failure is armed to pause a paused request right after the null block.
        blocks.push(thresholdBlock(null, shapes, this.ctx.signingSecret));
        iterations.push(iterationUsage('compaction', input, FAILED_COMPACTION_OUTPUT_TOKENS));
        if (failed.pause && edit.pause) {
          const message = this.message(blocks, iterations, 'compaction');
          return { message, blocks: blocks.map((b) => b.stream), provisionalInputTokens: input.uncached, deltaDelayMs: 0, summaryDelayMs: this.config.summaryDelayMs };
        }
      } else {
        const summary = summarize(this.effective, edit.instructions, this.config.summaryTemplate);
        blocks.push(thresholdBlock(summary, shapes, this.ctx.signingSecret));
        iterations.push(iterationUsage('compaction', input, outputTokens(summary, this.config)));
        if (edit.pause) {
          const message = this.message(blocks, iterations, 'compaction');
          return { message, blocks: blocks.map((b) => b.stream), provisionalInputTokens: input.uncached, deltaDelayMs: 0, summaryDelayMs: this.config.summaryDelayMs };
        }
        // The summary is a new prefix: the next iteration reads system + tools + summary only.
        messageUnits = this.unitsFor([{ role: 'assistant', content: [{ type: 'compaction', content: summary }] }]);
        prefix = prefixFromCompaction(this.req, { type: 'compaction', content: summary });
      }
    }
    const scripted = this.ctx.nextReply();
    if (scripted?.expectToolResult) {
      this.ctx.checkToolResults?.(scripted, this.req.messages);
    }
    const plan = scripted
      ? scriptedPlan(scripted, this.config.chunkDelayMs)
      : (scenePlan(this.effective, this.req.tools.map((tool) => String(tool['name'])), this.config.chunkDelayMs) ??
        defaultPlan(lastUserText(this.effective), this.summary, this.config.chunkDelayMs));
    const thinking = planThinking(this.req.thinking, scripted, lastUserText(this.effective), this.req.maxTokens, this.config.charsPerToken, this.config);
    // Thinking counts toward max_tokens: the answer gets what is left (reference §1.3).
    const reply = finalizeReply(plan, this.req.maxTokens - (thinking?.tokens ?? 0), this.req.stopSequences, this.config);
    const messageIteration = iterationUsage('message', this.account(messageUnits, true), reply.outputTokens + (thinking?.tokens ?? 0), this.req.model);
    iterations.push(messageIteration);
    blocks.push(...withThinking(thinking, replyBlocks(reply), prefix, this.req, this.ctx.signingSecret));
    return {
      message: this.message(blocks, iterations, reply, thinking ? thinking.tokens : null),
      blocks: blocks.map((b) => b.stream),
      provisionalInputTokens: (iterations[0] ?? messageIteration).input_tokens,
      deltaDelayMs: reply.delayMs,
      firstTokenDelayMs: this.config.firstTokenDelayMs,
      summaryDelayMs: iterations.some((i) => i.type === 'compaction') ? this.config.summaryDelayMs : 0,
    };
  }
}

/**
 * The prompt must fit the window, and so must the prompt plus `max_tokens`, with the API's messages
 * ("input length and `max_tokens` exceed context limit: 178959 + 64000 > 200000, decrease input length or
 * `max_tokens` and try again", e.g. docker/docker-agent#569 and continuedev/continue#6080).
 */
function checkContextWindow(run: Run): void {
  const window = run.config.contextWindow;
  if (run.promptTokens > window) {
    throw invalidRequest(`prompt is too long: ${run.promptTokens} tokens > ${window} maximum`);
  }
  if (run.config.maxTokensInWindow && run.promptTokens + run.req.maxTokens > window) {
    throw invalidRequest(
      `input length and \`max_tokens\` exceed context limit: ${run.promptTokens} + ${run.req.maxTokens} > ${window}, ` +
        'decrease input length or `max_tokens` and try again',
    );
  }
}

export function runMessages(req: MessagesRequest, ctx: EngineContext): Generated {
  const run = new Run(req, ctx);
  checkContextWindow(run);
  return req.onDemand ? run.onDemand(req.onDemand.instructions) : run.sample();
}

/** count_tokens applies existing compaction blocks and never compacts (reference §1.8). */
export function countTokens(req: MessagesRequest, ctx: EngineContext): JsonObject {
  const run = new Run(req, ctx);
  const original = sumTokens(run.unitsFor(req.messages));
  return {
    input_tokens: run.promptTokens,
    context_management: req.contextManagementSent ? { original_input_tokens: original } : null,
  };
}
