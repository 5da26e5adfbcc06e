// Contract tests of the emulator's cloud platform endpoints, driven through Anthropic's own platform
// clients: Bedrock (SigV4 and event-stream framing, the refusal of on-demand compaction), Vertex AI
// (rawPredict / streamRawPredict with a Google OAuth token) and Foundry (a key or an Entra token).

import * as assert from 'node:assert/strict';
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { AnthropicFoundry } from '@anthropic-ai/foundry-sdk';
import { APIError, AuthenticationError, BadRequestError, NotFoundError, PermissionDeniedError } from '@anthropic-ai/sdk';
import type { BetaMessage, BetaMessageParam } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';
import { OAuth2Client } from 'google-auth-library';
import { GOOGLE_TOKEN_PREFIX, TEST_AWS_CREDENTIALS } from '../platforms';
import type { EmulatorHandle } from '../server';
import { startEmulator } from '../server';

const [ACCESS_KEY, SECRET_KEY] = Object.entries(TEST_AWS_CREDENTIALS)[0] ?? ['', ''];
const THRESHOLD = ['compact-2026-01-12'];
const ON_DEMAND = ['compact-2026-09-04'];
const MULTIPLIER = 100;
/** 504 + 3 + 3 tokens, x100: just over the 50,000 minimum trigger. */
const BIG_HISTORY: BetaMessageParam[] = [
  { role: 'user', content: 'A'.repeat(2000) + ' first question' },
  { role: 'assistant', content: 'Answer one.' },
  { role: 'user', content: 'What next?' },
];
const EDIT = { edits: [{ type: 'compact_20260112' as const, trigger: { type: 'input_tokens' as const, value: 50_000 } }] };

function text(message: BetaMessage): string {
  return message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
}

/** A Google auth client whose token is the one the emulator's metadata server would hand out. */
function googleClient(token = `${GOOGLE_TOKEN_PREFIX}test`): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: token, expiry_date: Date.now() + 3_600_000 });
  return client;
}

/** A JWT-shaped Entra ID access token (the emulator checks its shape, not a signature). */
const ENTRA_TOKEN = 'eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL2NvZ25pdGl2ZXNlcnZpY2VzLmF6dXJlLmNvbSJ9.c2ln';

suite('emulator: cloud platforms through their official clients', () => {
  let emu: EmulatorHandle;

  const bedrock = (region = 'us-east-1', secret = SECRET_KEY): AnthropicBedrock =>
    new AnthropicBedrock({ awsRegion: region, awsAccessKey: ACCESS_KEY, awsSecretKey: secret, baseURL: emu.url, maxRetries: 0 });
  const vertex = (region = 'global', token?: string): AnthropicVertex =>
    new AnthropicVertex({ region, projectId: 'marathon-test-project', baseURL: `${emu.url}/v1`, authClient: googleClient(token), maxRetries: 0 });
  const foundry = (auth: { apiKey: string } | { azureADTokenProvider: () => Promise<string> }): AnthropicFoundry =>
    new AnthropicFoundry({ baseURL: `${emu.url}/anthropic/`, ...auth, maxRetries: 0 });

  suiteSetup(async () => {
    emu = await startEmulator();
  });
  suiteTeardown(() => emu.close());
  setup(() => emu.state.reset());

  test('Bedrock: a SigV4-signed stream arrives as AWS event-stream frames and parses like the Anthropic API', async () => {
    const stream = bedrock().beta.messages.stream({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] });
    const message = await stream.finalMessage();
    assert.ok(text(message).length > 0);
    assert.equal(message.stop_reason, 'end_turn');
    const [request] = emu.state.requests;
    assert.equal(request?.path, '/model/us.anthropic.claude-sonnet-5-5-v1:0/invoke-with-response-stream');
    assert.equal(request?.auth, `sigv4:${ACCESS_KEY}:us-east-1`);
    const body = request?.body as Record<string, unknown>;
    assert.equal(typeof body['anthropic_version'], 'string', 'the version travels in the body');
    assert.equal('model' in body || 'stream' in body, false, 'the model and streaming are in the path');
  });

  test('Bedrock: betas travel in the body (anthropic_beta) and threshold compaction runs', async () => {
    emu.state.configure({ tokenMultiplier: MULTIPLIER });
    const message = await bedrock().beta.messages.create({ model: 'anthropic.claude-sonnet-5-5-v1', max_tokens: 256, messages: BIG_HISTORY, context_management: EDIT, betas: THRESHOLD });
    assert.equal(message.content[0]?.type, 'compaction');
    assert.equal(message.usage.iterations?.[0]?.type, 'compaction', 'a response that compacted carries iterations');
    const body = emu.state.requests[0]?.body as Record<string, unknown>;
    assert.deepEqual(body['anthropic_beta'], THRESHOLD);
    assert.equal(emu.state.requests[0]?.path, '/model/anthropic.claude-sonnet-5-5-v1/invoke');

    const plain = await bedrock().beta.messages.create({ model: 'anthropic.claude-sonnet-5-5-v1', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }], context_management: EDIT, betas: THRESHOLD });
    assert.equal(plain.usage.iterations ?? null, null, 'Bedrock sends iterations only when the request compacted');
  });

  test('Bedrock refuses on-demand compaction: 400 "invalid beta flag"', async () => {
    await assert.rejects(
      bedrock().beta.messages.create({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', max_tokens: 4096, messages: BIG_HISTORY, compaction: { type: 'summarize' }, betas: ON_DEMAND }),
      (error: unknown) => error instanceof BadRequestError && /invalid beta flag/.test(error.message),
    );
    const response = emu.state.requests[0];
    assert.equal(response?.status, 400);
  });

  test('Bedrock checks the signature: a wrong secret and an unknown key are refused as AWS refuses them', async () => {
    await assert.rejects(
      bedrock('us-east-1', 'not-the-secret').beta.messages.create({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }),
      (error: unknown) => error instanceof PermissionDeniedError && /signature we calculated does not match/.test(error.message),
    );
    const stranger = new AnthropicBedrock({ awsRegion: 'us-east-1', awsAccessKey: 'AKIAUNKNOWN000000000', awsSecretKey: 'x', baseURL: emu.url, maxRetries: 0 });
    await assert.rejects(stranger.beta.messages.create({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) =>
      error instanceof PermissionDeniedError && /security token included in the request is invalid/.test(error.message),
    );
  });

  test('Bedrock: a Bedrock API key is a bearer token; a region without the model and a model not granted are refused', async () => {
    const keyed = new AnthropicBedrock({ awsRegion: 'us-east-1', apiKey: 'ABSKtestkey', baseURL: emu.url, maxRetries: 0 });
    const message = await keyed.beta.messages.create({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(message.role, 'assistant');
    assert.equal(emu.state.requests[0]?.auth, 'bearer');
    await assert.rejects(bedrock('sa-east-1').beta.messages.create({ model: 'anthropic.claude-sonnet-5-5-v1', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) =>
      error instanceof BadRequestError && /provided model identifier is invalid/.test(error.message),
    );
    await assert.rejects(bedrock().beta.messages.create({ model: 'anthropic.claude-not-enabled-v1', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) =>
      error instanceof PermissionDeniedError && /don't have access to the model/.test(error.message),
    );
  });

  test('Bedrock: an error in the middle of a stream arrives as an exception frame', async () => {
    emu.state.addFaults([{ kind: 'stream-error', afterDeltas: 1, errorType: 'overloaded_error' }]);
    const stream = bedrock().beta.messages.stream({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }] });
    await assert.rejects(stream.finalMessage(), (error: unknown) => error instanceof APIError && /serviceUnavailableException|Overloaded/i.test(`${error.message} ${JSON.stringify(error.error)}`));
  });

  test('Vertex AI: streamRawPredict and rawPredict with an OAuth token; betas stay in the header; on-demand compaction runs', async () => {
    const client = vertex();
    const streamed = await client.beta.messages.stream({ model: 'claude-sonnet-5-5@20260801', max_tokens: 256, messages: [{ role: 'user', content: 'Hello' }], betas: THRESHOLD, context_management: EDIT }).finalMessage();
    assert.ok(text(streamed).length > 0);
    const [request] = emu.state.requests;
    assert.equal(request?.path, '/v1/projects/marathon-test-project/locations/global/publishers/anthropic/models/claude-sonnet-5-5@20260801:streamRawPredict');
    assert.deepEqual(request?.betas, THRESHOLD);
    assert.equal(typeof (request?.body as Record<string, unknown>)['anthropic_version'], 'string');

    const compacted = await client.beta.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 4096, messages: BIG_HISTORY, compaction: { type: 'summarize' }, betas: ON_DEMAND });
    assert.equal(compacted.stop_reason, 'compaction');
    assert.equal(emu.state.requests[1]?.path.endsWith(':rawPredict'), true);
  });

  test('Vertex AI refuses a token it did not issue and a location without the model', async () => {
    await assert.rejects(vertex('global', 'ya29.someone-else').beta.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) =>
      error instanceof AuthenticationError && /UNAUTHENTICATED|invalid authentication credentials/.test(JSON.stringify(error.error)),
    );
    await assert.rejects(vertex('mars-north1').beta.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) =>
      error instanceof NotFoundError && /Publisher Model/.test(error.message),
    );
  });

  test('Foundry: a key (x-api-key) or an Entra token (Bearer) on /anthropic/v1/messages; an unknown deployment is DeploymentNotFound', async () => {
    const keyed = await foundry({ apiKey: 'foundry-test-key' }).beta.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }], betas: THRESHOLD, context_management: EDIT }).finalMessage();
    assert.ok(text(keyed).length > 0);
    assert.deepEqual([emu.state.requests[0]?.path, emu.state.requests[0]?.auth, emu.state.requests[0]?.betas], ['/anthropic/v1/messages', 'api-key', THRESHOLD]);
    await foundry({ azureADTokenProvider: () => Promise.resolve(ENTRA_TOKEN) }).beta.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] });
    assert.equal(emu.state.requests[1]?.auth, 'entra');
    await assert.rejects(foundry({ apiKey: 'invalid' }).beta.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), AuthenticationError);
    await assert.rejects(foundry({ apiKey: 'foundry-test-key' }).beta.messages.create({ model: 'claude-not-enabled', max_tokens: 16, messages: [{ role: 'user', content: 'Hi' }] }), (error: unknown) =>
      error instanceof NotFoundError && /DeploymentNotFound/.test(JSON.stringify(error.error)),
    );
  });
});
