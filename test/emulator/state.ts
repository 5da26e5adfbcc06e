// Mutable emulator state, shared by the in-process handle and the HTTP control API (/_emulator/*).

import { PromptCache } from './cache';
import { OnDemandPrefixes } from './thinking';
import type { EngineContext } from './engine';
import type {
  ConfigPatch,
  EmulatorConfig,
  ExpectationResult,
  Fault,
  Message,
  JsonValue,
  OnDemandFailStopReason,
  RecordedRequest,
  ScriptedReply,
  TransportFault,
} from './types';
import { invalidRequest, isObject } from './types';

const ON_DEMAND_FAIL_REASONS: OnDemandFailStopReason[] = ['max_tokens', 'tool_use', 'refusal', 'end_turn', 'model_context_window_exceeded'];
const SCRIPT_STOP_REASONS = ['end_turn', 'max_tokens', 'refusal', 'pause_turn', 'stop_sequence', 'model_context_window_exceeded'];
const ENCRYPTED_PLACES = ['none', 'block', 'delta'];

export class EmulatorState implements EngineContext {
  /** Every /v1/messages and count_tokens request, in order, including rejected ones. */
  readonly requests: RecordedRequest[] = [];
  /** FIFO; each /v1/messages request consumes at most the head. */
  readonly faults: Fault[] = [];
  /** FIFO; each sampling (not a compaction-only response) consumes one. */
  readonly replies: ScriptedReply[] = [];
  readonly cache = new PromptCache();
  readonly onDemandPrefixes = new OnDemandPrefixes();
  /** Outcomes of scripted replies' tool-result expectations, in order. */
  readonly expectations: ExpectationResult[] = [];
  private repliesTaken = 0;
  private overrides: ConfigPatch = {};
  // Compaction faults wait, once taken from the queue, for the next compaction of their kind.
  /** One entry per armed failed summary: whether a paused request stops after it. */
  private readonly armedNullCompactions: boolean[] = [];
  private readonly armedOnDemandFailures: OnDemandFailStopReason[] = [];

  constructor(
    private readonly defaults: EmulatorConfig,
    readonly signingSecret: string,
  ) {}

  get config(): EmulatorConfig {
    return { ...this.defaults, ...this.overrides, shapes: { ...this.defaults.shapes, ...this.overrides.shapes } };
  }

  configure(patch: ConfigPatch): EmulatorConfig {
    this.overrides = { ...this.overrides, ...patch, shapes: { ...this.overrides.shapes, ...patch.shapes } };
    return this.config;
  }

  addFaults(faults: Fault[]): void {
    this.faults.push(...faults);
  }

  addReplies(replies: ScriptedReply[]): void {
    this.replies.push(...replies);
  }

  /** Clears requests, faults, scripts, config overrides and the prompt cache. */
  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
    this.replies.length = 0;
    this.expectations.length = 0;
    this.repliesTaken = 0;
    this.overrides = {};
    this.armedNullCompactions.length = 0;
    this.armedOnDemandFailures.length = 0;
    this.cache.clear();
    this.onDemandPrefixes.clear();
  }

  /** Takes the head fault; compaction faults are armed for later and leave this request untouched. */
  takeFault(): TransportFault | undefined {
    const fault = this.faults.shift();
    if (fault?.kind === 'null-compaction') {this.armedNullCompactions.push(fault.pause === true);}
    else if (fault?.kind === 'on-demand-fail') {this.armedOnDemandFailures.push(fault.stopReason);}
    else {return fault;}
    return undefined;
  }

  nextReply(): ScriptedReply | undefined {
    const reply = this.replies.shift();
    if (reply) {
      this.repliesTaken++;
    }
    return reply;
  }

  checkToolResults(reply: ScriptedReply, messages: Message[]): void {
    const last = messages[messages.length - 1];
    const results = last?.role === 'user' ? last.content.filter((block) => block.type === 'tool_result') : [];
    for (const expected of reply.expectToolResult ?? []) {
      const result = expected.toolUseId === undefined ? results[0] : results.find((block) => block['tool_use_id'] === expected.toolUseId);
      const content = result?.['content'];
      const text = typeof content === 'string' ? content : Array.isArray(content) ? content.map((inner) => (isObject(inner) && typeof inner['text'] === 'string' ? inner['text'] : '')).join('') : '';
      const problems: string[] = [];
      if (!result) {
        problems.push(`no tool_result${expected.toolUseId ? ` for ${expected.toolUseId}` : ''} in the last user message`);
      } else {
        if (expected.includes !== undefined && !text.includes(expected.includes)) {
          problems.push(`content does not include ${JSON.stringify(expected.includes)}: ${JSON.stringify(text.slice(0, 200))}`);
        }
        if (expected.isError !== undefined && (result['is_error'] === true) !== expected.isError) {
          problems.push(`is_error is ${String(result['is_error'] === true)}, expected ${String(expected.isError)}`);
        }
      }
      this.expectations.push({ reply: this.repliesTaken, ok: problems.length === 0, message: problems.join('; ') || 'ok' });
    }
  }

  /** The next armed failed summary, if any: `{ pause }` says whether a paused request stops after it. */
  takeNullCompaction(): { pause: boolean } | undefined {
    const pause = this.armedNullCompactions.shift();
    return pause === undefined ? undefined : { pause };
  }

  takeOnDemandFailure(): OnDemandFailStopReason | undefined {
    return this.armedOnDemandFailures.shift();
  }
}

// --- Parsing of control API payloads (so a typo in a test fails loudly instead of doing nothing) ---

function field(obj: { [key: string]: JsonValue }, key: string, type: 'number' | 'string' | 'boolean', required: boolean): void {
  const value = obj[key];
  if (value === undefined ? required : typeof value !== type) {
    throw invalidRequest(`${key}: expected ${type}${required ? '' : ' when given'}`);
  }
}

function parseFault(value: JsonValue): Fault {
  if (!isObject(value)) {throw invalidRequest('faults: each fault must be an object');}
  switch (value['kind']) {
    case 'http':
      field(value, 'status', 'number', true);
      field(value, 'errorType', 'string', true);
      field(value, 'message', 'string', false);
      field(value, 'errorCode', 'string', false);
      field(value, 'retryAfter', 'number', false);
      field(value, 'shouldRetry', 'boolean', false);
      break;
    case 'stall':
    case 'drop':
    case 'malformed':
    case 'stream-error':
      if (value['kind'] === 'stall') {field(value, 'ms', 'number', true);}
      field(value, 'afterDeltas', 'number', true);
      field(value, 'errorType', 'string', false);
      break;
    case 'null-compaction':
      field(value, 'pause', 'boolean', false);
      break;
    case 'on-demand-fail':
      if (!ON_DEMAND_FAIL_REASONS.includes(value['stopReason'] as OnDemandFailStopReason)) {
        throw invalidRequest(`stopReason: expected one of ${ON_DEMAND_FAIL_REASONS.join(', ')}`);
      }
      break;
    default:
      throw invalidRequest(`kind: unknown fault kind ${JSON.stringify(value['kind'])}`);
  }
  return value as unknown as Fault;
}

export function parseFaults(body: JsonValue): Fault[] {
  if (!isObject(body) || !Array.isArray(body['faults'])) {throw invalidRequest('expected {"faults": [...]}');}
  return body['faults'].map(parseFault);
}

function parseReply(value: JsonValue): ScriptedReply {
  if (!isObject(value)) {throw invalidRequest('replies: each reply must be an object');}
  field(value, 'text', 'string', false);
  field(value, 'chunks', 'number', false);
  field(value, 'delayMs', 'number', false);
  field(value, 'outputTokens', 'number', false);
  field(value, 'redactedThinking', 'boolean', false);
  if (value['thinking'] !== undefined && value['thinking'] !== null && typeof value['thinking'] !== 'string') {
    throw invalidRequest('thinking: expected string or null when given');
  }
  field(value, 'stopSequence', 'string', false);
  const blocks = value['textBlocks'];
  if (blocks !== undefined && !(Array.isArray(blocks) && blocks.every((b) => typeof b === 'string'))) {
    throw invalidRequest('textBlocks: expected an array of strings');
  }
  const expect = value['expectToolResult'];
  if (expect !== undefined && !(Array.isArray(expect) && expect.every((e) => isObject(e)))) {
    throw invalidRequest('expectToolResult: expected [{toolUseId?, includes?, isError?}]');
  }
  const stop = value['stopReason'];
  if (stop !== undefined && !SCRIPT_STOP_REASONS.includes(String(stop))) {
    throw invalidRequest(`stopReason: expected one of ${SCRIPT_STOP_REASONS.join(', ')}`);
  }
  const toolUse = value['toolUse'];
  if (toolUse !== undefined && !(Array.isArray(toolUse) && toolUse.every((t) => isObject(t) && typeof t['name'] === 'string'))) {
    throw invalidRequest('toolUse: expected [{name, input, id?}]');
  }
  return value;
}

export function parseReplies(body: JsonValue): ScriptedReply[] {
  if (!isObject(body) || !Array.isArray(body['replies'])) {throw invalidRequest('expected {"replies": [...]}');}
  return body['replies'].map(parseReply);
}

function parseShapes(value: JsonValue): void {
  if (!isObject(value)) {throw invalidRequest('shapes: expected an object');}
  for (const key of Object.keys(value)) {
    if (key === 'compactionStartEmpty' || key === 'omitToolChanges') {field(value, key, 'boolean', true);}
    else if (key === 'summaryDeltas') {
      field(value, key, 'number', true);
      if (!(Number(value[key]) >= 1)) {throw invalidRequest('shapes.summaryDeltas: must be >= 1');}
    } else if (key === 'textBeforeCompaction') {field(value, key, 'string', true);}
    else if (key === 'encryptedContent') {
      if (!ENCRYPTED_PLACES.includes(String(value[key]))) {throw invalidRequest(`shapes.encryptedContent: expected one of ${ENCRYPTED_PLACES.join(', ')}`);}
    } else {throw invalidRequest(`shapes.${key}: unknown shape key`);}
  }
}

export function parseConfigPatch(body: JsonValue): ConfigPatch {
  if (!isObject(body)) {throw invalidRequest('expected a JSON object');}
  const numbers = ['charsPerToken', 'tokenMultiplier', 'contextWindow', 'chunkDelayMs', 'firstTokenDelayMs', 'summaryDelayMs'];
  for (const key of Object.keys(body)) {
    if (numbers.includes(key)) {field(body, key, 'number', true);}
    else if (key === 'minCacheableTokens') {
      if (body[key] !== null) {field(body, key, 'number', true);}
    } else if (['allowEncryptedContent', 'thinkUnasked', 'legacyAccount', 'forcePrefixError', 'redactThinking', 'strictCompactionBetas', 'maxTokensInWindow'].includes(key)) {field(body, key, 'boolean', true);}
    else if (key === 'summaryTemplate') {field(body, key, 'string', true);}
    else if (key === 'shapes') {parseShapes(body[key] ?? null);}
    else {throw invalidRequest(`${key}: unknown config key`);}
  }
  if (body['charsPerToken'] !== undefined && !(Number(body['charsPerToken']) > 0)) {throw invalidRequest('charsPerToken: must be > 0');}
  return body;
}
