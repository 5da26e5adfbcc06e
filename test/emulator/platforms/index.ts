// The cloud platforms' endpoints of the emulator (Amazon Bedrock, Google Vertex AI, Microsoft Foundry),
// each turned into a Messages API request for the same engine, so a conversation behaves alike on all.

import { bedrockRoute } from './bedrock';
import type { PlatformRequest } from './common';
import { foundryRoute } from './foundry';
import { vertexRoute } from './vertex';

export type { PlatformId, PlatformRequest } from './common';
export { TEST_AWS_CREDENTIALS } from './sigv4';
export { GOOGLE_TOKEN_PREFIX, METADATA_PROJECT, metadataResponse } from './vertex';

export function platformRoute(method: string, path: string): PlatformRequest | undefined {
  return bedrockRoute(method, path) ?? vertexRoute(method, path) ?? foundryRoute(method, path);
}
