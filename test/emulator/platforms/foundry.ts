// Microsoft Foundry's endpoint for Claude: `POST /anthropic/v1/messages` (and `…/count_tokens`) on
// `https://{resource}.services.ai.azure.com`, with Anthropic's wire format (betas in the header, the
// model — the deployment name — in the body). Auth is a Foundry key (`x-api-key`) or a Microsoft
// Entra ID token (`Authorization: Bearer`, a JWT). A deployment that does not exist is Azure's 404
// DeploymentNotFound; everything else answers in Anthropic's shape.

import type * as http from 'node:http';
import { ApiError, isObject } from '../types';
import { notEnabled, type PlatformRequest } from './common';

const ROUTE = /^(?:.*)\/anthropic\/v1\/messages(\/count_tokens)?$/;

class AzureError extends ApiError {}

export function foundryRoute(method: string, path: string): PlatformRequest | undefined {
  const match = method === 'POST' ? ROUTE.exec(path) : null;
  if (!match) {return undefined;}
  return {
    platform: 'foundry',
    endpoint: match[1] ? 'count_tokens' : 'create',
    authenticate(req) {
      const key = req.headers['x-api-key'];
      const authorization = req.headers.authorization ?? '';
      if (typeof key === 'string' && key !== '' && key !== 'invalid' && !key.startsWith('sk-bad')) {
        return Promise.resolve('api-key');
      }
      // Entra ID access tokens are JWTs: three base64url parts.
      if (/^Bearer eyJ[\w-]*\.[\w-]+\.[\w-]+$/.test(authorization)) {
        return Promise.resolve('entra');
      }
      return Promise.reject(
        new AzureError(401, 'PermissionDenied', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.'),
      );
    },
    canonical(body, headerBetas) {
      if (isObject(body) && typeof body['model'] === 'string' && notEnabled(body['model'])) {
        throw new AzureError(404, 'DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');
      }
      if (!isObject(body)) {
        throw new ApiError(400, 'invalid_request_error', 'The request body is not a valid JSON object.');
      }
      return { body, betas: headerBetas };
    },
    sendError(res, error, requestId, send) {
      if (!(error instanceof AzureError)) {
        send(res, error, requestId);
        return;
      }
      writeAzureError(res, error);
    },
    adapt: (generated) => generated,
  };
}

function writeAzureError(res: http.ServerResponse, error: ApiError): void {
  if (res.destroyed || res.headersSent) {return;}
  const text = JSON.stringify({ error: { code: error.errorType, message: error.message } });
  res.writeHead(error.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
