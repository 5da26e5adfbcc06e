// Creates the client of the chosen cloud platform, loading only that platform's bundle (each platform
// SDK is its own chunk next to the engine), and checks a connection with one small request.
import type { PlatformClientConfig } from './providers';
import type { MessagesClient } from './session';

export interface PlatformClientOptions {
  fetch?: typeof fetch;
  timeout?: number;
}

export async function createPlatformClient(config: PlatformClientConfig, options: PlatformClientOptions = {}): Promise<MessagesClient> {
  switch (config.provider) {
    case 'bedrock':
      return (await import('./platforms/bedrock')).createBedrockClient(config, options);
    case 'vertex':
      return (await import('./platforms/vertex')).createVertexClient(config, options);
    case 'foundry':
      return (await import('./platforms/foundry')).createFoundryClient(config, options);
  }
}

/**
 * One cheap authenticated call: the platforms have no Models API in their clients, so a one-token
 * message is the smallest request that proves credentials, region and model access together.
 */
export async function checkPlatformConnection(config: PlatformClientConfig, model: string, options: PlatformClientOptions = {}): Promise<void> {
  const client = await createPlatformClient(config, { timeout: 30_000, ...options });
  await client.beta.messages.create({ model, max_tokens: 1, messages: [{ role: 'user', content: 'ping' }] });
}
