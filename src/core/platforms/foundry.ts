// Builds the Microsoft Foundry client with Anthropic's own `@anthropic-ai/foundry-sdk`. It ships as its own
// bundle, loaded only when Foundry is the chosen provider. The SDK posts to
// `https://{resource}.services.ai.azure.com/anthropic/v1/messages` with the Anthropic wire format (betas
// in the `anthropic-beta` header), authenticating with a Foundry key (`x-api-key`) or a Microsoft Entra
// ID token (`Authorization: Bearer`) from Azure Identity's default chain (environment, workload or
// managed identity, Azure CLI, Azure Developer CLI, VS Code's Azure sign-in).
import { AnthropicFoundry } from '@anthropic-ai/foundry-sdk';
import type { PlatformClientConfig } from '../providers';
import type { MessagesClient } from '../session';

export type FoundryConfig = Extract<PlatformClientConfig, { provider: 'foundry' }>;

/** The scope of Azure AI services tokens (Foundry's data plane). */
const ENTRA_SCOPE = 'https://cognitiveservices.azure.com/.default';

export interface FoundryOptions {
  fetch?: typeof fetch;
  timeout?: number;
  /** Tests and callers with their own Entra sign-in; default: Azure Identity's DefaultAzureCredential. */
  tokenProvider?: () => Promise<string>;
}

export function createFoundryClient(config: FoundryConfig, options: FoundryOptions = {}): MessagesClient {
  // The SDK takes a resource or a base URL, never both; `null` keeps its environment variable out too.
  const where = config.baseURL ? { baseURL: config.baseURL, resource: null } : { resource: config.resource || undefined };
  const common = { ...where, maxRetries: 0, fetch: options.fetch, timeout: options.timeout };
  const client =
    config.auth.kind === 'foundryApiKey'
      ? new AnthropicFoundry({ ...common, apiKey: config.auth.apiKey })
      : new AnthropicFoundry({ ...common, azureADTokenProvider: options.tokenProvider ?? entraTokenProvider() });
  // Foundry's client has no batches; the session uses only `beta.messages.create/stream`.
  return client as unknown as MessagesClient;
}

/** Azure Identity loads on the first request, so a Foundry key never pays for it. */
function entraTokenProvider(): () => Promise<string> {
  let provider: Promise<() => Promise<string>> | undefined;
  return async () => {
    provider ??= import('@azure/identity').then(({ DefaultAzureCredential, getBearerTokenProvider }) => getBearerTokenProvider(new DefaultAzureCredential(), ENTRA_SCOPE));
    return (await provider)();
  };
}
