// Types shared by the emulator modules. Wire shapes follow /work/shared/reference/compaction-api.md.

import type { ClearingEdits } from './contextEditing';
import type { BindingResult, ThinkingRequest, ThinkingScript, ThinkingSwitches } from './thinking';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type StopReason =
  | 'end_turn'
  | 'max_tokens'
  | 'stop_sequence'
  | 'tool_use'
  | 'pause_turn'
  | 'compaction'
  | 'refusal'
  | 'model_context_window_exceeded';

/** Stop reasons a failed on-demand compaction can report (reference §2.3). */
export type OnDemandFailStopReason = 'max_tokens' | 'tool_use' | 'refusal' | 'end_turn' | 'model_context_window_exceeded';

export type Fault =
  | {
      kind: 'http';
      status: number;
      errorType: string;
      message?: string;
      errorCode?: string;
      retryAfter?: number;
      shouldRetry?: boolean;
    }
  | { kind: 'drop'; afterDeltas: number }
  | { kind: 'stream-error'; afterDeltas: number; errorType?: string }
  | { kind: 'stall'; afterDeltas: number; ms: number }
  | { kind: 'malformed'; afterDeltas: number }
  /** The next threshold summarization fails (`content: null`); with `pause`, a paused request stops right after the null block. */
  | { kind: 'null-compaction'; pause?: boolean }
  | { kind: 'on-demand-fail'; stopReason: OnDemandFailStopReason };

/** Faults that act on the transport of one response (as opposed to armed compaction faults). */
export type TransportFault = Extract<Fault, { kind: 'http' | 'drop' | 'stream-error' | 'stall' | 'malformed' }>;
export type StreamFault = Exclude<TransportFault, { kind: 'http' }>;

export interface ScriptedToolUse {
  id?: string;
  name: string;
  input: unknown;
}

/**
 * What a scripted reply expects of the tool results in the request that consumes it (the last user
 * message). Mismatches are recorded (GET /_emulator/expectations), not answered with an error, so a
 * test sees every one of them.
 */
export interface ToolResultExpectation {
  /** The tool_use id answered; absent: the first tool_result of the message. */
  toolUseId?: string;
  /** Text the result's content must contain. */
  includes?: string;
  /** Whether the result must (or must not) be marked is_error. */
  isError?: boolean;
}

export interface ExpectationResult {
  /** Index of the scripted reply among all consumed so far. */
  reply: number;
  ok: boolean;
  message: string;
}

export interface ScriptedReply extends ThinkingScript {
  /** Checked against the tool results of the request that consumes this reply. */
  expectToolResult?: ToolResultExpectation[];
  text?: string;
  /** Split `text` into this many deltas. */
  chunks?: number;
  /** Delay between deltas, in ms. */
  delayMs?: number;
  stopReason?: 'end_turn' | 'max_tokens' | 'refusal' | 'pause_turn' | 'stop_sequence' | 'model_context_window_exceeded';
  /** The sequence reported with `stopReason: 'stop_sequence'` (default "\n\nHuman:"). */
  stopSequence?: string;
  /** Extra text blocks emitted before the reply's text, as given: the API sometimes sends "" or "\n\n" ones. */
  textBlocks?: string[];
  /** Emitted as tool_use blocks after the text; the stop reason becomes tool_use. */
  toolUse?: ScriptedToolUse[];
  /** Reported output tokens instead of the computed count. */
  outputTokens?: number;
}

export interface EmulatorConfig extends ThinkingSwitches {
  /** Tokens of a text = ceil(chars / charsPerToken). */
  charsPerToken: number;
  /** Every counted input token is multiplied by this. */
  tokenMultiplier: number;
  /** Effective prompts above this are rejected with "prompt is too long". */
  contextWindow: number;
  /** Delay between streamed text deltas. */
  chunkDelayMs: number;
  /** Delay before the first content block of a stream, like the real API's time to first token. */
  firstTokenDelayMs: number;
  /** Prefixes shorter than this are never written to the prompt cache; null = the model's own minimum (models.ts), 0 = none. */
  minCacheableTokens: number | null;
  /** Accept `encrypted_content` on replayed compaction blocks (the real API rejects it unless it sent it). */
  allowEncryptedContent: boolean;
  /** Summary text; placeholders {messages}, {lastUser}, {topics}, {instructions}. */
  summaryTemplate: string;
  /** Pause before a threshold summary's compaction_delta (the server is summarizing); only pings flow meanwhile. */
  summaryDelayMs: number;
  /**
   * Refuse a compaction block whose strategy the request does not declare: an unsigned (threshold) block
   * with content needs compact-2026-01-12 even under the on-demand beta. On by default.
   */
  strictCompactionBetas: boolean;
  /** Refuse a request whose prompt plus `max_tokens` exceeds the window, as the API does. On by default. */
  maxTokensInWindow: boolean;
  /** Stream shapes other servers and proxies send (all off by default: the shapes of the reference). */
  shapes: StreamShapes;
}

export interface StreamShapes {
  /** A threshold block's content_block_start carries `content: ""` instead of `null`. */
  compactionStartEmpty: boolean;
  /** The threshold summary arrives split over this many compaction_delta events (1 = the reference's single delta). */
  summaryDeltas: number;
  /** Where a threshold block's `encrypted_content` rides, if anywhere; replaying what was sent is then accepted. */
  encryptedContent: 'none' | 'block' | 'delta';
  /** Text emitted as a block before a threshold compaction block, so the compaction block is not the first. */
  textBeforeCompaction: string;
  /** On-demand blocks come without a `tool_changes` key. */
  omitToolChanges: boolean;
}

export type ConfigPatch = Partial<Omit<EmulatorConfig, 'shapes'>> & { shapes?: Partial<StreamShapes> };

export interface RecordedRequest {
  /** Path without the query string. */
  path: string;
  /** Raw query string without '?', '' when none. */
  query: string;
  betas: string[];
  /** The x-api-key header as given ('' when missing). */
  apiKey: string;
  /** Parsed JSON body; the raw text when it was not valid JSON. */
  body: JsonValue;
  at: number;
  /** Response status (200 for a stream, even one cut later); null while in flight or when dropped before a response. */
  status: number | null;
  /** The cloud platform endpoint the request came to (`platforms/`); absent for the Anthropic API. */
  platform?: 'bedrock' | 'vertex' | 'foundry';
  /** How a platform request was signed: `sigv4:<key id>:<region>`, `bearer`, `oauth`, `api-key`, `entra`. */
  auth?: string;
}

/** An error the emulator answers with the API's error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    readonly errorCode?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function invalidRequest(message: string, errorCode?: string): ApiError {
  return new ApiError(400, 'invalid_request_error', message, errorCode);
}

export interface CacheControl {
  ttl: '5m' | '1h';
}

/** A content block as received; validation guarantees `type`. */
export interface Block extends JsonObject {
  type: string;
}

export interface Message {
  role: 'user' | 'assistant' | 'system';
  content: Block[];
}

export interface ThresholdEdit {
  trigger: number;
  pause: boolean;
  instructions: string | null;
}

/** A validated /v1/messages or count_tokens request with string contents normalized to blocks. */
export interface MessagesRequest {
  model: string;
  maxTokens: number;
  stream: boolean;
  system: Block[];
  tools: JsonObject[];
  messages: Message[];
  threshold: ThresholdEdit | null;
  /** clear_thinking_20251015 / clear_tool_uses_20250919, applied by contextEditing.ts. */
  clearing: ClearingEdits;
  onDemand: { instructions: string | null } | null;
  /** A compaction beta is on, so usage carries `iterations`. */
  compactionBeta: boolean;
  contextManagementSent: boolean;
  topCacheControl: CacheControl | null;
  stopSequences: string[];
  thinking: ThinkingRequest;
  /** The thinking-block checks: `messages` above is already what they left. */
  binding: BindingResult;
}
