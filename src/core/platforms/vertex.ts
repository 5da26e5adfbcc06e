// Builds the Google Vertex AI client with Anthropic's own `@anthropic-ai/vertex-sdk`. It ships as its own
// bundle, loaded only when Vertex AI is the chosen provider. The SDK authenticates with Application
// Default Credentials (gcloud's ADC file, GOOGLE_APPLICATION_CREDENTIALS, or the metadata server),
// posts to `…/publishers/anthropic/models/{model}:streamRawPredict` (`:rawPredict` without streaming),
// moves `anthropic_version` into the body and keeps betas in the `anthropic-beta` header.
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { GoogleAuth } from 'google-auth-library';
import type { PlatformClientConfig } from '../providers';
import type { MessagesClient } from '../session';

export type VertexConfig = Extract<PlatformClientConfig, { provider: 'vertex' }>;

export async function createVertexClient(config: VertexConfig, options: { fetch?: typeof fetch; timeout?: number } = {}): Promise<MessagesClient> {
  // The SDK starts finding credentials in its constructor and leaves that promise unwatched; finding
  // them here first turns "no credentials" into this call's error instead of an unhandled rejection.
  let authClient: Awaited<ReturnType<GoogleAuth['getClient']>>;
  try {
    // A known project spares Google's client its project lookup (gcloud, the metadata server).
    authClient = await new GoogleAuth({ scopes: 'https://www.googleapis.com/auth/cloud-platform', projectId: config.projectId || undefined }).getClient();
  } catch (error) {
    throw new Error('Failed to acquire Google OAuth credentials.', { cause: error });
  }
  const client = new AnthropicVertex({
    region: config.region,
    // Empty: the project of the credentials (ADC's quota project or the metadata server's).
    projectId: config.projectId || undefined,
    baseURL: config.baseURL || undefined,
    authClient,
    maxRetries: 0,
    fetch: options.fetch,
    timeout: options.timeout,
  });
  // Vertex's client has no batches; the session uses only `beta.messages.create/stream`.
  return client as unknown as MessagesClient;
}
