// HTTP transport of the emulator: the Messages API routes (auth, faults, JSON or SSE), the Models API,
// and the control API (/_emulator/*) that tests in other processes use to script and inspect it.

import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkBetas } from './betas';
import { DEFAULT_SUMMARY_TEMPLATE } from './compaction';
import type { Generated } from './engine';
import { countTokens, runMessages } from './engine';
import { getModel, listModels } from './models';
import { metadataResponse, platformRoute, type PlatformRequest } from './platforms';
import { newId } from './replies';
import { writeStream } from './sse';
import { EmulatorState, parseConfigPatch, parseFaults, parseReplies } from './state';
import type { EmulatorConfig, JsonValue, RecordedRequest, StreamShapes, TransportFault } from './types';
import { ApiError, invalidRequest } from './types';
import type { Endpoint } from './validate';
import { parseBetas, validateRequest } from './validate';

export { EmulatorState } from './state';
export type { ConfigPatch, EmulatorConfig, Fault, RecordedRequest, ScriptedReply } from './types';

export interface EmulatorOptions extends Partial<Omit<EmulatorConfig, 'shapes'>> {
  shapes?: Partial<StreamShapes>;
  /** Default 0 = a random free port; always binds 127.0.0.1. */
  port?: number;
  /** Default 4: tokens of a text = ceil(chars / charsPerToken). */
  charsPerToken?: number;
  /** Default 1: every counted input token is multiplied, so tests reach the 50,000 minimum trigger in a few turns. */
  tokenMultiplier?: number;
  /** Default 200000: a larger effective prompt gets 400 "prompt is too long". */
  contextWindow?: number;
  /** Default 0: delay between streamed text deltas. */
  chunkDelayMs?: number;
  /** HMAC secret of on-demand block signatures; fixed by default so blocks stay valid across restarts. */
  signingSecret?: string;
  /** If set, the server closes itself after this long without requests. */
  idleShutdownMs?: number;
  log?: (line: string) => void;
}

export interface EmulatorHandle {
  url: string;
  port: number;
  close(): Promise<void>;
  state: EmulatorState;
}

const DEFAULT_SHAPES: StreamShapes = {
  compactionStartEmpty: false,
  summaryDeltas: 1,
  encryptedContent: 'none',
  textBeforeCompaction: '',
  omitToolChanges: false,
};

const DEFAULT_SIGNING_SECRET = 'marathon-emulator-signing-secret';
const MAX_BODY_BYTES = 32 * 1024 * 1024;

const STATUS_BY_ERROR_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

const DEFAULT_MESSAGES: Record<string, string> = {
  overloaded_error: 'Overloaded',
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit',
  api_error: 'Internal server error',
};

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.headersSent) {return;}
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendError(res: http.ServerResponse, error: ApiError, requestId: string): void {
  const details = error.errorCode ? { details: { error_code: error.errorCode } } : {};
  sendJson(
    res,
    error.status,
    { type: 'error', error: { type: error.errorType, message: error.message, ...details }, request_id: requestId },
    { ...error.headers, 'request-id': requestId },
  );
}

function faultError(fault: Extract<TransportFault, { kind: 'http' }>): ApiError {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) {headers['retry-after'] = String(fault.retryAfter);}
  if (fault.shouldRetry !== undefined) {headers['x-should-retry'] = String(fault.shouldRetry);}
  const message = fault.message ?? DEFAULT_MESSAGES[fault.errorType] ?? fault.errorType;
  return new ApiError(fault.status, fault.errorType, message, fault.errorCode, headers);
}

/** The SDK sends keys as `Authorization: Bearer`; curl users send `x-api-key`. The API takes both. */
function apiKeyOf(req: http.IncomingMessage): string {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header) {return header;}
  const authorization = req.headers.authorization ?? '';
  return authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length).trim() : '';
}

function authenticate(apiKey: string): void {
  if (apiKey === '' || apiKey.startsWith('sk-bad') || apiKey === 'invalid') {
    throw new ApiError(401, 'authentication_error', 'invalid x-api-key');
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {chunks.push(chunk);}
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {reject(new ApiError(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.'));}
      else {resolve(Buffer.concat(chunks).toString('utf8'));}
    });
    req.on('error', reject);
  });
}

function parseJson(text: string): { ok: true; value: JsonValue } | { ok: false; raw: string } {
  try {
    return { ok: true, value: JSON.parse(text) as JsonValue };
  } catch {
    return { ok: false, raw: text };
  }
}

/** Non-streaming responses: a stream-shaped fault degrades to its nearest JSON equivalent. */
async function sendMessage(res: http.ServerResponse, gen: Generated, fault: TransportFault | undefined, headers: Record<string, string>, requestId: string): Promise<void> {
  switch (fault?.kind) {
    case 'drop':
      res.destroy();
      return;
    case 'malformed':
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end('{not json');
      return;
    case 'stream-error': {
      const type = fault.errorType ?? 'overloaded_error';
      sendError(res, new ApiError(STATUS_BY_ERROR_TYPE[type] ?? 500, type, DEFAULT_MESSAGES[type] ?? type), requestId);
      return;
    }
    case 'stall':
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      break;
  }
  if (gen.summaryDelayMs) {await new Promise((resolve) => setTimeout(resolve, gen.summaryDelayMs));}
  sendJson(res, 200, gen.message, headers);
}

class EmulatorServer {
  readonly server: http.Server;
  private idleTimer: NodeJS.Timeout | undefined;
  private active = 0;
  private closing: Promise<void> | undefined;

  constructor(
    readonly state: EmulatorState,
    private readonly opts: EmulatorOptions,
  ) {
    this.server = http.createServer((req, res) => this.track(req, res));
  }

  private track(req: http.IncomingMessage, res: http.ServerResponse): void {
    const started = Date.now();
    this.active++;
    clearTimeout(this.idleTimer);
    res.on('close', () => {
      this.active--;
      this.armIdleTimer();
      this.opts.log?.(`${req.method} ${req.url} -> ${res.headersSent ? res.statusCode : 'dropped'} (${Date.now() - started} ms)`);
    });
    this.route(req, res).catch((error: unknown) => {
      const apiError = error instanceof ApiError ? error : new ApiError(500, 'api_error', `Emulator failure: ${String(error)}`);
      sendError(res, apiError, newId('req'));
    });
  }

  armIdleTimer(): void {
    const ms = this.opts.idleShutdownMs;
    if (ms === undefined || this.active > 0 || this.closing) {return;}
    clearTimeout(this.idleTimer);
    // unref: the open server keeps the process alive, the timer alone never should.
    this.idleTimer = setTimeout(() => void this.close(), ms).unref();
  }

  close(): Promise<void> {
    clearTimeout(this.idleTimer);
    this.closing ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    // Tests may drive the emulator from a browser page.
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': '*' });
      res.end();
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (path.startsWith('/_emulator/')) {return this.control(req, res, path.slice('/_emulator/'.length));}
    // Cloud platforms (platforms/): Bedrock, Vertex AI (and its metadata server for ADC), Foundry.
    if (req.method === 'GET' && path.startsWith('/computeMetadata/v1/')) {
      const answer = metadataResponse(req, path);
      res.writeHead(answer.status, { 'content-type': answer.type, 'metadata-flavor': 'Google' });
      res.end(answer.body);
      return;
    }
    const platform = platformRoute(req.method ?? '', path);
    if (platform) {return this.messages(req, res, url, platform.endpoint, platform);}
    if (req.method === 'POST' && (path === '/v1/messages' || path === '/v1/messages/count_tokens')) {
      return this.messages(req, res, url, path === '/v1/messages' ? 'create' : 'count_tokens');
    }
    const requestId = newId('req');
    if (req.method === 'GET' && (path === '/v1/models' || path.startsWith('/v1/models/'))) {
      authenticate(apiKeyOf(req));
      const betas = parseBetas(req.headers['anthropic-beta']);
      checkBetas(betas);
      const { contextWindow } = this.state.config;
      if (path === '/v1/models') {
        const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get('limit') ?? 20) || 20));
        sendJson(res, 200, listModels(contextWindow, limit, url.searchParams.get('after_id'), betas), { 'request-id': requestId });
        return;
      }
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const model = getModel(id, contextWindow, betas);
      if (model) {sendJson(res, 200, model, { 'request-id': requestId });}
      else {sendError(res, new ApiError(404, 'not_found_error', `model: ${id}`), requestId);}
      return;
    }
    sendError(res, new ApiError(404, 'not_found_error', 'Not Found'), requestId);
  }

  private async messages(req: http.IncomingMessage, res: http.ServerResponse, url: URL, endpoint: Endpoint, platform?: PlatformRequest): Promise<void> {
    const requestId = newId('req');
    const headers = { 'request-id': requestId };
    const apiKey = platform ? '' : apiKeyOf(req);
    let betas = parseBetas(req.headers['anthropic-beta']);
    const record: RecordedRequest = { path: url.pathname, query: url.search.slice(1), betas, apiKey, body: null, at: Date.now(), status: null, platform: platform?.platform };
    this.state.requests.push(record);
    res.on('close', () => {
      if (res.headersSent) {record.status = res.statusCode;}
    });
    try {
      const text = await readBody(req);
      const parsed = parseJson(text);
      record.body = parsed.ok ? parsed.value : parsed.raw;
      // Faults act on sampling requests only, so a client's token counting doesn't consume them.
      const fault = endpoint === 'create' ? this.state.takeFault() : undefined;
      if (fault?.kind === 'http') {throw faultError(fault);}
      if (platform) {record.auth = await platform.authenticate(req, text);}
      else {
        authenticate(apiKey);
        checkBetas(betas);
      }
      if (!parsed.ok) {throw invalidRequest('There was an error parsing the body of your request: invalid JSON.');}
      let body = parsed.value;
      if (platform) {
        ({ body, betas } = platform.canonical(body, betas));
        record.betas = betas;
        checkBetas(betas);
      }
      const { config, signingSecret } = this.state;
      const request = validateRequest(body, betas, endpoint, {
        // A client replays encrypted_content exactly when this server sent it.
        allowEncryptedContent: config.allowEncryptedContent || config.shapes.encryptedContent !== 'none',
        strictCompactionBetas: config.strictCompactionBetas,
        signingSecret,
        thinking: config,
        onDemandPrefixes: this.state.onDemandPrefixes,
      });
      if (endpoint === 'count_tokens') {
        sendJson(res, 200, countTokens(request, this.state), headers);
        return;
      }
      const generated = platform ? platform.adapt(runMessages(request, this.state)) : runMessages(request, this.state);
      if (request.stream) {await (platform?.writeStream ?? writeStream)(res, generated, fault, headers);}
      else {await sendMessage(res, generated, fault, headers, requestId);}
    } catch (error) {
      if (!(error instanceof ApiError)) {throw error;}
      if (platform) {platform.sendError(res, error, requestId, sendError);}
      else {sendError(res, error, requestId);}
    }
  }

  private async control(req: http.IncomingMessage, res: http.ServerResponse, action: string): Promise<void> {
    const requestId = newId('req');
    const post = req.method === 'POST';
    try {
      const text = post ? await readBody(req) : '';
      const parsed = parseJson(text || '{}');
      if (!parsed.ok) {throw invalidRequest('invalid JSON');}
      const body = parsed.value;
      const { state } = this;
      // POST mutates, then every endpoint answers with the resulting view.
      const mutations: Record<string, () => void> = {
        reset: () => state.reset(),
        config: () => state.configure(parseConfigPatch(body)),
        faults: () => state.addFaults(parseFaults(body)),
        script: () => state.addReplies(parseReplies(body)),
      };
      const views: Record<string, () => object> = {
        requests: () => ({ requests: state.requests }),
        reset: () => ({ ok: true }),
        config: () => ({ config: state.config }),
        faults: () => ({ faults: state.faults }),
        script: () => ({ replies: state.replies }),
        expectations: () => ({ expectations: state.expectations }),
      };
      const mutate = mutations[action];
      const view = views[action];
      const allowed = post ? mutate !== undefined : req.method === 'GET' && action !== 'reset';
      if (!view || !allowed) {throw new ApiError(404, 'not_found_error', `Unknown control endpoint: ${req.method} /_emulator/${action}`);}
      if (post) {mutate?.();}
      sendJson(res, 200, view());
    } catch (error) {
      if (!(error instanceof ApiError)) {throw error;}
      sendError(res, error, requestId);
    }
  }
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const defaults: EmulatorConfig = {
    charsPerToken: opts.charsPerToken ?? 4,
    tokenMultiplier: opts.tokenMultiplier ?? 1,
    contextWindow: opts.contextWindow ?? 200_000,
    chunkDelayMs: opts.chunkDelayMs ?? 0,
    firstTokenDelayMs: opts.firstTokenDelayMs ?? 0,
    minCacheableTokens: opts.minCacheableTokens === undefined ? null : opts.minCacheableTokens,
    allowEncryptedContent: opts.allowEncryptedContent ?? false,
    summaryTemplate: opts.summaryTemplate ?? DEFAULT_SUMMARY_TEMPLATE,
    // As the real API: models that think when `thinking` is omitted (thinking reference §1.2) do so.
    thinkUnasked: opts.thinkUnasked ?? true,
    legacyAccount: opts.legacyAccount ?? false,
    forcePrefixError: opts.forcePrefixError ?? false,
    redactThinking: opts.redactThinking ?? false,
    summaryDelayMs: opts.summaryDelayMs ?? 0,
    strictCompactionBetas: opts.strictCompactionBetas ?? true,
    maxTokensInWindow: opts.maxTokensInWindow ?? true,
    shapes: { ...DEFAULT_SHAPES, ...opts.shapes },
  };
  const state = new EmulatorState(defaults, opts.signingSecret ?? DEFAULT_SIGNING_SECRET);
  const emulator = new EmulatorServer(state, opts);
  await new Promise<void>((resolve, reject) => {
    emulator.server.once('error', reject);
    emulator.server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  emulator.armIdleTimer();
  const { port } = emulator.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, state, close: () => emulator.close() };
}
