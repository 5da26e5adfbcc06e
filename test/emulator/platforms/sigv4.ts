// Verifies AWS Signature Version 4 on the emulator's Bedrock routes by signing the received request
// again with AWS's own signer (@smithy/signature-v4) and the test credentials, then comparing signatures.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ApiError } from '../types';

/** The emulator's AWS accounts: access key id → secret. Anything else is an unknown key. */
export const TEST_AWS_CREDENTIALS: Readonly<Record<string, string>> = {
  AKIAMARATHONTEST0001: 'marathon/emulator/secret/access/key/0001',
};

/** Requests signed longer ago (or further ahead) than this are refused, as AWS does. */
const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SignedBy {
  accessKeyId: string;
  region: string;
  service: string;
}

/** node:crypto behind the checksum interface the signer expects (`new Sha256(secret?)`). */
class NodeSha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(toBuffer(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {
    throw new Error('not supported');
  }
}

function toBuffer(data: string | ArrayBuffer | ArrayBufferView): Buffer {
  if (typeof data === 'string') {return Buffer.from(data, 'utf8');}
  if (ArrayBuffer.isView(data)) {return Buffer.from(data.buffer, data.byteOffset, data.byteLength);}
  return Buffer.from(data);
}

function awsError(status: number, type: string, message: string): ApiError {
  return new ApiError(status, type, message);
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Checks the request's SigV4 `Authorization` header against `body`; throws the error AWS sends
 * (UnrecognizedClientException, InvalidSignatureException) when it does not hold.
 */
export async function verifySigV4(method: string, path: string, query: string, headers: IncomingHttpHeaders, body: string, now = Date.now()): Promise<SignedBy> {
  const header = headers.authorization ?? '';
  const match = AUTHORIZATION.exec(header);
  if (!match) {
    throw awsError(403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const [, accessKeyId = '', , region = '', service = '', signedHeaderList = '', signature = ''] = match;
  const secretAccessKey = TEST_AWS_CREDENTIALS[accessKeyId];
  if (secretAccessKey === undefined) {
    throw awsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }
  const amzDate = String(headers['x-amz-date'] ?? '');
  const signedAt = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!Number.isFinite(signedAt)) {
    throw awsError(403, 'InvalidSignatureException', 'The request must contain a valid X-Amz-Date header.');
  }
  if (Math.abs(now - signedAt) > MAX_SKEW_MS) {
    throw awsError(403, 'InvalidSignatureException', `Signature expired: ${amzDate} is now earlier or later than the allowed 15 minutes.`);
  }
  const signedHeaders: Record<string, string> = {};
  for (const name of signedHeaderList.split(';')) {
    const value = headers[name];
    if (value !== undefined) {signedHeaders[name] = Array.isArray(value) ? value.join(',') : value;}
  }
  const sessionToken = typeof headers['x-amz-security-token'] === 'string' ? headers['x-amz-security-token'] : undefined;
  const signer = new SignatureV4({ service, region, credentials: { accessKeyId, secretAccessKey, sessionToken }, sha256: NodeSha256, uriEscapePath: true });
  const searchParams = new URLSearchParams(query);
  const queryRecord: Record<string, string[]> = {};
  for (const key of new Set(searchParams.keys())) {queryRecord[key] = searchParams.getAll(key);}
  const signed = await signer.sign(
    { method, protocol: 'http:', hostname: String(headers.host ?? ''), path, query: queryRecord, headers: signedHeaders, body },
    { signingDate: new Date(signedAt) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''))?.[1] ?? '';
  if (expected.length !== signature.length || !timingSafeEqual(Buffer.from(expected), Buffer.from(signature))) {
    throw awsError(
      403,
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId, region, service };
}
