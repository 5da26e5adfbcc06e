// Request validation with the real API's rules and messages (paths like `messages.N.content.M.<type>.<key>`),
// so a client that passes here is not surprised by the real server (reference §1, §2.2, §6 "Validation").

import {
  DEFAULT_TRIGGER,
  MIN_TRIGGER,
  ON_DEMAND_BETA,
  THRESHOLD_BETA,
  checkCompactionBlocks,
} from './compaction';
import type { ClearingEdits, FieldReader } from './contextEditing';
import { CONTEXT_MANAGEMENT_BETA, parseClearThinking, parseClearToolUses, supportsContextEditing } from './contextEditing';
import { maxOutputTokens, supportsSummarize, supportsThreshold } from './models';
import type { OnDemandPrefixes, ThinkingSwitches } from './thinking';
import { checkBindings, checkThinkingStructure, parseThinking, validateThinkingBlock } from './thinking';
import type { Block, CacheControl, JsonObject, JsonValue, Message, MessagesRequest, ThresholdEdit } from './types';
import { invalidRequest, isObject } from './types';

export type Endpoint = 'create' | 'count_tokens';

const MAX_CACHE_BREAKPOINTS = 4;
const MAX_INSTRUCTIONS_CHARS = 16_384;

const COUNT_TOKENS_KEYS = [
  'model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'context_management', 'compaction',
  'cache_control', 'mcp_servers', 'output_config', 'output_format', 'speed', 'billing_policy',
];
const CREATE_KEYS = [
  ...COUNT_TOKENS_KEYS, 'max_tokens', 'stream', 'stop_sequences', 'metadata', 'temperature', 'top_p', 'top_k',
  'container', 'diagnostics', 'fallback_credit_token', 'fallbacks', 'inference_geo', 'service_tier', 'thread',
];

/** Every block type a request may carry; the keys of the commonly replayed ones are checked strictly. */
const BLOCK_TYPES = [
  'text', 'image', 'document', 'search_result', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result',
  'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result', 'advisor_tool_result',
  'code_execution_tool_result', 'bash_code_execution_tool_result', 'text_editor_code_execution_tool_result',
  'tool_search_tool_result', 'mcp_tool_use', 'mcp_tool_result', 'container_upload', 'compaction',
  'tool_addition', 'tool_removal', 'mcp_tool_listing', 'fallback',
];
const SYSTEM_MESSAGE_BLOCK_TYPES = ['text', 'tool_addition', 'tool_removal', 'compaction'];
const STRICT_BLOCK_KEYS: Record<string, string[]> = {
  text: ['type', 'text', 'cache_control', 'citations'],
  tool_use: ['type', 'id', 'name', 'input', 'cache_control', 'caller', 'toolset_name'],
  tool_result: ['type', 'tool_use_id', 'content', 'is_error', 'cache_control', 'toolset_name'],
  thinking: ['type', 'thinking', 'signature'],
  redacted_thinking: ['type', 'data'],
  compaction: ['type', 'content', 'signature', 'tool_changes', 'cache_control'],
};

function at(where: string, key: string | number): string {
  return where ? `${where}.${key}` : String(key);
}

function rejectExtraKeys(obj: JsonObject, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {throw invalidRequest(`${at(where, key)}: Extra inputs are not permitted`);}
  }
}

function requireString(value: JsonValue | undefined, where: string): string {
  if (value === undefined) {throw invalidRequest(`${where}: Field required`);}
  if (typeof value !== 'string') {throw invalidRequest(`${where}: Input should be a valid string`);}
  return value;
}

function optionalStringOrNull(value: JsonValue | undefined, where: string): string | null {
  if (value === undefined || value === null) {return null;}
  return requireString(value, where);
}

function requireInteger(value: JsonValue | undefined, where: string, min: number): number {
  if (value === undefined) {throw invalidRequest(`${where}: Field required`);}
  if (typeof value !== 'number' || !Number.isInteger(value)) {throw invalidRequest(`${where}: Input should be a valid integer`);}
  if (value < min) {throw invalidRequest(`${where}: Input should be greater than or equal to ${min}`);}
  return value;
}

function requireObject(value: JsonValue | undefined, where: string): JsonObject {
  if (!isObject(value)) {throw invalidRequest(`${where}: Input should be a valid dictionary or object`);}
  return value;
}

/** Counts breakpoints while checking their shape; the real API allows four per request. */
class CacheControlCounter {
  count = 0;

  check(owner: JsonObject, where: string): void {
    const value = owner['cache_control'];
    if (value === undefined || value === null) {return;}
    const cc = requireObject(value, at(where, 'cache_control'));
    rejectExtraKeys(cc, ['type', 'ttl'], at(where, 'cache_control'));
    if (cc['type'] !== 'ephemeral') {throw invalidRequest(`${at(where, 'cache_control.type')}: Input should be 'ephemeral'`);}
    if (cc['ttl'] !== undefined && cc['ttl'] !== '5m' && cc['ttl'] !== '1h') {
      throw invalidRequest(`${at(where, 'cache_control.ttl')}: Input should be '5m' or '1h'`);
    }
    this.count++;
  }
}

export function parseBetas(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(',') : (header ?? '');
  return joined
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

interface ValidationContext {
  betas: string[];
  allowEncryptedContent: boolean;
  strictCompactionBetas: boolean;
  cacheControls: CacheControlCounter;
}

/**
 * Empty and whitespace-only text is refused wherever a text block stands. The API names only the top-level
 * field ("messages: text content blocks must contain non-whitespace text", as in anthropics/claude-code#23440;
 * "messages: text content blocks must be non-empty", stackblitz/bolt.new#7426).
 */
function validateTextBlock(block: JsonObject, where: string): void {
  const text = requireString(block['text'], at(where, 'text'));
  const root = where.split('.')[0] ?? where;
  if (text === '') {throw invalidRequest(`${root}: text content blocks must be non-empty`);}
  if (text.trim() === '') {throw invalidRequest(`${root}: text content blocks must contain non-whitespace text`);}
  const citations = block['citations'];
  if (citations !== undefined && citations !== null && !Array.isArray(citations)) {
    throw invalidRequest(`${at(where, 'citations')}: Input should be a valid list`);
  }
}

function validateCompactionBlock(block: JsonObject, where: string, ctx: ValidationContext, typeError: string): void {
  const signed = typeof block['signature'] === 'string';
  // The block type exists only under a compaction beta; a signed (on-demand) block needs its own beta.
  const gated = signed ? ctx.betas.includes(ON_DEMAND_BETA) : ctx.betas.some((b) => b === THRESHOLD_BETA || b === ON_DEMAND_BETA);
  if (!gated) {throw invalidRequest(typeError);}
  // "The API rejects compaction blocks whose strategy is undeclared" (reference §1.1): an unsigned block
  // comes from threshold compaction, so the on-demand beta alone does not declare it. The exact wording
  // of the real message is not published; this one names the field and the missing value.
  // A null block (a failed compaction) is a no-op and declares nothing.
  if (!signed && block['content'] !== null && block['content'] !== undefined && ctx.strictCompactionBetas && !ctx.betas.includes(THRESHOLD_BETA)) {
    throw invalidRequest(
      `${where}: this compaction block has no signature, so it comes from threshold compaction (compact_20260112), ` +
        `which requires the anthropic-beta header ${THRESHOLD_BETA}`,
    );
  }
  const content = block['content'];
  if (content !== undefined && content !== null && typeof content !== 'string') {
    throw invalidRequest(`${at(where, 'content')}: Input should be a valid string`);
  }
  if (content === '') {throw invalidRequest(`${at(where, 'content')}: content can't be empty`);}
  optionalStringOrNull(block['signature'], at(where, 'signature'));
  const toolChanges = block['tool_changes'];
  if (toolChanges !== undefined && toolChanges !== null && !Array.isArray(toolChanges)) {
    throw invalidRequest(`${at(where, 'tool_changes')}: Input should be a valid list`);
  }
  if (ctx.allowEncryptedContent) {optionalStringOrNull(block['encrypted_content'], at(where, 'encrypted_content'));}
}

function validateToolResult(block: JsonObject, where: string, ctx: ValidationContext): void {
  requireString(block['tool_use_id'], at(where, 'tool_use_id'));
  const content = block['content'];
  if (Array.isArray(content)) {
    content.forEach((inner, k) => {
      const innerWhere = at(where, `content.${k}`);
      const innerBlock = requireObject(inner, innerWhere);
      if (innerBlock['type'] === 'text') {validateTextBlock(innerBlock, innerWhere);}
      ctx.cacheControls.check(innerBlock, innerWhere);
    });
  } else if (content !== undefined && typeof content !== 'string') {
    throw invalidRequest(`${at(where, 'content')}: Input should be a valid string or list`);
  }
  if (block['is_error'] !== undefined && typeof block['is_error'] !== 'boolean') {
    throw invalidRequest(`${at(where, 'is_error')}: Input should be a valid boolean`);
  }
}

function validateBlock(value: JsonValue, where: string, role: Message['role'], ctx: ValidationContext): Block {
  const block = requireObject(value, where);
  const type = requireString(block['type'], at(where, 'type'));
  const allowed = role === 'system' ? SYSTEM_MESSAGE_BLOCK_TYPES : BLOCK_TYPES;
  const typeError =
    `${where}: Input tag '${type}' found using 'type' is not one of the expected content block types: ` +
    allowed.filter((t) => t !== 'compaction').map((t) => `'${t}'`).join(', ');
  if (!allowed.includes(type)) {throw invalidRequest(typeError);}
  const strictKeys = STRICT_BLOCK_KEYS[type];
  if (strictKeys) {
    const keys = type === 'compaction' && ctx.allowEncryptedContent ? [...strictKeys, 'encrypted_content'] : strictKeys;
    rejectExtraKeys(block, keys, at(where, type));
  }
  switch (type) {
    case 'text':
      validateTextBlock(block, where);
      break;
    case 'compaction':
      validateCompactionBlock(block, at(where, 'compaction'), ctx, typeError);
      break;
    case 'tool_use':
      requireString(block['id'], at(where, 'id'));
      requireString(block['name'], at(where, 'name'));
      requireObject(block['input'], at(where, 'input'));
      break;
    case 'tool_result':
      validateToolResult(block, where, ctx);
      break;
    case 'thinking':
    case 'redacted_thinking':
      validateThinkingBlock(block, where);
      break;
  }
  ctx.cacheControls.check(block, where);
  return { ...block, type };
}

function validateMessages(value: JsonValue | undefined, ctx: ValidationContext): Message[] {
  if (value === undefined) {throw invalidRequest('messages: Field required');}
  if (!Array.isArray(value)) {throw invalidRequest('messages: Input should be a valid list');}
  const messages = value.map((raw, i): Message => {
    const where = `messages.${i}`;
    const message = requireObject(raw, where);
    const role = message['role'];
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      throw invalidRequest(`${where}.role: Input should be 'user', 'assistant' or 'system'`);
    }
    rejectExtraKeys(message, role === 'system' ? ['role', 'content', 'clear_at', 'output_config'] : ['role', 'content'], where);
    const content = message['content'];
    if (content === undefined && role !== 'system') {throw invalidRequest(`${where}.content: Field required`);}
    if (typeof content === 'string') {
      return { role, content: [validateBlock({ type: 'text', text: content }, `${where}.content`, role, ctx)] };
    }
    if (content !== undefined && !Array.isArray(content)) {throw invalidRequest(`${where}.content: Input should be a valid string or list`);}
    return { role, content: (content ?? []).map((block, j) => validateBlock(block, `${where}.content.${j}`, role, ctx)) };
  });
  messages.forEach((message, i) => {
    const isFinalAssistant = i === messages.length - 1 && message.role === 'assistant';
    if (message.content.length === 0 && message.role !== 'system' && !isFinalAssistant) {
      throw invalidRequest('messages: all messages must have non-empty content except for the optional final assistant message');
    }
  });
  return messages;
}

/** Every tool_use must be answered by a tool_result in the next message, and every tool_result must answer one. */
function checkToolPairing(messages: Message[]): void {
  messages.forEach((message, i) => {
    const next = messages[i + 1];
    if (message.role === 'assistant' && next) {
      const answered = new Set(next.role === 'user' ? next.content.filter((b) => b.type === 'tool_result').map((b) => b['tool_use_id']) : []);
      const missing = message.content.filter((b) => b.type === 'tool_use' && !answered.has(b['id'])).map((b) => String(b['id']));
      const calls = message.content.filter((b) => b.type === 'tool_use').length;
      const leading = next.content.findIndex((b) => b.type !== 'tool_result');
      if (!missing.length && calls > 0 && leading >= 0 && leading < calls) {
        throw invalidRequest(
          `messages.${i + 1}: Did not find ${calls} \`tool_result\` block(s) at the beginning of this message. ` +
            'Messages following `tool_use` blocks must begin with a matching number of `tool_result` blocks.',
        );
      }
      if (missing.length) {
        throw invalidRequest(
          `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. ` +
            'Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
        );
      }
    }
    if (message.role === 'user') {
      const previous = messages[i - 1];
      const uses = new Set(previous?.role === 'assistant' ? previous.content.filter((b) => b.type === 'tool_use').map((b) => b['id']) : []);
      message.content.forEach((block, j) => {
        if (block.type === 'tool_result' && !uses.has(block['tool_use_id'])) {
          throw invalidRequest(
            `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(block['tool_use_id'])}. ` +
              'Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
          );
        }
      });
    }
  });
}

function validateSystem(value: JsonValue | undefined, ctx: ValidationContext): Block[] {
  if (value === undefined || value === null) {return [];}
  if (typeof value === 'string') {return value === '' ? [] : [{ type: 'text', text: value }];}
  if (!Array.isArray(value)) {throw invalidRequest('system: Input should be a valid string or list');}
  return value.map((raw, i) => {
    const where = `system.${i}`;
    const block = requireObject(raw, where);
    if (block['type'] !== 'text') {throw invalidRequest(`${where}.type: Input should be 'text'`);}
    rejectExtraKeys(block, STRICT_BLOCK_KEYS['text'] ?? [], where);
    validateTextBlock(block, where);
    ctx.cacheControls.check(block, where);
    return { ...block, type: 'text' };
  });
}

function validateTools(value: JsonValue | undefined, ctx: ValidationContext): JsonObject[] {
  if (value === undefined) {return [];}
  if (!Array.isArray(value)) {throw invalidRequest('tools: Input should be a valid list');}
  const names = new Set<string>();
  return value.map((raw, i) => {
    const where = `tools.${i}`;
    const tool = requireObject(raw, where);
    const isCustom = tool['type'] === undefined || tool['type'] === null || tool['type'] === 'custom';
    if (isCustom) {
      const name = requireString(tool['name'], `${where}.name`);
      if (!/^[a-zA-Z0-9_-]{1,128}$/.test(name)) {
        throw invalidRequest(`${where}.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      }
      requireObject(tool['input_schema'], `${where}.input_schema`);
    }
    const name = tool['name'];
    if (typeof name === 'string') {
      if (names.has(name)) {throw invalidRequest('tools: Tool names must be unique.');}
      names.add(name);
    }
    ctx.cacheControls.check(tool, where);
    return tool;
  });
}

function validateThresholdEdit(edit: JsonObject, where: string, betas: string[]): ThresholdEdit {
  if (!betas.includes(THRESHOLD_BETA)) {
    throw invalidRequest(`${where}: compact_20260112 requires the anthropic-beta header ${THRESHOLD_BETA}`);
  }
  rejectExtraKeys(edit, ['type', 'trigger', 'pause_after_compaction', 'instructions'], where);
  let trigger = DEFAULT_TRIGGER;
  const rawTrigger = edit['trigger'];
  if (rawTrigger !== undefined && rawTrigger !== null) {
    const t = requireObject(rawTrigger, `${where}.trigger`);
    rejectExtraKeys(t, ['type', 'value'], `${where}.trigger`);
    if (t['type'] !== 'input_tokens') {throw invalidRequest(`${where}.trigger.type: Input should be 'input_tokens'`);}
    trigger = requireInteger(t['value'], `${where}.trigger.value`, MIN_TRIGGER);
  }
  const pause = edit['pause_after_compaction'];
  if (pause !== undefined && typeof pause !== 'boolean') {
    throw invalidRequest(`${where}.pause_after_compaction: Input should be a valid boolean`);
  }
  return { trigger, pause: pause === true, instructions: optionalStringOrNull(edit['instructions'], `${where}.instructions`) };
}

const FIELDS: FieldReader = { object: requireObject, integer: requireInteger, string: requireString, rejectExtraKeys };

function validateContextManagement(
  value: JsonValue | undefined,
  betas: string[],
  thinkingOn: boolean,
  model: string,
): { threshold: ThresholdEdit | null; clearing: ClearingEdits } {
  const clearing: ClearingEdits = { thinking: null, toolUses: null };
  if (value === undefined || value === null) {return { threshold: null, clearing };}
  const cm = requireObject(value, 'context_management');
  rejectExtraKeys(cm, ['edits'], 'context_management');
  const edits = cm['edits'] ?? [];
  if (!Array.isArray(edits)) {throw invalidRequest('context_management.edits: Input should be a valid list');}
  let threshold: ThresholdEdit | null = null;
  edits.forEach((raw, i) => {
    const where = `context_management.edits.${i}`;
    const edit = requireObject(raw, where);
    const type = edit['type'];
    switch (type) {
      case 'compact_20260112':
        if (threshold) {throw invalidRequest(`${where}: compact_20260112 may be listed only once`);}
        threshold = validateThresholdEdit(edit, where, betas);
        break;
      case 'clear_thinking_20251015':
      case 'clear_tool_uses_20250919':
        if (!betas.includes(CONTEXT_MANAGEMENT_BETA)) {
          throw invalidRequest(`${where}: ${type} requires the anthropic-beta header ${CONTEXT_MANAGEMENT_BETA}`);
        }
        // [INF] The message is undocumented; the Models API reports the capability (models.ts).
        if (!supportsContextEditing(model)) {throw invalidRequest(`${where}: ${type} is not supported for model ${model}`);}
        if (type === 'clear_thinking_20251015') {
          if (i !== 0) {throw invalidRequest(`${where}: clear_thinking_20251015 must be listed first in the edits array`);}
          if (!thinkingOn) {throw invalidRequest(`${where}: \`clear_thinking_20251015\` strategy requires \`thinking\` to be enabled`);}
          clearing.thinking = parseClearThinking(edit, where, FIELDS, model);
        } else {
          if (clearing.toolUses) {throw invalidRequest(`${where}: clear_tool_uses_20250919 may be listed only once`);}
          clearing.toolUses = parseClearToolUses(edit, where, FIELDS);
        }
        break;
      default:
        throw invalidRequest(
          `${where}.type: Input tag '${String(type)}' found using 'type' does not match any of the expected tags: ` +
            "'clear_tool_uses_20250919', 'clear_thinking_20251015', 'compact_20260112'",
        );
    }
  });
  return { threshold, clearing };
}

/** The top-level on-demand `compaction` parameter (reference §1.4), checked against what it can't be combined with. */
function validateOnDemand(body: JsonObject, model: string, betas: string[]): { instructions: string | null } {
  if (!betas.includes(ON_DEMAND_BETA)) {
    throw invalidRequest(`compaction: this parameter requires anthropic-beta: ${ON_DEMAND_BETA}`);
  }
  const config = requireObject(body['compaction'], 'compaction');
  rejectExtraKeys(config, ['type', 'instructions'], 'compaction');
  if (config['type'] !== 'summarize') {throw invalidRequest("compaction.type: Input should be 'summarize'");}
  const instructions = optionalStringOrNull(config['instructions'], 'compaction.instructions');
  if (instructions !== null && instructions.length > MAX_INSTRUCTIONS_CHARS) {
    throw invalidRequest(`compaction.instructions: String should have at most ${MAX_INSTRUCTIONS_CHARS} characters`);
  }
  if (!supportsSummarize(model)) {throw invalidRequest(`compaction: the summarize compaction type is not supported for model ${model}`);}
  const outputConfig = isObject(body['output_config']) ? body['output_config'] : {};
  const taskBudget = outputConfig['task_budget'];
  const toolChoice = body['tool_choice'];
  const conflicts: [boolean, string][] = [
    [body['context_management'] !== undefined && body['context_management'] !== null, 'context_management'],
    [body['stop_sequences'] !== undefined && body['stop_sequences'] !== null, 'stop_sequences'],
    [(outputConfig['format'] ?? null) !== null || (body['output_format'] ?? null) !== null, 'output_config.format'],
    [isObject(toolChoice) && (toolChoice['type'] === 'any' || toolChoice['type'] === 'tool'), 'tool_choice of type any or tool'],
    [isObject(taskBudget) && taskBudget['remaining'] !== undefined, 'output_config.task_budget.remaining'],
  ];
  for (const [present, name] of conflicts) {
    if (present) {throw invalidRequest(`compaction: cannot be combined with \`${name}\``);}
  }
  return { instructions: instructions !== null && instructions.trim() !== '' ? instructions : null };
}

function validateToolChoice(value: JsonValue | undefined, tools: JsonObject[]): void {
  if (value === undefined) {return;}
  const choice = requireObject(value, 'tool_choice');
  const type = choice['type'];
  if (type !== 'auto' && type !== 'any' && type !== 'tool' && type !== 'none') {
    throw invalidRequest("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (type === 'tool') {
    const name = requireString(choice['name'], 'tool_choice.name');
    if (!tools.some((t) => t['name'] === name)) {throw invalidRequest(`tool_choice: Tool '${name}' not found in 'tools'`);}
  }
}

function validateStopSequences(value: JsonValue | undefined): string[] {
  if (value === undefined || value === null) {return [];}
  if (!Array.isArray(value)) {throw invalidRequest('stop_sequences: Input should be a valid list');}
  return value.map((s, i) => {
    const seq = requireString(s, `stop_sequences.${i}`);
    if (seq.trim() === '') {throw invalidRequest('stop_sequences: each stop sequence must contain non-whitespace');}
    return seq;
  });
}

function hasContentToSummarize(messages: Message[]): boolean {
  return messages.some(
    (m) => m.role !== 'system' && m.content.some((b) => !(b.type === 'compaction' && (b['content'] ?? null) === null)),
  );
}

export interface ValidationOptions {
  allowEncryptedContent: boolean;
  signingSecret: string;
  thinking: ThinkingSwitches;
  onDemandPrefixes: OnDemandPrefixes;
  /** Refuse unsigned compaction blocks without the threshold beta (default on). */
  strictCompactionBetas?: boolean;
}

export function validateRequest(body: JsonValue, betas: string[], endpoint: Endpoint, opts: ValidationOptions): MessagesRequest {
  if (!isObject(body)) {throw invalidRequest('The request body is not a valid JSON object.');}
  rejectExtraKeys(body, endpoint === 'create' ? CREATE_KEYS : COUNT_TOKENS_KEYS, '');
  const model = requireString(body['model'], 'model');
  const maxTokens = endpoint === 'create' ? requireInteger(body['max_tokens'], 'max_tokens', 1) : 0;
  const modelMax = maxOutputTokens(model);
  if (endpoint === 'create' && modelMax !== null && maxTokens > modelMax) {
    throw invalidRequest(`max_tokens: ${maxTokens} > ${modelMax}, which is the maximum allowed number of output tokens for ${model}`);
  }
  const stream = body['stream'] ?? false;
  if (typeof stream !== 'boolean') {throw invalidRequest('stream: Input should be a valid boolean');}

  const compactionBetas = betas.filter((b) => b === THRESHOLD_BETA || b === ON_DEMAND_BETA);
  if (compactionBetas.length && !supportsThreshold(model)) {
    throw invalidRequest(`anthropic-beta: ${compactionBetas.join(', ')} is not supported for model ${model}`);
  }
  const thinking = parseThinking(body, model, betas, endpoint === 'create' ? maxTokens : null, opts.thinking);
  // [INF] "requires thinking to be enabled": thinking as the request resolves it, unasked included.
  const { threshold, clearing } = validateContextManagement(body['context_management'], betas, thinking.on || thinking.type === 'adaptive' || thinking.type === 'enabled', model);
  const wantsOnDemand = endpoint === 'create' && body['compaction'] !== undefined && body['compaction'] !== null;
  const onDemand = wantsOnDemand ? validateOnDemand(body, model, betas) : null;

  const ctx: ValidationContext = {
    betas,
    allowEncryptedContent: opts.allowEncryptedContent,
    strictCompactionBetas: opts.strictCompactionBetas ?? true,
    cacheControls: new CacheControlCounter(),
  };
  const system = validateSystem(body['system'], ctx);
  const tools = validateTools(body['tools'], ctx);
  validateToolChoice(body['tool_choice'], tools);
  const stopSequences = endpoint === 'create' ? validateStopSequences(body['stop_sequences']) : [];
  let topCacheControl: CacheControl | null = null;
  if (body['cache_control'] !== undefined && body['cache_control'] !== null) {
    ctx.cacheControls.check(body, '');
    topCacheControl = { ttl: isObject(body['cache_control']) && body['cache_control']['ttl'] === '1h' ? '1h' : '5m' };
  }

  const messages = validateMessages(body['messages'], ctx);
  if (onDemand && !hasContentToSummarize(messages)) {
    throw invalidRequest('messages holds no user or assistant content to summarize.', 'compaction_nothing_to_summarize');
  }
  if (messages.length === 0) {throw invalidRequest('messages: at least one message is required');}
  if (ctx.cacheControls.count > MAX_CACHE_BREAKPOINTS) {
    throw invalidRequest(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${ctx.cacheControls.count}.`);
  }
  checkCompactionBlocks(messages, opts.signingSecret, threshold !== null);
  checkThinkingStructure(messages, thinking);
  const binding = checkBindings(messages, thinking, { system, tools, secret: opts.signingSecret, switches: opts.thinking, onDemand: opts.onDemandPrefixes });
  const last = messages[messages.length - 1];
  if (onDemand && last?.role === 'assistant' && last.content.some((b) => b.type === 'tool_use')) {
    throw invalidRequest(
      'The compaction request ends on an assistant turn that is not finished: answer its tool_use blocks first.',
      'compaction_incomplete_turn',
    );
  }
  checkToolPairing(messages);
  const lastBlock = last?.content[last.content.length - 1];
  if (endpoint === 'create' && last?.role === 'assistant' && lastBlock?.type === 'text' && /\s$/.test(String(lastBlock['text']))) {
    throw invalidRequest('messages: final assistant content cannot end with trailing whitespace');
  }

  return {
    model,
    maxTokens,
    stream,
    system,
    tools,
    messages: binding.messages,
    threshold,
    clearing,
    onDemand,
    compactionBeta: compactionBetas.length > 0,
    contextManagementSent: body['context_management'] !== undefined && body['context_management'] !== null,
    topCacheControl,
    stopSequences,
    thinking,
    binding,
  };
}
