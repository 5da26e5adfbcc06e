// Amazon Bedrock's InvokeModel endpoints for Claude: `POST /model/{id}/invoke` (JSON) and
// `/model/{id}/invoke-with-response-stream` (AWS event-stream framing: each SSE event becomes a
// `chunk` frame whose JSON `bytes` field holds the event, base64-encoded), signed with SigV4 (verified
// against the test credentials) or a Bedrock API key (`Authorization: Bearer`). `anthropic_version`
// and `anthropic_beta` travel in the body, the model in the path.
//
// What Bedrock refuses, and what each rule rests on:
// - On-demand compaction. Anthropic's compaction docs, "Supported models and platforms" (compaction
//   reference §1.6): on-demand compaction (beta `compact-2026-09-04`) runs on the Claude API, Claude
//   Platform on AWS, Google Cloud and Microsoft Foundry, "not Bedrock"; Amazon's Bedrock guide
//   ("Compaction", Claude on InvokeModel) documents only `compact-2026-01-12`. Bedrock answers a beta it
//   does not serve with 400 ValidationException "The model returned the following errors: invalid beta
//   flag" (reported in BerriAI/litellm#19877, anthropics/claude-code#49370), so that is the refusal.
// - A compaction beta on a model without compaction: the same "invalid beta flag".
// - Models outside the regions the emulator serves them in: 400 "The provided model identifier is
//   invalid." (Bedrock's answer to an in-region id a region does not offer); a model the account was
//   not granted: 403 AccessDeniedException "You don't have access to the model with the specified model ID."
// - Usage: Bedrock's guide says `usage.iterations` "is only present when a new compaction is triggered
//   during the request", so other responses carry none.

import type * as http from 'node:http';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import type { Generated } from '../engine';
import { writeStream } from '../sse';
import type { JsonObject } from '../types';
import { ApiError, isObject } from '../types';
import { canonicalModel, notEnabled, platformBody, type PlatformRequest } from './common';
import { verifySigV4 } from './sigv4';

const ON_DEMAND_BETA = 'compact-2026-09-04';
const INVALID_BETA = 'The model returned the following errors: invalid beta flag';

/** Regions where the emulator's Bedrock serves Claude (in-region ids and the geography profiles). */
export const BEDROCK_REGIONS: ReadonlySet<string> = new Set(['us-east-1', 'us-east-2', 'us-west-2', 'eu-central-1', 'eu-west-1', 'eu-west-3', 'eu-north-1', 'ap-northeast-1', 'ap-southeast-2', 'ap-south-1', 'ca-central-1']);

const ROUTE = /^(?:.*)\/model\/([^/]+)\/(invoke|invoke-with-response-stream)$/;

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  401: 'AccessDeniedException',
  403: 'AccessDeniedException',
  404: 'ResourceNotFoundException',
  408: 'ModelTimeoutException',
  413: 'ValidationException',
  424: 'ModelErrorException',
  429: 'ThrottlingException',
  500: 'InternalServerException',
  503: 'ServiceUnavailableException',
  529: 'ServiceUnavailableException',
};

function bedrockError(status: number, message: string, type = ERROR_TYPES[status] ?? 'InternalServerException'): ApiError {
  return new ApiError(status, type, message);
}

export function bedrockRoute(method: string, path: string): PlatformRequest | undefined {
  const match = method === 'POST' ? ROUTE.exec(path) : null;
  if (!match) {return undefined;}
  const modelId = decodeURIComponent(match[1] ?? '');
  const stream = match[2] === 'invoke-with-response-stream';
  let region = '';
  return {
    platform: 'bedrock',
    endpoint: 'create',
    async authenticate(req, rawBody) {
      const authorization = req.headers.authorization ?? '';
      if (authorization.startsWith('Bearer ')) {
        const token = authorization.slice('Bearer '.length).trim();
        if (token === '' || token === 'invalid' || token.startsWith('sk-bad')) {
          throw bedrockError(403, 'Authentication failed: Please make sure your API Key is valid.');
        }
        return 'bearer';
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const signed = await verifySigV4(req.method ?? 'POST', url.pathname, url.search.slice(1), req.headers, rawBody);
      if (signed.service !== 'bedrock') {
        throw bedrockError(403, `Credential should be scoped to correct service: 'bedrock'.`, 'InvalidSignatureException');
      }
      region = signed.region;
      return `sigv4:${signed.accessKeyId}:${signed.region}`;
    },
    canonical(body, headerBetas) {
      const out: JsonObject = platformBody(body, (field) => `Malformed input request: #: required key [${field}] not found, please reformat your input and try again.`);
      for (const key of ['model', 'stream']) {
        if (key in out) {
          throw bedrockError(400, `Malformed input request: #: extraneous key [${key}] is not permitted, please reformat your input and try again.`);
        }
      }
      const bodyBetas = out['anthropic_beta'];
      delete out['anthropic_beta'];
      if (bodyBetas !== undefined && !(Array.isArray(bodyBetas) && bodyBetas.every((b) => typeof b === 'string'))) {
        throw bedrockError(400, 'Malformed input request: #/anthropic_beta: expected type: JSONArray, please reformat your input and try again.');
      }
      const betas = [...headerBetas, ...(bodyBetas ?? [])];
      if (betas.includes(ON_DEMAND_BETA)) {
        throw bedrockError(400, INVALID_BETA);
      }
      if (notEnabled(modelId)) {
        throw bedrockError(403, "You don't have access to the model with the specified model ID.");
      }
      if (region !== '' && !BEDROCK_REGIONS.has(region) && !modelId.startsWith('global.')) {
        throw bedrockError(400, 'The provided model identifier is invalid.');
      }
      return { body: { ...out, model: canonicalModel(modelId), stream }, betas };
    },
    sendError(res, error, requestId) {
      if (!(error.errorType in EXCEPTION_NAMES) && !/Exception$/.test(error.errorType)) {
        // An error of the model itself, relayed the way Bedrock relays it.
        const message = /^anthropic-beta: .* is not supported/.test(error.message) ? INVALID_BETA : error.message;
        const status = error.status === 529 ? 503 : error.status;
        error = new ApiError(status, ERROR_TYPES[status] ?? 'InternalServerException', message, undefined, error.headers);
      }
      writeAwsError(res, error, requestId);
    },
    adapt(generated) {
      const usage = generated.message.usage;
      if (!usage.iterations?.some((iteration) => iteration.type === 'compaction')) {
        usage.iterations = null;
      }
      return generated;
    },
    writeStream: writeEventStream,
  };
}

/** Error types that are already Bedrock's. */
const EXCEPTION_NAMES: Readonly<Record<string, true>> = Object.fromEntries(Object.values(ERROR_TYPES).map((name) => [name, true]));

function writeAwsError(res: http.ServerResponse, error: ApiError, requestId: string): void {
  if (res.destroyed || res.headersSent) {return;}
  const text = JSON.stringify({ message: error.message });
  res.writeHead(error.status, {
    ...error.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': `${error.errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
  });
  res.end(text);
}

const codec = new EventStreamCodec((bytes) => Buffer.from(bytes).toString('utf8'), (text) => new Uint8Array(Buffer.from(text, 'utf8')));

function frame(messageType: 'event' | 'exception', type: string, payload: object): Uint8Array {
  const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')),
  });
}

/** An SSE event's JSON as a Bedrock frame: a `chunk`, or the exception Bedrock sends for an error event. */
function toFrames(sse: string): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (const event of sse.split('\n\n')) {
    const data = /^data: (.*)$/m.exec(event)?.[1];
    if (data === undefined) {continue;}
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      // A damaged event stays damaged: the chunk's bytes are not JSON.
      frames.push(frame('event', 'chunk', { bytes: Buffer.from(data, 'utf8').toString('base64') }));
      continue;
    }
    if (isObject(parsed) && parsed['type'] === 'error') {
      const inner = isObject(parsed['error']) ? parsed['error'] : {};
      const type = inner['type'] === 'overloaded_error' ? 'serviceUnavailableException' : inner['type'] === 'rate_limit_error' ? 'throttlingException' : 'internalServerException';
      frames.push(frame('exception', type, { message: typeof inner['message'] === 'string' ? inner['message'] : 'Internal server error' }));
      continue;
    }
    frames.push(frame('event', 'chunk', { bytes: Buffer.from(data, 'utf8').toString('base64') }));
  }
  return frames;
}

/**
 * The engine's SSE stream re-framed as Bedrock's event stream: the same steps, pacing and faults (a
 * dropped connection, a stall, an error event), each SSE event written as one binary frame.
 */
function writeEventStream(res: http.ServerResponse, generated: Generated, fault: Parameters<typeof writeStream>[2], headers: Record<string, string>): Promise<void> {
  const framed = new Proxy(res, {
    get(target, property, receiver) {
      switch (property) {
        case 'writeHead':
          return (status: number, head: Record<string, string>) =>
            target.writeHead(status, { ...head, 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': headers['request-id'] ?? '' });
        case 'write':
          return (chunk: string) => {
            for (const bytes of toFrames(chunk)) {target.write(bytes);}
            return true;
          };
        case 'end':
          return (chunk?: string | (() => void)) => {
            if (typeof chunk === 'string') {
              for (const bytes of toFrames(chunk)) {target.write(bytes);}
            }
            return target.end();
          };
        default: {
          const value: unknown = Reflect.get(target, property, receiver === framed ? target : receiver);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        }
      }
    },
  });
  return writeStream(framed, generated, fault, headers);
}
