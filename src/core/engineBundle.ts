// The engine bundle: everything that needs the SDK or reads conversation files. The host loads it on
// first use (src/host/engine.ts), so activation never parses the SDK.
export { createClient, validateApiKey } from './client';
export { classifyError } from './errors';
export { ConversationSession } from './session';
export { JsonlConversationStore } from './store';
export { searchTranscripts, transcriptFileName, transcriptMarkdown } from './transcript';
export { checkPlatformConnection, createPlatformClient } from './platformClient';
export { platformProblem } from './platformErrors';
export { sharedSdkModules } from './sharedSdk';
