import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyError } from '../../src/core/errors';
import { checkPlatformConnection, createPlatformClient } from '../../src/core/platformClient';
import { platformProblem } from '../../src/core/platformErrors';
import type { PlatformClientConfig } from '../../src/core/providers';
import { TEST_AWS_CREDENTIALS } from '../emulator/platforms';
import type { EmulatorHandle } from '../emulator/server';
import { startEmulator } from '../emulator/server';

const [ACCESS_KEY = '', SECRET_KEY = ''] = Object.entries(TEST_AWS_CREDENTIALS)[0] ?? [];
const BEDROCK_MODEL = 'us.anthropic.claude-sonnet-5-5-v1:0';

/** Runs `action` with these environment variables (undefined: unset), then puts the old ones back. */
async function withEnv<T>(vars: Record<string, string | undefined>, action: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
  };
  apply(vars);
  try {
    return await action();
  } finally {
    apply(saved);
  }
}

/** A home folder with an AWS config whose SSO session `corp` has a cached token that expired an hour ago. */
function expiredSsoHome(): { home: string; config: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-aws-'));
  const config = path.join(home, 'config');
  fs.writeFileSync(
    config,
    [
      '[profile marathon-sso]',
      'sso_session = corp',
      'sso_account_id = 111122223333',
      'sso_role_name = Developer',
      'region = us-east-1',
      '[sso-session corp]',
      'sso_start_url = https://marathon-test.awsapps.com/start',
      'sso_region = us-east-1',
      '',
    ].join('\n'),
  );
  const cache = path.join(home, '.aws', 'sso', 'cache');
  fs.mkdirSync(cache, { recursive: true });
  const token = { accessToken: 'expired-token', expiresAt: new Date(Date.now() - 3_600_000).toISOString(), region: 'us-east-1', startUrl: 'https://marathon-test.awsapps.com/start' };
  fs.writeFileSync(path.join(cache, `${createHash('sha1').update('corp').digest('hex')}.json`), JSON.stringify(token));
  return { home, config };
}

/** Nothing of the machine's own AWS, Google or Azure sign-in may leak into these tests. */
function isolatedCloudEnv(home: string): Record<string, string | undefined> {
  return {
    HOME: home,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_BEARER_TOKEN_BEDROCK: undefined,
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
    GOOGLE_APPLICATION_CREDENTIALS: undefined,
    CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
    GCE_METADATA_HOST: undefined,
    METADATA_SERVER_DETECTION: 'none',
    ANTHROPIC_BEDROCK_BASE_URL: undefined,
    ANTHROPIC_VERTEX_BASE_URL: undefined,
    ANTHROPIC_FOUNDRY_BASE_URL: undefined,
    ANTHROPIC_FOUNDRY_RESOURCE: undefined,
  };
}

suite('Platform clients: connection checks and their failures', () => {
  let emu: EmulatorHandle;
  let home: string;

  suiteSetup(async () => {
    emu = await startEmulator();
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-home-'));
  });
  suiteTeardown(() => emu.close());
  setup(() => emu.state.reset());

  const bedrock = (region = 'us-east-1', profile?: string): Extract<PlatformClientConfig, { provider: 'bedrock' }> => ({ provider: 'bedrock', region, baseURL: emu.url, auth: { kind: 'awsChain', profile } });

  async function problemOf(config: PlatformClientConfig, model: string): Promise<string | undefined> {
    try {
      await checkPlatformConnection(config, model);
      return 'connected';
    } catch (error) {
      return platformProblem(error)?.kind ?? `other: ${classifyError(error).message}`;
    }
  }

  test('Bedrock: the AWS credential chain signs with the environment\'s keys, and one small message proves the connection', async () => {
    await withEnv({ ...isolatedCloudEnv(home), AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY }, async () => {
      assert.equal(await problemOf(bedrock(), BEDROCK_MODEL), 'connected');
    });
    const [request] = emu.state.requests;
    assert.equal(request?.auth, `sigv4:${ACCESS_KEY}:us-east-1`);
    assert.equal((request?.body as { max_tokens?: number }).max_tokens, 1, 'the check asks for a single token');
  });

  test('Bedrock: no credentials, an expired SSO session, a region without the model and a model not enabled are each named', async () => {
    await withEnv(isolatedCloudEnv(home), async () => {
      assert.equal(await problemOf(bedrock(), BEDROCK_MODEL), 'noCredentials');
    });
    const sso = expiredSsoHome();
    await withEnv({ ...isolatedCloudEnv(sso.home), AWS_CONFIG_FILE: sso.config }, async () => {
      assert.equal(await problemOf(bedrock('us-east-1', 'marathon-sso'), BEDROCK_MODEL), 'ssoExpired');
    });
    await withEnv({ ...isolatedCloudEnv(home), AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY }, async () => {
      assert.equal(await problemOf(bedrock('sa-east-1'), 'anthropic.claude-sonnet-5-5-v1'), 'wrongRegion');
      assert.equal(await problemOf(bedrock(), 'us.anthropic.claude-not-enabled-v1:0'), 'modelNotEnabled');
      assert.equal(await problemOf({ ...bedrock(), auth: { kind: 'bedrockApiKey', apiKey: 'ABSKtest' } }, BEDROCK_MODEL), 'connected');
    });
    assert.equal(emu.state.requests.length, 3, 'credential failures never reach the endpoint');
  });

  test('Vertex AI: Application Default Credentials from the metadata server, or their absence, named', async () => {
    const vertex: PlatformClientConfig = { provider: 'vertex', region: 'global', projectId: 'marathon-test-project', baseURL: `${emu.url}/v1`, auth: { kind: 'googleAdc' } };
    await withEnv({ ...isolatedCloudEnv(home), GCE_METADATA_HOST: new URL(emu.url).host, METADATA_SERVER_DETECTION: 'assume-present' }, async () => {
      assert.equal(await problemOf(vertex, 'claude-sonnet-5-5'), 'connected');
      assert.equal(await problemOf({ ...vertex, region: 'mars-north1' }, 'claude-sonnet-5-5'), 'wrongRegion');
      assert.equal(await problemOf(vertex, 'claude-not-enabled'), 'modelNotEnabled');
    });
    assert.equal(emu.state.requests[0]?.auth, 'oauth');
    await withEnv(isolatedCloudEnv(home), async () => {
      assert.equal(await problemOf(vertex, 'claude-sonnet-5-5'), 'noCredentials');
    });
  });

  test('Foundry: a key or an Entra token provider; a deployment that does not exist is named', async () => {
    const foundry: PlatformClientConfig = { provider: 'foundry', baseURL: `${emu.url}/anthropic/`, auth: { kind: 'foundryApiKey', apiKey: 'foundry-test-key' } };
    await withEnv(isolatedCloudEnv(home), async () => {
      assert.equal(await problemOf(foundry, 'claude-sonnet-5-5'), 'connected');
      assert.equal(await problemOf(foundry, 'claude-not-enabled'), 'modelNotEnabled');
      const rejected = await problemOf({ ...foundry, auth: { kind: 'foundryApiKey', apiKey: 'invalid' } }, 'claude-sonnet-5-5');
      assert.match(rejected ?? '', /^other: The API key was rejected/);
    });
    const entra = await createPlatformClient({ provider: 'foundry', baseURL: `${emu.url}/anthropic/`, auth: { kind: 'entraId' } }, {});
    assert.ok(entra.beta.messages);
  });
});
