// Classifies every failure once, so the host shows one short sentence with an action and logs the rest.
// Loaded with the SDK on first use, never during activation.
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from '@anthropic-ai/sdk';
import type { ErrorKind } from '../shared/protocol';
import { DEFAULT_UNREACHABLE } from './endpoint';
import { platformProblem } from './platformErrors';

export interface ClassifiedError {
  kind: ErrorKind;
  message: string;
  retryable: boolean;
  /** Seconds the server asked us to wait, from `retry-after-ms` / `retry-after`, when usable (see `retryAfter`). */
  retryAfterSeconds?: number;
  /** From "input length and `max_tokens` exceed context limit: A + B > C": the prompt and window sizes. */
  contextLimit?: { inputTokens: number; maxTokens: number; limit: number };
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
  compaction_block_ambiguous: 'The request held more than one conversation summary, which the API refuses.',
  compaction_block_misplaced: 'A conversation summary was out of place in the request.',
  compaction_content_mismatch: 'A conversation summary was changed after the server signed it.',
  compaction_incomplete_turn: 'The conversation cannot be compacted while a tool call is unanswered.',
  compaction_nothing_to_summarize: 'There is nothing to compact yet.',
  compaction_signature_invalid: "A conversation summary's signature did not verify.",
  compaction_too_many_tool_references: 'The conversation uses more tools than one summary can record.',
  compaction_tool_changes_mismatch: "A conversation summary's tool changes were altered.",
  compaction_unavailable: 'Compaction is temporarily unavailable on the server.',
};

/** setTimeout's largest delay; the SDK ignores a server wait it cannot represent. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The wait the server asked for, read as the SDK 1.14 reads it (`src/client.ts` retryRequest):
 * `retry-after-ms` first, then `retry-after` in seconds or as an HTTP date. Only a positive wait that one
 * timer can represent counts; anything else (absent, unparseable, zero, negative, a past date, over
 * 2^31-1 ms) means "use the default backoff". No lower cap than that: a 30 s cap would retry too early.
 */
function retryAfter(error: ApiErrorShape): number | undefined {
  const headers = error.headers;
  if (!headers || typeof headers.get !== 'function') {
    return undefined;
  }
  let ms: number | undefined;
  const msHeader = headers.get('retry-after-ms');
  if (msHeader) {
    const parsed = parseFloat(msHeader);
    ms = Number.isNaN(parsed) ? undefined : parsed;
  }
  const raw = headers.get('retry-after');
  if (raw && !ms) {
    const seconds = parseFloat(raw);
    ms = Number.isNaN(seconds) ? Date.parse(raw) - Date.now() : seconds * 1000;
  }
  return ms !== undefined && ms > 0 && ms <= MAX_TIMER_MS ? ms / 1000 : undefined;
}

/**
 * Whether the SDK 1.14 would retry this status (`src/client.ts` shouldRetry): the server's
 * `x-should-retry` decides when present; otherwise 408 (request timeout), 409 (lock timeout), 429 and 5xx.
 */
function sdkShouldRetry(error: ApiErrorShape, status: number): boolean {
  const header = error.headers && typeof error.headers.get === 'function' ? error.headers.get('x-should-retry') : null;
  if (header === 'true') {
    return true;
  }
  if (header === 'false') {
    return false;
  }
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

const CONTEXT_LIMIT = /input length and `?max_tokens`? exceed context limit: (\d+) \+ (\d+) > (\d+)/;

/**
 * `unreachable` is the sentence for a connection that could not be made: only the host knows what
 * serves the turn (the demo backend, a base URL, a cloud platform), and so what the user should check.
 */
export function classifyError(raw: unknown, unreachable: string = DEFAULT_UNREACHABLE): ClassifiedError {
  if (typeof raw !== 'object' || raw === null) {
    return { kind: 'unknown', message: String(raw), retryable: false };
  }
  const error = raw as ApiErrorShape;
  if (raw instanceof APIUserAbortError || (raw instanceof Error && raw.name === 'AbortError')) {
    return { kind: 'unknown', message: 'Stopped.', retryable: false, aborted: true };
  }
  // A cloud platform's own refusal (credentials, SSO session, region, model access), said with its fix;
  // credential failures arrive as connection errors, so this comes first.
  const platform = platformProblem(raw);
  if (platform) {
    const kind: ErrorKind = platform.kind === 'wrongRegion' || platform.kind === 'modelNotEnabled' ? 'invalidRequest' : 'auth';
    return { kind, message: platform.message, retryable: false };
  }
  if (raw instanceof APIConnectionTimeoutError) {
    return { kind: 'connection', message: 'The request to the API timed out.', retryable: true };
  }
  if (raw instanceof APIConnectionError) {
    return { kind: 'connection', message: unreachable, retryable: true };
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
    const retryable = code === 'compaction_unavailable' && (status === undefined || sdkShouldRetry(error, status));
    return { ...base, kind: 'compaction', message: COMPACTION_MESSAGES[code], retryable };
  }
  if (status === undefined) {
    // Errors sent inside a stream have no status; their body type says what happened.
    if (error.type === 'overloaded_error') {
      return { ...base, kind: 'overloaded', message: 'The API is overloaded right now.', retryable: true };
    }
    if (error.type === 'api_error') {
      return { ...base, kind: 'server', message: 'The API had an internal error.', retryable: true };
    }
    // Bedrock ends a stream with an AWS exception frame, which its client turns into an error event.
    if (error.type === 'serviceUnavailableException' || error.type === 'throttlingException') {
      return { ...base, kind: 'overloaded', message: 'The platform is overloaded right now.', retryable: true };
    }
    if (error.type === 'internalServerException' || error.type === 'modelStreamErrorException' || error.type === 'modelTimeoutException') {
      return { ...base, kind: 'server', message: 'The platform had an internal error.', retryable: true };
    }
    if (/terminated|socket|ECONNRESET|network|fetch failed|ended without/i.test(error.message ?? '')) {
      return { ...base, kind: 'connection', message: 'The connection to the API dropped.', retryable: true };
    }
    return { ...base, kind: 'unknown', message: error.message ?? 'Unknown error', retryable: false };
  }
  const classified = classifyStatus(status, apiMessage, base);
  return { ...classified, retryable: sdkShouldRetry(error, status) };
}

function classifyStatus(status: number, apiMessage: string, base: Pick<ClassifiedError, 'errorCode' | 'retryAfterSeconds'>): ClassifiedError {
  switch (status) {
    case 401:
      return { ...base, kind: 'auth', message: 'The API key was rejected (401). Set a valid key.', retryable: false };
    case 403:
      return { ...base, kind: 'auth', message: `The API key may not use this model or feature (403): ${apiMessage}`, retryable: false };
    case 404:
      return { ...base, kind: 'invalidRequest', message: `Not found (404): ${apiMessage}. Check the model (marathon.model) and the API base URL (marathon.apiBaseUrl) settings.`, retryable: false };
    case 408:
      return { ...base, kind: 'connection', message: 'The request to the API timed out.', retryable: true };
    case 409:
      return { ...base, kind: 'server', message: 'The API was busy with a conflicting request (409).', retryable: true };
    case 413:
      return { ...base, kind: 'contextWindow', message: 'The request is too large for the API.', retryable: false };
    case 429:
      return { ...base, kind: 'rateLimit', message: 'Rate limited by the API.', retryable: true };
    case 529:
      return { ...base, kind: 'overloaded', message: 'The API is overloaded right now.', retryable: true };
    case 400: {
      const limit = CONTEXT_LIMIT.exec(apiMessage);
      if (limit) {
        // The prompt fits, the prompt plus `max_tokens` does not: a smaller `max_tokens` or a compaction makes it fit.
        const contextLimit = { inputTokens: Number(limit[1]), maxTokens: Number(limit[2]), limit: Number(limit[3]) };
        return { ...base, kind: 'contextWindow', message: 'The conversation and the answer’s room (the marathon.maxTokens setting) no longer fit the model’s context window.', retryable: false, contextLimit };
      }
      if (/prompt is too long|context window|model_context_window_exceeded|too many tokens/i.test(apiMessage)) {
        return { ...base, kind: 'contextWindow', message: 'The conversation no longer fits the model’s context window.', retryable: false };
      }
      return { ...base, kind: 'invalidRequest', message: `The API refused the request: ${apiMessage}`, retryable: false };
    }
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
  // Bedrock names no beta: "The model returned the following errors: invalid beta flag".
  return (/compact|context_management|anthropic-beta/i.test(message) && /not (supported|available|enabled)|unsupported|unknown|invalid beta/i.test(message)) || /invalid beta flag/i.test(message);
}
