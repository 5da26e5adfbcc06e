// Creates the Anthropic client on first use, so activation never loads the SDK.
import type { MessagesClient } from './session';

export interface ClientOptions {
  apiKey: string;
  /** Empty: the SDK's default, which honours ANTHROPIC_BASE_URL. */
  baseURL?: string;
}

export async function createClient(options: ClientOptions): Promise<MessagesClient> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  // Marathon retries itself, so that a dropped stream and a refused request follow one policy.
  return new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL || undefined, maxRetries: 0 });
}

/** A cheap authenticated call to check a key before storing it. */
export async function validateApiKey(options: ClientOptions): Promise<void> {
  const { default: Anthropic } = await import('@anthropic-ai/sdk');
  const client = new Anthropic({ apiKey: options.apiKey, baseURL: options.baseURL || undefined, maxRetries: 1, timeout: 15_000 });
  await client.models.list({ limit: 1 });
}
