// Classifies every failure once, so the host shows one short sentence with an action and logs the rest.
// Loaded with the SDK on first use, never during activation.
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { ErrorKind } from '../shared/protocol';

export interface ClassifiedError {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  /** Seconds the server asked us to wait, from `retry-after`. */
  retryAfterSeconds?: number;
  /** The API's stable `error_code`, when it sent one. */
  errorCode?: string;
  /** Set when the user stopped the request: a quiet outcome, not an error. */
  aborted?: boolean;
}

/** The fields of the SDK's `APIError` that classification reads (duck-typed so core needs no SDK import). */
interface ApiErrorShape {
  status?: number;
  errorCode?: string | null;
  apiMessage?: string | null;
  type?: string | null;
  headers?: { get(name: string): string | null } | undefined;
  message?: string;
}

const COMPACTION_MESSAGES: Readonly<Record<string, string>> = {
  compaction_block_ambiguous: 'The conversation holds more than one summary; Marathon will keep only the newest.',
  compaction_block_misplaced: 'A conversation summary was out of place in the request.',
  compaction_content_mismatch: 'A conversation summary was changed after the server signed it.',
  compaction_incomplete_turn: 'The conversation cannot be compacted while a tool call is unanswered.',
  compaction_nothing_to_summarize: 'There is nothing to compact yet.',
  compaction_signature_invalid: "A conversation summary's signature did not verify.",
  compaction_too_many_tool_references: 'The conversation uses more tools than one summary can record.',
  compaction_tool_changes_mismatch: "A conversation summary's tool changes were altered.",
  compaction_unavailable: 'Compaction is temporarily unavailable on the server.',
};

function retryAfter(error: ApiErrorShape): number | undefined {
  const headers = error.headers;
  if (!headers || typeof headers.get !== 'function') {
    return undefined;
  }
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) {
    return ms / 1000;
  }
  const raw = headers.get('retry-after');
  if (raw === null) {
    return undefined;
  }
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds);
  }
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, (date - Date.now()) / 1000) : undefined;
}

export function classifyError(raw: unknown): ClassifiedError {
  if (typeof raw !== 'object' || raw === null) {
    return { kind: 'unknown', message: String(raw), retryable: false };
  }
  const error = raw as ApiErrorShape;
  if (raw instanceof APIUserAbortError || (raw instanceof Error && raw.name === 'AbortError')) {
    return { kind: 'unknown', message: 'Stopped.', retryable: false, aborted: true };
  }
  if (raw instanceof APIConnectionTimeoutError) {
    return { kind: 'connection', message: 'The request to the API timed out.', retryable: true };
  }
  if (raw instanceof APIConnectionError) {
    return { kind: 'connection', message: 'Could not reach the API. Check your network and `marathon.apiBaseUrl`.', retryable: true };
  }
  // The SDK's stream wraps the parse error in an AnthropicError whose `cause` it is.
  if (raw instanceof SyntaxError || (raw as { cause?: unknown }).cause instanceof SyntaxError) {
    // A stream event that is not JSON: the response was damaged on its way, and asking again usually works.
    return { kind: 'server', message: 'The API sent a malformed response.', retryable: true };
  }
  const status = typeof error.status === 'number' ? error.status : undefined;
  const code = error.errorCode ?? undefined;
  const apiMessage = error.apiMessage ?? error.message ?? 'Unknown error';
  const after = retryAfter(error);
  const base = { errorCode: code, retryAfterSeconds: after };
  if (code && COMPACTION_MESSAGES[code]) {
    return { ...base, kind: 'compaction', message: COMPACTION_MESSAGES[code], retryable: code === 'compaction_unavailable' };
  }
  if (status === undefined) {
    // Errors sent inside a stream have no status; their body type says what happened.
    if (error.type === 'overloaded_error') {
      return { ...base, kind: 'overloaded', message: 'The API is overloaded right now.', retryable: true };
    }
    if (error.type === 'api_error') {
      return { ...base, kind: 'server', message: 'The API had an internal error.', retryable: true };
    }
    if (/terminated|socket|ECONNRESET|network|fetch failed|ended without/i.test(error.message ?? '')) {
      return { ...base, kind: 'connection', message: 'The connection to the API dropped.', retryable: true };
    }
    return { ...base, kind: 'unknown', message: error.message ?? 'Unknown error', retryable: false };
  }
  switch (status) {
    case 401:
      return { ...base, kind: 'auth', message: 'The API key was rejected (401). Set a valid key.', retryable: false };
    case 403:
      return { ...base, kind: 'auth', message: `The API key may not use this model or feature (403): ${apiMessage}`, retryable: false };
    case 404:
      return { ...base, kind: 'invalidRequest', message: `Not found (404): ${apiMessage}. Check \`marathon.model\` and \`marathon.apiBaseUrl\`.`, retryable: false };
    case 413:
      return { ...base, kind: 'contextWindow', message: 'The request is too large for the API.', retryable: false };
    case 429:
      return { ...base, kind: 'rateLimit', message: 'Rate limited by the API.', retryable: true };
    case 529:
      return { ...base, kind: 'overloaded', message: 'The API is overloaded right now.', retryable: true };
    case 400:
      if (/prompt is too long|context window|model_context_window_exceeded|too many tokens/i.test(apiMessage)) {
        return { ...base, kind: 'contextWindow', message: 'The conversation no longer fits the model’s context window.', retryable: false };
      }
      return { ...base, kind: 'invalidRequest', message: `The API refused the request: ${apiMessage}`, retryable: false };
    default:
      if (status >= 500) {
        return { ...base, kind: 'server', message: `The API had a server error (${status}).`, retryable: true };
      }
      return { ...base, kind: 'invalidRequest', message: `The API refused the request (${status}): ${apiMessage}`, retryable: false };
  }
}

/** True when a 400 says the model or gateway does not know a compaction beta. */
export function isCompactionUnsupported(raw: unknown, classified: ClassifiedError): boolean {
  if (classified.kind !== 'invalidRequest') {
    return false;
  }
  const message = (raw as ApiErrorShape).apiMessage ?? (raw as ApiErrorShape).message ?? '';
  return /compact|context_management|anthropic-beta/i.test(message) && /not (supported|available|enabled)|unsupported|unknown|invalid beta/i.test(message);
}
