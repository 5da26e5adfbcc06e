// The same conversation on each of the four providers, through the emulator: threshold compaction with
// the request put back, the trim fallback of a model without compaction, a fault that is retried, and
// a conversation reopened from disk. Each provider is chosen with `Marathon: Select Provider`.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import type { SelectProviderResult } from '../../src/host/selectProvider';
import { RecordingView, emulator, emulatorUrl, marathon, setConfig } from './helpers';

interface PlatformRequest {
  path: string;
  betas: string[];
  auth?: string;
  platform?: string;
  status: number | null;
  body: { messages?: Array<{ role: string; content: Array<{ type: string; text?: string }> }> } & Record<string, unknown>;
}

interface ProviderCase {
  name: string;
  /** The Select Provider choice; absent: the Anthropic API (the demo backend). */
  choice?: () => Record<string, unknown>;
  /** A model this provider serves without compaction. */
  legacyModel: string;
  /** What every request of the provider looks like on the wire. */
  expect: (request: PlatformRequest) => void;
}

const PROVIDERS: ProviderCase[] = [
  {
    name: 'Anthropic API',
    legacyModel: 'claude-sonnet-no-compaction',
    expect: (request) => assert.equal(request.path, '/v1/messages'),
  },
  {
    name: 'Amazon Bedrock',
    choice: () => ({ provider: 'bedrock', region: 'us-east-1', baseUrl: emulatorUrl(), model: 'us.anthropic.claude-sonnet-5-5-v1:0', authentication: 'awsCredentials', profile: '' }),
    legacyModel: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
    expect: (request) => {
      assert.match(request.path, /^\/model\/[^/]+\/invoke(-with-response-stream)?$/);
      assert.equal(request.auth, 'sigv4:AKIAMARATHONTEST0001:us-east-1', 'signed with SigV4 from the AWS credential chain');
    },
  },
  {
    name: 'Google Vertex AI',
    choice: () => ({ provider: 'vertex', region: 'global', projectId: 'marathon-test-project', baseUrl: `${emulatorUrl()}/v1`, model: 'claude-sonnet-5-5' }),
    legacyModel: 'claude-3-5-sonnet-v2@20241022',
    expect: (request) => {
      assert.match(request.path, /^\/v1\/projects\/marathon-test-project\/locations\/global\/publishers\/anthropic\/models\/[^/]+:(stream)?[rR]awPredict$/);
      assert.equal(request.auth, 'oauth', 'an access token from Application Default Credentials');
    },
  },
  {
    name: 'Microsoft Foundry',
    choice: () => ({ provider: 'foundry', baseUrl: `${emulatorUrl()}/anthropic/`, model: 'claude-sonnet-5-5', authentication: 'apiKey', apiKey: 'foundry-test-key' }),
    legacyModel: 'claude-3-5-sonnet',
    expect: (request) => {
      assert.equal(request.path, '/anthropic/v1/messages');
      assert.equal(request.auth, 'api-key');
    },
  },
];

const PROVIDER_KEYS = ['provider', 'model', 'bedrock.region', 'bedrock.profile', 'bedrock.baseUrl', 'bedrock.authentication', 'bedrock.model', 'vertex.region', 'vertex.projectId', 'vertex.baseUrl', 'vertex.model', 'foundry.resource', 'foundry.baseUrl', 'foundry.authentication', 'foundry.model'];

async function requests(): Promise<PlatformRequest[]> {
  const { requests: all } = await emulator<{ requests: PlatformRequest[] }>('requests');
  return all.filter((request) => !request.path.includes('count_tokens') && !request.path.includes('count-tokens'));
}

function lastUserText(request: PlatformRequest): string {
  const user = (request.body.messages ?? []).filter((message) => message.role === 'user').at(-1);
  return (user?.content ?? []).map((block) => block.text ?? '').join('');
}

for (const provider of PROVIDERS) {
  suite(`The same conversation on ${provider.name}`, () => {
    let api: MarathonApi;
    let view: RecordingView;

    const modelKey = (): string => (provider.choice ? `${String(provider.choice()['provider'])}.model` : 'model');

    suiteSetup(async () => {
      api = await marathon();
      if (provider.choice) {
        const result = await vscode.commands.executeCommand<SelectProviderResult>('marathon.selectProvider', provider.choice());
        assert.ok(result.ok, `Select Provider connects: ${result.message}`);
      }
    });

    suiteTeardown(async () => {
      for (const key of PROVIDER_KEYS) {
        await setConfig(key, undefined);
      }
      await setConfig('compaction.triggerTokens', undefined);
    });

    setup(async () => {
      await emulator('reset', {});
      view = new RecordingView(api);
      await api.controller.newConversation();
      view.clear();
    });

    teardown(async () => {
      view.dispose();
      await setConfig('compaction.triggerTokens', undefined);
      await setConfig(modelKey(), provider.choice ? String(provider.choice()['model']) : undefined);
    });

    test('threshold compaction puts the current request back verbatim and the answer arrives', async () => {
      await setConfig('compaction.triggerTokens', 50_000);
      await emulator('config', { tokenMultiplier: 60 });
      let question = '';
      for (let turn = 1; turn <= 8 && !view.of('chat/item').some((message) => message.item.kind === 'compaction'); turn++) {
        question = `Question ${turn} on ${provider.name}: ${'how does the parser handle this case? '.repeat(20)}`;
        await api.controller.send(question);
      }
      const compaction = view.of('chat/item').find((message) => message.item.kind === 'compaction')?.item;
      assert.ok(compaction?.kind === 'compaction' && compaction.compactionKind === 'threshold', 'the server compacted at the trigger');
      const done = view.of('chat/done').at(-1)?.item;
      assert.ok(done?.kind === 'assistant' && done.status === 'done', 'the answer after the compaction arrived');
      const all = await requests();
      for (const request of all) {
        provider.expect(request);
      }
      const afterCompaction = all.filter((request) => (request.body.messages ?? [])[0]?.content.some((block) => block.type === 'compaction')).at(-1);
      assert.ok(afterCompaction, 'a request resumed from the summary');
      assert.ok(lastUserText(afterCompaction).includes(question), 'the current request was put back verbatim');
      assert.ok(all.every((request) => request.status === 200));
    });

    test('a model without compaction falls back to trimming the oldest turns', async () => {
      await setConfig(modelKey(), provider.legacyModel);
      await setConfig('compaction.triggerTokens', 50_000);
      await emulator('config', { tokenMultiplier: 60 });
      for (let turn = 1; turn <= 8 && !view.of('chat/item').some((message) => message.item.kind === 'compaction'); turn++) {
        await api.controller.send(`Turn ${turn}: ${'tell me more about the module layout '.repeat(20)}`);
      }
      const trim = view.of('chat/item').find((message) => message.item.kind === 'compaction')?.item;
      assert.ok(trim?.kind === 'compaction' && trim.compactionKind === 'trim', 'the oldest turns were dropped');
      const last = (await requests()).at(-1);
      assert.ok(last && last.status === 200, 'the turn after the trim was answered');
      assert.ok(!lastUserText(last).includes('Turn 1:') || (last.body.messages ?? []).length < 8, 'the trimmed turns are no longer sent');
    });

    test('an overloaded answer and an error inside the stream are retried, and the answer arrives', async () => {
      await emulator('faults', { faults: [{ kind: 'http', status: 529, errorType: 'overloaded_error' }, { kind: 'stream-error', afterDeltas: 0, errorType: 'overloaded_error' }] });
      await api.controller.send('Explain the retry policy');
      assert.ok(view.of('notice/show').filter((notice) => /Retrying/.test(notice.message)).length >= 2, 'both failures were retried');
      const done = view.of('chat/done').at(-1)?.item;
      assert.ok(done?.kind === 'assistant' && done.status === 'done');
      const all = await requests();
      assert.equal(all.length, 3);
      // The refused request was turned away before its auth was read; the other two show it.
      all.filter((request) => request.status === 200).forEach((request) => provider.expect(request));
      assert.ok(all.every((request) => request.platform === all[0]?.platform), 'every attempt went to the same platform');
    });

    test('a conversation reopened from disk goes on with its whole history on the same provider', async () => {
      await api.controller.send('Remember the word lighthouse');
      const first = (await api.controller.activeSession()).id;
      await api.controller.newConversation();
      await api.controller.handle({ type: 'conversation/switch', id: first });
      assert.equal((await api.controller.activeSession()).id, first);
      await api.controller.send('Which word did I ask you to remember?');
      const last = (await requests()).at(-1);
      assert.ok(last, 'the reopened conversation sent its turn');
      provider.expect(last);
      const texts = (last.body.messages ?? []).flatMap((message) => message.content.map((block) => block.text ?? ''));
      assert.ok(texts.some((text) => text.includes('Remember the word lighthouse')), 'the earlier turn came back from disk');
      const state = await api.controller.viewState();
      assert.equal(state.backend.provider?.label ?? 'Anthropic API', provider.name);
    });
  });
}

suite('Marathon: Select Provider names what failed', () => {
  suiteSetup(async () => {
    await marathon();
  });
  suiteTeardown(async () => {
    for (const key of PROVIDER_KEYS) {
      await setConfig(key, undefined);
    }
  });

  const select = (choice: Record<string, unknown>): Thenable<SelectProviderResult> => vscode.commands.executeCommand<SelectProviderResult>('marathon.selectProvider', choice);

  test('a region that does not serve the model, a model not enabled and a missing key each get their own message', async () => {
    const bedrock = { provider: 'bedrock', baseUrl: emulatorUrl(), authentication: 'awsCredentials', profile: '' };
    const region = await select({ ...bedrock, region: 'sa-east-1', model: 'anthropic.claude-sonnet-5-5-v1' });
    assert.deepEqual([region.ok, region.ok ? '' : region.problem], [false, 'wrongRegion']);
    assert.match(region.message, /not served in the chosen region/);
    const access = await select({ ...bedrock, region: 'us-east-1', model: 'us.anthropic.claude-not-enabled-v1:0' });
    assert.deepEqual([access.ok, access.ok ? '' : access.problem], [false, 'modelNotEnabled']);
    const keyless = await select({ provider: 'bedrock', region: 'us-east-1', baseUrl: emulatorUrl(), model: 'us.anthropic.claude-sonnet-5-5-v1:0', authentication: 'apiKey' });
    assert.deepEqual([keyless.ok, keyless.ok ? '' : keyless.problem], [false, 'noCredentials']);
    assert.match(keyless.message, /No Bedrock API key/);
    const location = await select({ provider: 'vertex', region: 'us-east4', projectId: 'marathon-test-project', baseUrl: `${emulatorUrl()}/v1`, model: 'claude-sonnet-5-5' });
    assert.deepEqual([location.ok, location.ok ? '' : location.problem], [false, 'wrongRegion']);
    const connected = await select({ provider: 'bedrock', region: 'us-east-1', baseUrl: emulatorUrl(), model: 'us.anthropic.claude-sonnet-5-5-v1:0', authentication: 'awsCredentials', profile: '' });
    assert.ok(connected.ok, connected.message);
    assert.match(connected.message, /Connected to Amazon Bedrock \(us-east-1\)/);
  });
});

suite('Compact Now where on-demand compaction is not offered', () => {
  let api: MarathonApi;
  suiteSetup(async () => {
    api = await marathon();
  });
  teardown(async () => {
    for (const key of PROVIDER_KEYS) {
      await setConfig(key, undefined);
    }
  });

  test('Haiku on the Anthropic API: once the Models API has answered, Compact Now is drawn unavailable with the reason, and sends nothing', async () => {
    await emulator('reset', {});
    await setConfig('model', 'claude-haiku-5-5');
    await api.controller.newConversation();
    await api.controller.send('Hello from Haiku');
    const state = await api.controller.viewState();
    assert.match(state.backend.compactNowUnavailable ?? '', /claude-haiku-5-5 does not offer on-demand compaction/);
    const before = (await requests()).length;
    await api.controller.compactNow();
    const sent = (await requests()).slice(before);
    assert.deepEqual(sent.map((request) => request.path), [], 'Compact Now sent nothing');
  });

  test('Amazon Bedrock: Compact Now is drawn unavailable with the reason before any turn', async () => {
    const result = await vscode.commands.executeCommand<SelectProviderResult>('marathon.selectProvider', {
      provider: 'bedrock', region: 'us-east-1', baseUrl: emulatorUrl(), model: 'us.anthropic.claude-sonnet-5-5-v1:0', authentication: 'awsCredentials', profile: '',
    });
    assert.ok(result.ok, result.message);
    const state = await api.controller.viewState();
    assert.match(state.backend.compactNowUnavailable ?? '', /Amazon Bedrock does not offer on-demand compaction/);
  });
});
