// The SDK modules the platform clients import, handed over from the engine bundle so that every platform
// chunk uses the engine's one copy of `@anthropic-ai/sdk`: one set of error classes (the error
// classifier's `instanceof` holds across platforms) and no second copy of the SDK on disk.
import * as client from '@anthropic-ai/sdk/client';
import * as coreError from '@anthropic-ai/sdk/core/error';
import * as coreMiddleware from '@anthropic-ai/sdk/core/middleware';
import * as corePagination from '@anthropic-ai/sdk/core/pagination';
import * as coreStreaming from '@anthropic-ai/sdk/core/streaming';
import * as error from '@anthropic-ai/sdk/error';
import * as resources from '@anthropic-ai/sdk/resources/index';
import * as streaming from '@anthropic-ai/sdk/streaming';
import * as version from '@anthropic-ai/sdk/version';
import * as index from '@anthropic-ai/sdk';

export const sharedSdkModules: Readonly<Record<string, object>> = {
  '@anthropic-ai/sdk': index,
  '@anthropic-ai/sdk/client': client,
  '@anthropic-ai/sdk/core/error': coreError,
  '@anthropic-ai/sdk/core/middleware': coreMiddleware,
  '@anthropic-ai/sdk/core/pagination': corePagination,
  '@anthropic-ai/sdk/core/streaming': coreStreaming,
  '@anthropic-ai/sdk/error': error,
  '@anthropic-ai/sdk/resources/index': resources,
  '@anthropic-ai/sdk/streaming': streaming,
  '@anthropic-ai/sdk/version': version,
};
