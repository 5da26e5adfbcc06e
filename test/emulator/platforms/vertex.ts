// Google Vertex AI's endpoints for Claude:
// `POST …/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:streamRawPredict`
// (SSE, as Anthropic's API streams) and `:rawPredict` (JSON; `count-tokens:rawPredict` counts tokens).
// The model is in the path, `anthropic_version` in the body, betas in the `anthropic-beta` header.
// Auth is a Google OAuth access token (`Authorization: Bearer`), which the emulator hands out from
// its metadata server (`/computeMetadata/v1/…`), the last step of Application Default Credentials.
// Errors of the model come back in Anthropic's shape; those of Google's front end (auth, an unknown
// location or model) in Google's `{"error":{"code","message","status"}}`.

import type * as http from 'node:http';
import { ApiError } from '../types';
import { canonicalModel, notEnabled, platformBody, type PlatformRequest } from './common';

/** Locations where the emulator's Vertex AI serves Claude. */
export const VERTEX_LOCATIONS: ReadonlySet<string> = new Set(['global', 'us', 'eu', 'us-east5', 'us-central1', 'europe-west1', 'europe-west4', 'asia-southeast1', 'asia-east1']);

/** Access tokens the emulator's metadata server issues. */
export const GOOGLE_TOKEN_PREFIX = 'ya29.marathon-emulator.';
export const METADATA_PROJECT = 'marathon-test-project';

const ROUTE = /^(?:.*)\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/anthropic\/models\/([^/:]+):(streamRawPredict|rawPredict)$/;

const GOOGLE_STATUS: Readonly<Record<number, string>> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED' };

/** An error of Google's front end, answered in Google's shape. */
class GoogleError extends ApiError {}

export function vertexRoute(method: string, path: string): PlatformRequest | undefined {
  const match = method === 'POST' ? ROUTE.exec(path) : null;
  if (!match) {return undefined;}
  const [, project = '', location = '', rawModel = '', verb = ''] = match;
  const model = decodeURIComponent(rawModel);
  const counting = model === 'count-tokens' && verb === 'rawPredict';
  return {
    platform: 'vertex',
    endpoint: counting ? 'count_tokens' : 'create',
    authenticate(req) {
      const authorization = req.headers.authorization ?? '';
      const token = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
      if (!token.startsWith(GOOGLE_TOKEN_PREFIX)) {
        return Promise.reject(
          new GoogleError(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.'),
        );
      }
      return Promise.resolve('oauth');
    },
    canonical(body, headerBetas) {
      const out = platformBody(body, (field) => `${field}: Field required`);
      if (!VERTEX_LOCATIONS.has(location)) {
        throw new GoogleError(404, 'NOT_FOUND', `Publisher Model \`projects/${project}/locations/${location}/publishers/anthropic/models/${model}\` not found.`);
      }
      if (counting) {
        return { body: out, betas: headerBetas };
      }
      if (notEnabled(model)) {
        throw new GoogleError(403, 'PERMISSION_DENIED', `Permission denied: the publisher model projects/${project}/locations/${location}/publishers/anthropic/models/${model} is not enabled for this project. Enable it in Model Garden.`);
      }
      if ('model' in out) {
        throw new ApiError(400, 'invalid_request_error', 'model: Extra inputs are not permitted');
      }
      return { body: { ...out, model: canonicalModel(model) }, betas: headerBetas };
    },
    sendError(res, error, requestId, send) {
      if (!(error instanceof GoogleError)) {
        send(res, error, requestId);
        return;
      }
      writeGoogleError(res, error);
    },
    adapt: (generated) => generated,
  };
}

function writeGoogleError(res: http.ServerResponse, error: ApiError): void {
  if (res.destroyed || res.headersSent) {return;}
  const text = JSON.stringify({ error: { code: error.status, message: error.message, status: GOOGLE_STATUS[error.status] ?? error.errorType } });
  res.writeHead(error.status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The GCE metadata server's few answers that Application Default Credentials read: an access token
 * for the default service account, the project id and the universe domain. Google's client sends
 * `Metadata-Flavor: Google` and the server refuses requests without it.
 */
export function metadataResponse(req: http.IncomingMessage, path: string): { status: number; body: string; type: string } {
  if (req.headers['metadata-flavor'] !== 'Google') {
    return { status: 403, body: 'Missing required header: Metadata-Flavor', type: 'text/plain' };
  }
  const rest = path.slice('/computeMetadata/v1/'.length);
  switch (rest) {
    case 'instance/service-accounts/default/token':
      return {
        status: 200,
        type: 'application/json',
        body: JSON.stringify({ access_token: `${GOOGLE_TOKEN_PREFIX}${Date.now().toString(36)}`, expires_in: 3599, token_type: 'Bearer' }),
      };
    case 'project/project-id':
      return { status: 200, body: METADATA_PROJECT, type: 'application/text' };
    case 'universe/universe-domain':
      return { status: 200, body: 'googleapis.com', type: 'application/text' };
    case 'instance/service-accounts/default/email':
      return { status: 200, body: `marathon@${METADATA_PROJECT}.iam.gserviceaccount.com`, type: 'application/text' };
    case 'instance':
    case '':
      return { status: 200, body: '{}', type: 'application/json' };
    default:
      return { status: 404, body: 'Not Found', type: 'text/plain' };
  }
}
