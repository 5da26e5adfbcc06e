// Thinking as the real API does it: the `thinking` / effort parameters per model, the structural 400s,
// signed thinking blocks bound to the prefix they were made on (with `error` / `drop_block`), and the
// blocks a reply starts with (display modes, redacted blocks, progress updates before tool calls).
// Wire rules: thinking-and-context-editing.md §1-4 and its emulator checklist §7; where it says [INF]
// the choice made here is an inference too, said at the place it is made.

import { createHash, createHmac, randomBytes, timingSafeEqual, type Hash } from 'node:crypto';
import type { Display, Effort, ModelThinking, ThinkingType } from './thinkingModels';
import { EFFORTS, THINKING_TYPES, modelThinking } from './thinkingModels';
import type { Block, JsonObject, JsonValue, Message } from './types';
import { invalidRequest, isObject } from './types';

export const BINDING_BETA = 'thinking-binding-controls-2026-08-01';
export const DISPLAY_UPDATES_BETA = 'thinking-display-updates-2026-08-18';
export const TOKEN_COUNT_BETA = 'thinking-token-count-2026-05-13';

const DOCS = 'https://docs.claude.com/en/docs/build-with-claude/extended-thinking';

/** The emulator switches that act on thinking (part of EmulatorConfig). */
export interface ThinkingSwitches {
  /** Models whose table row says they think when `thinking` is omitted do so (the real API does). */
  thinkUnasked: boolean;
  /** The account predates 2026-08-31: the prefix check runs only when a request sets the behaviour. */
  legacyAccount: boolean;
  /** Checks every block's prefix with `error`, whatever the model or the request says (a CI guard, §3.3). */
  forcePrefixError: boolean;
  /** Every thinking block comes back as `redacted_thinking`. */
  redactThinking: boolean;
}

/** The resolved thinking of one request. */
export interface ThinkingRequest {
  model: ModelThinking;
  /** As sent; null when `thinking` was omitted. */
  type: ThinkingType | null;
  /** The model thinks in this request. */
  on: boolean;
  display: Display;
  effort: Effort;
  budget: number | null;
  /** `block_binding.prefix_mismatch_behavior` as sent (null: absent). */
  behavior: 'error' | 'drop_block' | null;
  bindingBeta: boolean;
  tokenCountBeta: boolean;
}

function typeError(type: string): string {
  return `"thinking.type.${type}" is not supported for this model. Use "thinking.type.adaptive" and "output_config.effort" to control thinking behavior.`;
}

function rejectExtra(obj: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {throw invalidRequest(`${where}.${key}: Extra inputs are not permitted`);}
  }
}

function parseBinding(value: JsonValue | undefined, where: string, betas: readonly string[]): 'error' | 'drop_block' | null {
  if (value === undefined || value === null) {return null;}
  // Without the beta the field does not exist (reference §1.3, BerriAI/litellm#41203).
  if (!betas.includes(BINDING_BETA)) {throw invalidRequest(`${where}: Extra inputs are not permitted`);}
  if (!isObject(value)) {throw invalidRequest(`${where}: Input should be a valid dictionary or object`);}
  rejectExtra(value, ['prefix_mismatch_behavior'], where);
  const behavior = value['prefix_mismatch_behavior'];
  if (behavior === undefined || behavior === null) {return null;}
  if (behavior !== 'error' && behavior !== 'drop_block') {
    throw invalidRequest(`${where}.prefix_mismatch_behavior: Input should be 'error' or 'drop_block'`);
  }
  return behavior;
}

function parseDisplay(value: JsonValue | undefined, where: string, betas: readonly string[]): Display | null {
  if (value === undefined || value === null) {return null;}
  const updates = betas.includes(DISPLAY_UPDATES_BETA);
  if (value === 'summarized' || value === 'omitted' || (updates && value === 'updates')) {return value;}
  // Without its beta "updates" is an unknown value like any other (reference §1.3).
  throw invalidRequest(`${where}: Input should be ${updates ? "'summarized', 'omitted' or 'updates'" : "'summarized' or 'omitted'"}`);
}

function parseEffort(body: JsonObject, model: ModelThinking): Effort {
  const config = body['output_config'];
  if (config === undefined || config === null) {return model.effort;}
  if (!isObject(config)) {throw invalidRequest('output_config: Input should be a valid dictionary or object');}
  const effort = config['effort'];
  if (effort === undefined || effort === null) {return model.effort;}
  if (typeof effort !== 'string' || !(EFFORTS as readonly string[]).includes(effort)) {
    throw invalidRequest("output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'");
  }
  // [INF] the text for a level the model lacks is undocumented.
  if (!(model.efforts as readonly string[]).includes(effort)) {
    throw invalidRequest(`output_config.effort: "${effort}" is not supported for this model.`);
  }
  return effort as Effort;
}

function forcesTool(body: JsonObject): boolean {
  const choice = body['tool_choice'];
  return isObject(choice) && (choice['type'] === 'any' || choice['type'] === 'tool');
}

/**
 * Parses `thinking` and `output_config.effort` with the model's rules (reference §1.1-1.3, §3.4).
 * `maxTokens` is null on count_tokens.
 */
export function parseThinking(body: JsonObject, modelId: string, betas: readonly string[], maxTokens: number | null, switches: ThinkingSwitches): ThinkingRequest {
  const model = modelThinking(modelId);
  const effort = parseEffort(body, model);
  const raw = body['thinking'];
  const base = { model, effort, bindingBeta: betas.includes(BINDING_BETA), tokenCountBeta: betas.includes(TOKEN_COUNT_BETA) };
  if (raw === undefined || raw === null) {
    const on = switches.thinkUnasked && model.thinksUnasked;
    if (on && forcesTool(body) && model.forcedToolChoice === 'reject') {
      throw invalidRequest('tool_choice: type "tool" and "any" are not supported for this model.');
    }
    return { ...base, type: null, on: on && !forcesTool(body), display: model.display, budget: null, behavior: null };
  }
  if (!isObject(raw)) {throw invalidRequest('thinking: Input should be a valid dictionary or object');}
  const type = raw['type'];
  if (typeof type !== 'string' || !(THINKING_TYPES as readonly string[]).includes(type)) {
    throw invalidRequest(
      `thinking: Input tag '${String(type)}' found using 'type' does not match any of the expected tags: ${THINKING_TYPES.map((t) => `'${t}'`).join(', ')}`,
    );
  }
  const where = `thinking.${type}`;
  const thinkingType = type as ThinkingType;
  rejectExtra(raw, thinkingType === 'enabled' ? ['type', 'budget_tokens', 'display', 'block_binding'] : thinkingType === 'adaptive' ? ['type', 'display', 'block_binding'] : ['type'], where);
  if (!model.types.includes(thinkingType)) {
    throw invalidRequest(thinkingType === 'adaptive' ? 'adaptive thinking is not supported on this model' : typeError(thinkingType));
  }
  if (model.lowEffortOnly.includes(thinkingType) && (effort === 'xhigh' || effort === 'max')) {
    // [INF] the text is undocumented; the rule is the table's "(effort ≤ high)".
    throw invalidRequest(`thinking.type.${thinkingType} is not supported with output_config.effort "${effort}". Use "high" or lower.`);
  }
  const display = parseDisplay(raw['display'], `${where}.display`, betas) ?? model.display;
  const behavior = parseBinding(raw['block_binding'], `${where}.block_binding`, betas);
  let budget: number | null = null;
  if (thinkingType === 'enabled') {
    const value = raw['budget_tokens'];
    if (value === undefined) {throw invalidRequest('thinking.enabled.budget_tokens: Field required');}
    if (typeof value !== 'number' || !Number.isInteger(value)) {throw invalidRequest('thinking.enabled.budget_tokens: Input should be a valid integer');}
    if (value < 1024) {throw invalidRequest('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');}
    if (maxTokens !== null && value >= maxTokens) {
      throw invalidRequest(`\`max_tokens\` must be greater than \`thinking.budget_tokens\`. Please consult our documentation at ${DOCS}#max-tokens-and-context-window-size`);
    }
    budget = value;
  }
  const thinks = thinkingType === 'adaptive' || thinkingType === 'enabled' || thinkingType === 'between_tools';
  if (thinks && forcesTool(body)) {
    if (thinkingType === 'enabled') {throw invalidRequest('Thinking may not be enabled when tool_choice forces tool use.');}
    if (model.forcedToolChoice === 'reject') {throw invalidRequest('tool_choice: type "tool" and "any" are not supported for this model.');}
  }
  // With adaptive a forced tool call works and skips thinking (reference §1.3).
  return { ...base, type: thinkingType, on: thinks && !forcesTool(body), display, budget, behavior };
}

/** True for blocks the clear_thinking edit and the checks here treat as thinking. */
export function isThinkingBlock(block: Block): boolean {
  return block.type === 'thinking' || block.type === 'redacted_thinking';
}

/** Shape of a thinking / redacted_thinking block in `messages` (paths as the real API writes them). */
export function validateThinkingBlock(block: JsonObject, where: string): void {
  const type = String(block['type']);
  const fields = type === 'thinking' ? ['thinking', 'signature'] : ['data'];
  for (const field of fields) {
    const value = block[field];
    if (value === undefined) {throw invalidRequest(`${where}.${type}.${field}: Field required`);}
    if (typeof value !== 'string') {throw invalidRequest(`${where}.${type}.${field}: Input should be a valid string`);}
  }
}

function isLiveCompaction(block: Block): boolean {
  return block.type === 'compaction' && typeof block['content'] === 'string' && block['content'] !== '';
}

/** Structural rules of §3.4 that need no signature. */
export function checkThinkingStructure(messages: readonly Message[], req: ThinkingRequest): void {
  messages.forEach((message, i) => {
    if (message.role !== 'assistant' || !message.content.some(isThinkingBlock)) {return;}
    // A threshold compaction block precedes the thinking of its iteration (reference §4).
    const first = message.content.find((block) => block.type !== 'compaction');
    if (first && !isThinkingBlock(first)) {
      throw invalidRequest(`messages.${i}.content.0: If an assistant message contains any thinking blocks, the first block must be thinking or redacted_thinking. Found ${first.type}.`);
    }
  });
  const lastIndex = messages.length - 1;
  const last = messages[lastIndex];
  if (last?.role === 'assistant') {
    const j = last.content.findIndex(isThinkingBlock);
    if (j >= 0 && !req.on) {
      throw invalidRequest(
        `messages.${lastIndex}.content.${j}: When thinking is disabled, an \`assistant\` message in the final position cannot contain \`thinking\`. To use thinking blocks, enable \`thinking\` in your request.`,
      );
    }
    if (last.content.at(-1)?.type === 'thinking') {throw invalidRequest(`messages.${lastIndex}: The final block in an assistant message cannot be \`thinking\`.`);}
  }
  // Manual mode: the assistant turn of the last tool round must open with thinking.
  if (req.type === 'enabled' && last?.role === 'user' && last.content.some((b) => b.type === 'tool_result')) {
    const call = messages[lastIndex - 1];
    const opening = call?.content.find((block) => block.type !== 'compaction');
    if (call?.role === 'assistant' && opening && !isThinkingBlock(opening)) {
      throw invalidRequest(
        `messages.${lastIndex - 1}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${opening.type}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at ${DOCS}`,
      );
    }
  }
}

// --- The prefix a block is bound to -------------------------------------------------------------
// [INF] The real binding is opaque. Here the prefix is system + non-deferred tools + every (role,
// block) pair from the latest compaction block on, serialized without cache_control and null fields
// (moving a breakpoint is not an edit, §3.2); message boundaries do not count, so consecutive turns of
// one role read the same as their merge.

function canonical(value: JsonValue | undefined): string {
  if (value === undefined || value === null) {return 'null';}
  if (Array.isArray(value)) {return `[${value.map(canonical).join(',')}]`;}
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => k !== 'cache_control' && value[k] !== null && value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class PrefixHash {
  private constructor(private readonly hash: Hash) {}

  static start(system: readonly Block[], tools: readonly JsonObject[]): PrefixHash {
    const hash = createHash('sha256');
    hash.update(`system\0${canonical([...system])}\0tools\0`);
    for (const tool of tools) {
      if (tool['defer_loading'] !== true) {hash.update(`${canonical(tool)}\0`);}
    }
    return new PrefixHash(hash.update('messages\0'));
  }

  add(role: Message['role'], block: Block): void {
    this.hash.update(`${role}\0${canonical(block)}\0`);
  }

  digest(): Buffer {
    return this.hash.copy().digest();
  }

  copy(): PrefixHash {
    return new PrefixHash(this.hash.copy());
  }
}

/**
 * What the server remembers of an on-demand compaction: the prefix of the messages it summarized, so
 * that turns kept right after the signed block keep valid thinking (reference §4 "On demand" (b), (c)).
 * Keyed by the block's signature and the system + tools it was made under.
 */
export class OnDemandPrefixes {
  private readonly byKey = new Map<string, PrefixHash>();

  private static key(signature: string, start: PrefixHash): string {
    return `${signature}\0${start.digest().toString('hex')}`;
  }

  remember(signature: string, system: readonly Block[], tools: readonly JsonObject[], summarized: PrefixHash): void {
    this.byKey.set(OnDemandPrefixes.key(signature, PrefixHash.start(system, tools)), summarized.copy());
    if (this.byKey.size > 1000) {this.byKey.delete(this.byKey.keys().next().value ?? '');}
  }

  recall(signature: string, system: readonly Block[], tools: readonly JsonObject[]): PrefixHash | undefined {
    return this.byKey.get(OnDemandPrefixes.key(signature, PrefixHash.start(system, tools)))?.copy();
  }

  clear(): void {
    this.byKey.clear();
  }
}

// --- Signatures ---------------------------------------------------------------------------------
// thinking: "ErUB" + base64(mac(text)[16] | mac(prefix)[16] | seal[16]); redacted data: "RdAB" +
// base64(nonce[16] | mac(prefix)[16] | seal[16]). The seal tells a forged signature (Invalid
// signature) from edited text (cannot be modified) and from a changed prefix (bound elsewhere).

const SIGNATURE_PREFIX = 'ErUB';
const REDACTED_PREFIX = 'RdAB';
const MAC_BYTES = 16;

function mac(secret: string, label: string, data: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(`thinking:${label}`).update('\0').update(data).digest().subarray(0, MAC_BYTES);
}

function sealed(secret: string, prefix: string, head: Buffer, prefixMac: Buffer): string {
  const body = Buffer.concat([head, prefixMac]);
  return prefix + Buffer.concat([body, mac(secret, 'seal', body)]).toString('base64');
}

export function signThinking(secret: string, text: string, prefix: PrefixHash): string {
  return sealed(secret, SIGNATURE_PREFIX, mac(secret, 'text', text), mac(secret, 'prefix', prefix.digest()));
}

export function redactedData(secret: string, prefix: PrefixHash): string {
  return sealed(secret, REDACTED_PREFIX, randomBytes(MAC_BYTES), mac(secret, 'prefix', prefix.digest()));
}

function same(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The head (text mac or nonce) and prefix mac of a sealed value, or null when it does not verify. */
function unseal(secret: string, prefix: string, value: string): { head: Buffer; prefixMac: Buffer } | null {
  if (!value.startsWith(prefix)) {return null;}
  const encoded = value.slice(prefix.length);
  const raw = Buffer.from(encoded, 'base64');
  if (raw.length !== 3 * MAC_BYTES || raw.toString('base64') !== encoded) {return null;}
  const body = raw.subarray(0, 2 * MAC_BYTES);
  if (!same(mac(secret, 'seal', body), raw.subarray(2 * MAC_BYTES))) {return null;}
  return { head: raw.subarray(0, MAC_BYTES), prefixMac: raw.subarray(MAC_BYTES, 2 * MAC_BYTES) };
}

export interface BindingResult {
  /** The messages the model sees: dropped blocks removed. */
  messages: Message[];
  /** `input_transformations` of the response: null without the binding beta. */
  transformations: JsonObject[] | null;
  /** The prefix through the last message as the model sees it; new blocks of the reply continue it. */
  prefix: PrefixHash;
}

export interface BindingContext {
  system: readonly Block[];
  tools: readonly JsonObject[];
  secret: string;
  switches: ThinkingSwitches;
  onDemand: OnDemandPrefixes;
}

function bindingError(where: string, type: string, bindingBeta: boolean): Error {
  const field = type === 'thinking' ? 'signature' : 'data';
  return invalidRequest(
    `${where}: Invalid \`${field}\` in \`${type}\` block. The block is bound to a different conversation. Remove the block, or set ` +
      '`thinking.block_binding.prefix_mismatch_behavior` to "drop_block".' +
      (bindingBeta ? '' : ` That setting requires the \`${BINDING_BETA}\` value in the \`anthropic-beta\` header.`) +
      ' The content that preceded this block when it was created differs from this request.',
  );
}

/**
 * Verifies every thinking block after the latest compaction block against its signature and the
 * prefix it was made on (reference §3.2-3.4), dropping or refusing as the request and model say.
 * Blocks before the compaction block are ignored by the server, so they are not checked.
 */
export function checkBindings(messages: readonly Message[], req: ThinkingRequest, ctx: BindingContext): BindingResult {
  const { secret, switches } = ctx;
  // The anchor: the latest compaction block with content.
  let anchorM = -1;
  let anchorB = -1;
  for (let m = messages.length - 1; m >= 0 && anchorM < 0; m--) {
    const content = messages[m]?.content ?? [];
    for (let b = content.length - 1; b >= 0; b--) {
      if (content[b] && isLiveCompaction(content[b]!)) {
        anchorM = m;
        anchorB = b;
        break;
      }
    }
  }
  let prefix = PrefixHash.start(ctx.system, ctx.tools);
  if (anchorM >= 0) {
    const anchor = messages[anchorM]!.content[anchorB]!;
    const signature = anchor['signature'];
    const recalled = typeof signature === 'string' ? ctx.onDemand.recall(signature, ctx.system, ctx.tools) : undefined;
    if (recalled) {prefix = recalled;}
    else {prefix.add(messages[anchorM]!.role, anchor);}
  }
  const enforced =
    switches.forcePrefixError ||
    req.model.prefixCheck === 'always' ||
    (req.model.prefixCheck === 'new-accounts' && (!switches.legacyAccount || req.behavior !== null));
  const behavior = switches.forcePrefixError ? 'error' : (req.behavior ?? 'error');
  const lastAssistant = messages.map((m) => m.role).lastIndexOf('assistant');
  const transformations: JsonObject[] = [];
  let dropping = false;
  const out = messages.map((message, m): Message => {
    if (m < anchorM) {return message;}
    const content: Block[] = [];
    message.content.forEach((block, b) => {
      if (m === anchorM && b <= anchorB) {
        content.push(block);
        return;
      }
      const where = `messages.${m}.content.${b}`;
      if (!isThinkingBlock(block) || message.role !== 'assistant' || !req.on) {
        content.push(block);
        // A failed (null) compaction block is a no-op for the server and not part of the prefix.
        if (!(block.type === 'compaction' && !isLiveCompaction(block))) {prefix.add(message.role, block);}
        return;
      }
      if (dropping) {
        transformations.push({ type: 'thinking_dropped', path: where, reason: 'prefix_binding_mismatch' });
        return;
      }
      const thinking = block.type === 'thinking';
      const value = String(thinking ? block['signature'] : block['data']);
      const opened = unseal(secret, thinking ? SIGNATURE_PREFIX : REDACTED_PREFIX, value);
      if (!opened) {throw invalidRequest(`${where}: Invalid \`${thinking ? 'signature' : 'data'}\` in \`${block.type}\` block`);}
      if (thinking && !same(opened.head, mac(secret, 'text', String(block['thinking'])))) {
        if (m === lastAssistant) {
          throw invalidRequest(`${where}: \`thinking\` or \`redacted_thinking\` blocks in the latest assistant message cannot be modified. These blocks must remain as they were in the original response.`);
        }
        throw invalidRequest(`${where}: Invalid \`signature\` in \`thinking\` block`);
      }
      if (!same(opened.prefixMac, mac(secret, 'prefix', prefix.digest()))) {
        if (!enforced) {
          // Shown all the same; reported only under the binding beta (reference §3.2).
          transformations.push({ type: 'thinking_mismatch_allowed', path: where, reason: 'prefix_binding_mismatch' });
        } else if (behavior === 'error') {
          throw bindingError(where, block.type, req.bindingBeta);
        } else {
          // drop_block: this block and every later thinking block go (later ones were made on a prefix holding it).
          dropping = true;
          transformations.push({ type: 'thinking_dropped', path: where, reason: 'prefix_binding_mismatch' });
          return;
        }
      }
      content.push(block);
      prefix.add(message.role, block);
    });
    return content.length === message.content.length ? message : { role: message.role, content };
  });
  return { messages: out, transformations: req.bindingBeta ? transformations : null, prefix };
}

// --- Generation ---------------------------------------------------------------------------------

/** Sentences of the emulated reasoning; effort decides how many (deterministic for a given prompt). */
const REASONING = [
  'The user asks: "{q}".',
  'First, check what the conversation already established and what the request changes.',
  'Then weigh the simplest approach against the edge cases it might miss.',
  'Consider how to verify the answer before giving it.',
  'Finally, decide on the shape of the answer: short, with code where it helps.',
];
const SENTENCES: Record<Effort, number> = { low: 1, medium: 2, high: 3, xhigh: 4, max: 5 };
/** Raw reasoning is longer than what `summarized` shows (another model summarizes it) [INF ratio]. */
const RAW_PER_SHOWN = 2;
/** Characters per streamed thinking delta. */
const THINKING_DELTA_CHARS = 40;

export interface ThinkingScript {
  /** The shown thinking text; null: no thinking block this time (adaptive may skip thinking). */
  thinking?: string | null;
  redactedThinking?: boolean;
}

export interface ThinkingPlan {
  /** Reasoning shown (summarized), or '' (omitted, updates). */
  shown: string;
  redacted: boolean;
  /** Raw reasoning tokens billed (thinking_tokens), already capped by max_tokens and the budget. */
  tokens: number;
  display: Display;
  /** A thinking block opens the reply. */
  block: boolean;
}

export function planThinking(req: ThinkingRequest, script: ThinkingScript | undefined, userText: string | null, maxTokens: number, charsPerToken: number, switches: ThinkingSwitches): ThinkingPlan | null {
  if (!req.on) {return null;}
  if (req.type === 'between_tools' && userText !== null) {return null;}
  if (script?.thinking === null) {return null;}
  const question = (userText ?? 'continue from the summary').replace(/\s+/g, ' ').trim().slice(0, 60);
  const text = script?.thinking ?? REASONING.slice(0, SENTENCES[req.effort]).join(' ').replace('{q}', question);
  const raw = Math.ceil(text.length / charsPerToken) * (req.display === 'summarized' ? RAW_PER_SHOWN : 1);
  const cap = Math.min(maxTokens, req.budget ?? Number.POSITIVE_INFINITY);
  return {
    shown: req.display === 'summarized' ? text : '',
    redacted: script?.redactedThinking === true || switches.redactThinking,
    tokens: Math.min(raw, cap),
    display: req.display,
    block: true,
  };
}

export interface ThinkingStreamBlock {
  start: JsonObject;
  deltas: JsonObject[];
  final: JsonObject;
}

function split(text: string): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += THINKING_DELTA_CHARS) {pieces.push(text.slice(i, i + THINKING_DELTA_CHARS));}
  return pieces;
}

/** A signed thinking block as it streams: start with both keys empty, deltas, exactly one signature_delta (§2). */
export function thinkingBlock(text: string, prefix: PrefixHash, secret: string, tokenCountBeta: boolean, estimatedTokens: number | null): ThinkingStreamBlock {
  const signature = signThinking(secret, text, prefix);
  const deltas = split(text).map((thinking): JsonObject => (tokenCountBeta ? { type: 'thinking_delta', thinking, estimated_tokens: null } : { type: 'thinking_delta', thinking }));
  if (tokenCountBeta && estimatedTokens !== null && text === '') {
    // [INF] with display omitted the token-count beta sends textless deltas carrying the estimate.
    deltas.push({ type: 'thinking_delta', thinking: '', estimated_tokens: estimatedTokens });
  }
  deltas.push({ type: 'signature_delta', signature });
  return { start: { type: 'thinking', thinking: '', signature: '' }, deltas, final: { type: 'thinking', thinking: text, signature } };
}

/** [INF] redacted blocks arrive whole in content_block_start (no delta type exists for them). */
export function redactedBlock(prefix: PrefixHash, secret: string): ThinkingStreamBlock {
  const block = { type: 'redacted_thinking', data: redactedData(secret, prefix) };
  return { start: block, deltas: [], final: block };
}

/** The short text of a progress-update block before a tool call (display "updates"). */
export function progressUpdate(toolName: string, input: JsonValue): string {
  const detail = isObject(input) ? Object.values(input).find((v): v is string => typeof v === 'string') : undefined;
  return detail ? `Using ${toolName} on ${detail.slice(0, 60)}.` : `Using ${toolName}.`;
}
