// How long to wait before retrying a failed request: the server's wait when it gave a usable one (read by
// errors.ts the way the SDK reads it, uncapped up to what one timer can hold), else exponential backoff.
import type { ClassifiedError } from './errors';

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  /** Cap of Marathon's own backoff; a server's `retry-after` is honoured beyond it, as the SDK does. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 30_000 };

/** The delay before retry number `attempt + 1` (attempt counts from 0). */
export function retryDelayMs(error: Pick<ClassifiedError, 'retryAfterSeconds'>, attempt: number, policy: RetryPolicy): number {
  if (error.retryAfterSeconds !== undefined) {
    return error.retryAfterSeconds * 1000;
  }
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
}
