// Builds the Amazon Bedrock client with Anthropic's own `@anthropic-ai/bedrock-sdk`. It ships as its own
// bundle, loaded only when Bedrock is the chosen provider. The SDK moves betas into the body
// (`anthropic_beta`), posts to `/model/{id}/invoke[-with-response-stream]`, signs with SigV4 and turns
// Bedrock's event stream back into SSE, so the session's stream code is the same on every platform.
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import type { fromNodeProviderChain as NodeProviderChain } from '@aws-sdk/credential-providers';
import type { PlatformClientConfig } from '../providers';
import type { MessagesClient } from '../session';

export type BedrockConfig = Extract<PlatformClientConfig, { provider: 'bedrock' }>;

export function createBedrockClient(config: BedrockConfig, options: { fetch?: typeof fetch; timeout?: number } = {}): MessagesClient {
  const common = { awsRegion: config.region, baseURL: config.baseURL || undefined, maxRetries: 0, fetch: options.fetch, timeout: options.timeout };
  if (config.auth.kind === 'bedrockApiKey') {
    return asMessagesClient(new AnthropicBedrock({ ...common, apiKey: config.auth.apiKey }));
  }
  const profile = config.auth.profile;
  // `apiKey: null` keeps AWS_BEARER_TOKEN_BEDROCK out: the user chose the AWS credential chain.
  return asMessagesClient(new AnthropicBedrock({ ...common, apiKey: null, providerChainResolver: () => credentialChain(profile) }));
}

type AwsCredentialProvider = ReturnType<typeof NodeProviderChain>;

/**
 * The AWS CLI's chain: with a named profile, that profile (static keys, SSO cache, process, role);
 * without one, environment keys first, then the default chain (AWS_PROFILE, SSO, IMDS).
 */
async function credentialChain(profile: string | undefined): Promise<AwsCredentialProvider> {
  const { createCredentialChain, fromEnv, fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return profile ? fromNodeProviderChain({ profile }) : createCredentialChain(fromEnv(), fromNodeProviderChain());
}

/**
 * Bedrock's client has no token counting nor batches; the session uses neither, only
 * `beta.messages.create/stream`, which it has with the same types.
 */
function asMessagesClient(client: AnthropicBedrock): MessagesClient {
  return client as unknown as MessagesClient;
}
