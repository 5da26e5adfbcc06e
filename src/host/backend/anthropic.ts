// Builds the client of Anthropic's own API (the first-party endpoint, a gateway through
// `marathon.apiBaseUrl`, or the demo emulator) from resolved credentials.
import type { MessagesClient } from '../../core/session';
import type { Credentials } from '../apiKey';
import { loadEngine } from '../engineLoader';

export async function createAnthropicClient(credentials: Credentials): Promise<MessagesClient> {
  const { createClient } = await loadEngine();
  return createClient({ apiKey: credentials.apiKey, baseURL: credentials.baseURL });
}
