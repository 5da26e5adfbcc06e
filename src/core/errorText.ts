// Turns anything thrown into text for a message or a log line, so that no module rolls its own.
// SDK-free, so the host may import it without loading the SDK.

/** The message of an Error, or the thrown value as text. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What the logger takes: the Error itself (with its stack), or the thrown value as text. */
export function loggableError(error: unknown): Error | string {
  return error instanceof Error ? error : String(error);
}
