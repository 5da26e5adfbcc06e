// The engine against what the real API sends and refuses (the emulator's strict rules and stream shapes):
// each test is one defect that once ended a conversation or billed it wrongly, and fails without its fix.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import type { ToolCall, ToolHost, ToolOutcome, ToolRunContext } from '../../src/core/ports';
import { silentLogger } from '../../src/core/ports';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { TOOL_NAMES } from '../../src/core/tools';
import type { ScriptedReply } from '../emulator/server';
import { startEmulator, type EmulatorHandle } from '../emulator/server';

interface Recorded {
  path: string;
  betas: string[];
  status: number | null;
  body: {
    model: string;
    max_tokens: number;
    messages: Array<{ role: string; content: StoredBlock[] }>;
    context_management?: { edits: Array<Record<string, unknown>> };
    compaction?: unknown;
  };
}

class ReadingTools implements ToolHost {
  readonly calls: ToolCall[] = [];
  availableTools(): string[] {
    return [...TOOL_NAMES];
  }
  async run(calls: readonly ToolCall[], context: ToolRunContext): Promise<ToolOutcome[]> {
    return calls.map((call) => {
      this.calls.push(call);
      context.report(call.id, 'running');
      return { status: 'done', content: `contents of ${String((call.input as { path?: string }).path)}` };
    });
  }
}

suite('Engine fidelity: what the real API sends and refuses', function () {
  this.timeout(60_000);
  let emulator: EmulatorHandle;
  let store: InMemoryConversationStore;
  let settings: SessionSettings;
  let events: SessionEvent[];
  let seen = 0;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  setup(() => {
    emulator.state.reset();
    store = new InMemoryConversationStore();
    settings = { model: 'claude-sonnet-5-5', maxTokens: 1024, triggerTokens: 50_000, instructions: '', mode: 'auto', keepRecentTurns: 1, contextWindow: 200_000 };
    events = [];
    seen = 0;
  });

  const script = (replies: ScriptedReply[]) => emulator.state.addReplies(replies);
  const of = <T extends SessionEvent['type']>(type: T) => events.filter((event): event is Extract<SessionEvent, { type: T }> => event.type === type);

  /** Messages requests since the last call. */
  function takeRequests(): Recorded[] {
    const all = emulator.state.requests.filter((request) => request.path === '/v1/messages') as unknown as Recorded[];
    const fresh = all.slice(seen);
    seen = all.length;
    return fresh;
  }

  function assertAllAccepted(requests: Recorded[]): void {
    for (const request of requests) {
      assert.ok(request.status === 200 || request.status === null, `refused: ${request.status} ${JSON.stringify(request.body.messages.map((m) => [m.role, m.content.map((b) => b.type)]))}`);
    }
  }

  async function open(extra: { agent?: boolean; idleTimeoutMs?: number; conversationId?: string } = {}): Promise<ConversationSession> {
    const id = extra.conversationId ?? (await store.create()).id;
    if (extra.agent) {
      settings.chatMode = 'agent';
    }
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test assistant.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      idleTimeoutMs: extra.idleTimeoutMs ?? 4000,
      tools: extra.agent ? new ReadingTools() : undefined,
    });
    session.onEvent((event) => events.push(event));
    return session;
  }

  const records = (session: ConversationSession): Promise<ConversationRecord[]> => store.readAll(session.id);

  // #2 ---------------------------------------------------------------------------------------------

  test('#2 whitespace-only and empty text blocks are stored as received and never sent back', async () => {
    script([
      { textBlocks: ['\n\n'], toolUse: [{ id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } }] },
      { text: 'a.ts is empty.' },
      { text: '\n\n' },
      { textBlocks: [''], text: 'Fine.' },
    ]);
    const session = await open({ agent: true });
    await session.send('What is in a.ts?');
    await session.send('And now?');
    await session.send('Once more');
    await session.send('Last one');
    assert.equal(of('turnFailed').length, 0, JSON.stringify(of('turnFailed')));
    const requests = takeRequests();
    assertAllAccepted(requests);
    const last = requests.at(-1)!;
    for (const message of last.body.messages) {
      assert.ok(message.content.length > 0, 'no empty message');
      for (const block of message.content) {
        assert.ok(block.type !== 'text' || String(block.text).trim() !== '', 'no blank text block is sent');
      }
    }
    const stored = (await records(session)).filter((record) => record.kind === 'assistant');
    assert.deepEqual(stored[0]?.kind === 'assistant' && stored[0].content[0], { type: 'text', text: '\n\n', citations: null }, 'stored as received');
  });
});
