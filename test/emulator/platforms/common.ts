// What the emulator's platform routes share: the route shape the server calls, the canonical model id
// behind a platform's id, and reading the body fields a platform moves out of the Anthropic request.

import type * as http from 'node:http';
import type { Generated } from '../engine';
import type { ApiError, JsonObject, JsonValue, TransportFault } from '../types';
import { invalidRequest, isObject } from '../types';
import type { Endpoint } from '../validate';

export type PlatformId = 'bedrock' | 'vertex' | 'foundry';

/** One request to a platform endpoint, turned into what the Messages API engine runs. */
export interface PlatformRequest {
  platform: PlatformId;
  endpoint: Endpoint;
  /** Checks the platform's auth (SigV4, an OAuth token, a key); returns how it was signed, for the record. */
  authenticate(req: http.IncomingMessage, rawBody: string): Promise<string>;
  /** The Anthropic-shaped body and betas, or the platform's refusal. */
  canonical(body: JsonValue, headerBetas: string[]): { body: JsonObject; betas: string[] };
  /** The error in the platform's own shape. */
  sendError(res: http.ServerResponse, error: ApiError, requestId: string, send: (res: http.ServerResponse, error: ApiError, requestId: string) => void): void;
  /** Usage as the platform reports it. */
  adapt(generated: Generated): Generated;
  /** A stream in the platform's framing; absent: Anthropic's SSE. */
  writeStream?(res: http.ServerResponse, generated: Generated, fault: Exclude<TransportFault, { kind: 'http' }> | undefined, headers: Record<string, string>): Promise<void>;
}

/**
 * The Anthropic id behind a platform id: `us.anthropic.claude-sonnet-5-5-v1:0` (Bedrock inference
 * profile), `anthropic.claude-opus-4-6-v1` (Bedrock), `claude-sonnet-5-5@20260801` (Vertex) all run
 * as the plain id, so the engine's per-model rules apply unchanged.
 */
export function canonicalModel(id: string): string {
  return id
    .replace(/^(us|eu|apac|jp|au|ca|us-gov|global)\./, '')
    .replace(/^anthropic\./, '')
    .replace(/@.*$/, '')
    .replace(/-v\d+(:\d+)?$/, '');
}

/** The body as an object, with a platform's body-only fields checked and removed. */
export function platformBody(body: JsonValue, message: (field: string) => string): JsonObject {
  if (!isObject(body)) {throw invalidRequest('The request body is not a valid JSON object.');}
  const out: JsonObject = { ...body };
  if (typeof out['anthropic_version'] !== 'string' || out['anthropic_version'] === '') {
    throw invalidRequest(message('anthropic_version'));
  }
  delete out['anthropic_version'];
  return out;
}

/** Test model ids that the account has not been granted (the "model access" step of each console). */
export function notEnabled(model: string): boolean {
  return model.includes('not-enabled');
}
