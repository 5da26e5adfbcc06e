import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { createPlatformClient } from '../../src/core/platformClient';
import { silentLogger } from '../../src/core/ports';
import type { MessagesClient, SessionEvent, SessionSettings } from '../../src/core/session';
import { ConversationSession } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
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
