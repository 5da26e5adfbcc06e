import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { createPlatformClient } from '../../src/core/platformClient';
import { silentLogger } from '../../src/core/ports';
import type { MessagesClient, SessionEvent, SessionSettings } from '../../src/core/session';
import { ConversationSession } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import type { ApiMessage } from '../../src/core/requestHistory';
import type { StoredBlock } from '../../src/core/records';
import { buildTurnRequest } from '../../src/core/turn/request';
import { snapshotSettings } from '../../src/core/turn/settingsSnapshot';
import { TEST_AWS_CREDENTIALS } from '../emulator/platforms';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import { testSettings } from '../fixtures/settings';

const [ACCESS_KEY = '', SECRET_KEY = ''] = Object.entries(TEST_AWS_CREDENTIALS)[0] ?? [];

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: { messages?: Array<{ role: string; content: Array<Record<string, unknown>> }>; compaction?: unknown; context_management?: unknown };
}

suite('A conversation moves between providers', function () {
  this.timeout(20_000);
  let emulator: EmulatorHandle;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  test('a summary signed on the Anthropic API goes to Bedrock as text, and Bedrock compacts at the threshold from then on', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
    try {
      const store = new InMemoryConversationStore();
      const id = (await store.create()).id;
      let onBedrock = false;
      const anthropic = createClient({ apiKey: 'test-key', baseURL: emulator.url });
      const bedrock = createPlatformClient({ provider: 'bedrock', region: 'us-east-1', baseURL: emulator.url, auth: { kind: 'awsChain' } });
      const base: SessionSettings = testSettings();
      const events: SessionEvent[] = [];
      const session = await ConversationSession.open({
        store,
        conversationId: id,
        client: (): Promise<MessagesClient> => (onBedrock ? bedrock : anthropic),
        // What the host hands a Bedrock turn: the platform's model id and no on-demand compaction.
        settings: () => (onBedrock ? { ...base, model: 'us.anthropic.claude-sonnet-5-5-v1:0', onDemandSupported: false } : base),
        systemPrompt: async () => 'You are a test assistant.',
        logger: silentLogger,
        retry: { baseDelayMs: 5, maxDelayMs: 50 },
        idleTimeoutMs: 2000,
      });
      session.onEvent((event) => events.push(event));
      await session.send('Plan the refactor of the parser');
      assert.equal(await session.compactNow(), true, 'the Anthropic API compacts on demand');

      onBedrock = true;
      await session.send('Now write the tests for it');
      const failed = events.filter((event) => event.type === 'turnFailed');
      assert.deepEqual(failed, [], 'the turn on Bedrock succeeds');
      const { requests } = (await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { requests: Recorded[] };
      const last = requests.at(-1)!;
      assert.match(last.path, /^\/model\/us\.anthropic\.claude-sonnet-5-5-v1:0\/invoke-with-response-stream$/);
      assert.equal(last.status, 200);
      const blocks = (last.body.messages ?? []).flatMap((message) => message.content);
      assert.equal(blocks.some((block) => block.type === 'compaction'), false, 'no signed block crosses over');
      assert.ok(blocks.some((block) => block.type === 'text' && String(block.text).startsWith('Summary of the earlier conversation: ')), 'the summary goes as text');
      const betas = (last.body as { anthropic_beta?: string[] }).anthropic_beta ?? [];
      assert.deepEqual(betas, ['compact-2026-01-12'], 'threshold compaction takes over, without the on-demand beta');
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
      if (saved.id === undefined) {delete process.env.AWS_ACCESS_KEY_ID;}
      if (saved.secret === undefined) {delete process.env.AWS_SECRET_ACCESS_KEY;}
    }
  });
});

const SUMMARY_PREAMBLE = 'Summary of the earlier conversation: ';

suite('Which summaries cross over to another provider or model', () => {
  const base: SessionSettings = { model: 'claude-sonnet-5-5', maxTokens: 1024, triggerTokens: 50_000, instructions: '', mode: 'auto', keepRecentTurns: 1, contextWindow: 200_000 };
  const signed = { type: 'compaction', content: 'We planned the parser refactor.', signature: 'EuYBsigned' };
  const threshold = { type: 'compaction', content: 'We planned the parser refactor.' };
  const encrypted = { ...threshold, encrypted_content: 'Eqopaque' };
  const messages = (block: StoredBlock): ApiMessage[] => [
    { role: 'assistant', content: [block] },
    { role: 'user', content: [{ type: 'text', text: 'Now write the tests for it' }] },
  ];
  const send = (block: StoredBlock, settings: Partial<SessionSettings>, anchorProvider?: string) =>
    buildTurnRequest(
      { settings: snapshotSettings({ ...base, ...settings }), system: 'You are a test assistant.', messages: messages(block) },
      { supported: true, signed: typeof block['signature'] === 'string', hasThresholdBlock: typeof block['signature'] !== 'string', anchorProvider },
    ) as { messages: Array<{ content: Array<Record<string, unknown>> }>; betas?: string[] };
  const carries = (body: { messages: Array<{ content: Array<Record<string, unknown>> }> }) => {
    const blocks = body.messages.flatMap((message) => message.content);
    return blocks.some((block) => block.type === 'compaction') ? 'block' : blocks.some((block) => String(block.text ?? '').startsWith(SUMMARY_PREAMBLE)) ? 'text' : 'nothing';
  };

  test('a signed summary stays a block on the platform that signed it, with another model too', () => {
    assert.equal(carries(send(signed, {})), 'block');
    assert.equal(carries(send(signed, { model: 'claude-opus-5-5' })), 'block');
    assert.equal(carries(send(signed, { provider: 'vertex' }, 'vertex')), 'block');
  });

  test('a signed summary goes to another platform as text, and that platform compacts at the threshold from then on', () => {
    const toVertex = send(signed, { provider: 'vertex' });
    assert.equal(carries(toVertex), 'text', 'Anthropic API → Vertex AI');
    assert.deepEqual(toVertex.betas, ['compact-2026-01-12']);
    assert.equal(carries(send(signed, {}, 'foundry')), 'text', 'Foundry → Anthropic API');
    assert.equal(carries(send(signed, { provider: 'foundry' }, 'vertex')), 'text', 'Vertex AI → Foundry');
    assert.equal(carries(send(signed, { onDemandSupported: false })), 'text', 'a model without on-demand compaction (Haiku)');
  });

  test('a threshold summary crosses to any platform, unless it carries encrypted content only its maker reads', () => {
    assert.equal(carries(send(threshold, { provider: 'bedrock', onDemandSupported: false })), 'block');
    assert.equal(carries(send(threshold, {}, 'vertex')), 'block');
    assert.equal(carries(send(encrypted, { provider: 'vertex' }, 'vertex')), 'block', 'where it was made');
    assert.equal(carries(send(encrypted, { provider: 'bedrock', onDemandSupported: false })), 'text', 'Anthropic API → Bedrock');
    const manual = send(encrypted, { provider: 'foundry', mode: 'manual' }) as { context_management?: unknown };
    assert.equal(manual.context_management, undefined, 'as text, no threshold strategy left to declare');
  });
});
