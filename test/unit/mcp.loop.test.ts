// The tool loop with tools beyond Marathon's own (an MCP server's, through ToolHost.externalTools):
// definitions sent after the built-in ones, calls handed to the host as they are, image results kept as
// image blocks, a tool that disappeared answered with an error, and a tool set that changes across a
// compaction keeping every request valid.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger, type ExternalToolDefinition, type ToolCall, type ToolHost, type ToolOutcome, type ToolRunContext } from '../../src/core/ports';
import { ConversationSession, type SessionSettings } from '../../src/core/session';
import { InMemoryConversationStore } from '../../src/core/store';
import { TOOL_NAMES } from '../../src/core/agentTools';
import { startEmulator, type EmulatorHandle } from '../emulator/server';
import type { ExpectationResult, ScriptedReply } from '../emulator/types';

const ECHO: ExternalToolDefinition = { name: 'everything__echo', description: '[MCP server everything] Echoes.', input_schema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } };
const IMAGE: ExternalToolDefinition = { name: 'everything__get-tiny-image', description: '[MCP server everything] An image.', input_schema: { type: 'object', properties: {} } };

class McpLikeTools implements ToolHost {
  readonly calls: ToolCall[] = [];
  external: ExternalToolDefinition[] = [ECHO, IMAGE];
  availableTools(): string[] {
    return [...TOOL_NAMES, ...this.external.map((tool) => tool.name)];
  }
  externalTools(): ExternalToolDefinition[] {
    return this.external;
  }
  async run(calls: readonly ToolCall[], context: ToolRunContext): Promise<ToolOutcome[]> {
    return calls.map((call) => {
      this.calls.push(call);
      context.report(call.id, 'running');
      if (call.name === IMAGE.name) {
        return { status: 'done', content: [{ type: 'text', text: 'A tiny image:' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] };
      }
      return { status: 'done', content: `echo ${JSON.stringify(call.input)} ${'x'.repeat(4000)}` };
    });
  }
}

interface Recorded {
  path: string;
  status: number;
  body: { tools?: Array<{ name: string }>; messages: Array<{ role: string; content: Array<Record<string, unknown>> }> };
}

suite('Agent mode with MCP tools: the tool loop against the emulator', function () {
  this.timeout(120_000);
  let emulator: EmulatorHandle;
  let store: InMemoryConversationStore;
  let settings: SessionSettings;
  let tools: McpLikeTools;

  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  setup(async () => {
    await control('reset', {});
    store = new InMemoryConversationStore();
    // The thinking the host sends by default: a tool set that changes is a prefix edit, and `drop_block`
    // lets the API drop the thinking made on the old set instead of refusing the request.
    settings = {
      model: 'claude-sonnet-5-5',
      maxTokens: 1024,
      triggerTokens: 50_000,
      instructions: '',
      mode: 'auto',
      keepRecentTurns: 1,
      contextWindow: 200_000,
      chatMode: 'agent',
      maxToolIterations: 25,
      thinking: { thinking: 'adaptive', budgetTokens: 31_999, effort: 'default' },
    };
    tools = new McpLikeTools();
  });

  async function control(route: string, body: unknown): Promise<void> {
    const response = await fetch(`${emulator.url}/_emulator/${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(response.status, 200, await response.clone().text());
  }
  const script = (replies: ScriptedReply[]) => control('script', { replies });
  const requests = async (): Promise<Recorded[]> => ((await (await fetch(`${emulator.url}/_emulator/requests`)).json()) as { requests: Recorded[] }).requests.filter((r) => r.path === '/v1/messages');
  const expectations = async (): Promise<ExpectationResult[]> => ((await (await fetch(`${emulator.url}/_emulator/expectations`)).json()) as { expectations: ExpectationResult[] }).expectations;

  async function open(): Promise<ConversationSession> {
    return ConversationSession.open({
      store,
      conversationId: (await store.create()).id,
      client: () => createClient({ apiKey: 'test-key', baseURL: emulator.url }),
      settings: () => settings,
      systemPrompt: async () => 'You are a test agent.',
      logger: silentLogger,
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      idleTimeoutMs: 4000,
      tools,
    });
  }

  test('MCP tools are offered after the built-in ones; their calls reach the host as sent; an image result stays an image block', async () => {
    await script([
      { toolUse: [{ id: 'toolu_echo', name: ECHO.name, input: { message: 'hi' } }, { id: 'toolu_img', name: IMAGE.name, input: {} }] },
      { text: 'Done.', expectToolResult: [{ toolUseId: 'toolu_echo', includes: 'echo {"message":"hi"}', isError: false }, { toolUseId: 'toolu_img', includes: 'A tiny image', isError: false }] },
    ]);
    const session = await open();
    await session.send('Use the server');
    const all = await requests();
    assert.deepEqual(all[0]!.body.tools!.map((tool) => tool.name), [...TOOL_NAMES, ECHO.name, IMAGE.name]);
    assert.deepEqual(tools.calls.map((call) => [call.name, call.input]), [[ECHO.name, { message: 'hi' }], [IMAGE.name, {}]]);
    const results = all[1]!.body.messages.at(-1)!.content;
    const image = results.find((block) => block['tool_use_id'] === 'toolu_img')!;
    assert.deepEqual((image['content'] as Array<{ type: string }>).map((block) => block.type), ['text', 'image']);
    assert.ok(all.every((request) => request.status === 200));
    assert.ok((await expectations()).every((entry) => entry.ok), JSON.stringify(await expectations()));
  });

  test('a call of a tool that has since disappeared is answered with an error, never run, and the turn goes on', async () => {
    await script([{ toolUse: [{ id: 'toolu_gone', name: 'everything__echo', input: { message: 'x' } }] }, { text: 'It is gone.', expectToolResult: [{ toolUseId: 'toolu_gone', isError: true, includes: 'not available any more' }] }]);
    tools.external = [];
    const session = await open();
    await session.send('Echo');
    assert.equal(tools.calls.length, 0);
    const all = await requests();
    assert.deepEqual(all[0]!.body.tools!.map((tool) => tool.name), [...TOOL_NAMES]);
    assert.ok(all.every((request) => request.status === 200));
    assert.ok((await expectations()).every((entry) => entry.ok), JSON.stringify(await expectations()));
  });

  test('the tool set changes between turns and across compactions; every request is valid and every call answered', async () => {
    await control('config', { tokenMultiplier: 4 });
    // Compactions mid-loop are the subject; context editing would postpone them.
    settings.contextEditing = 'off';
    const replies: ScriptedReply[] = [];
    for (let i = 0; i < 12; i++) {
      replies.push({ toolUse: [{ id: `toolu_s${i}`, name: ECHO.name, input: { message: String(i) } }] });
    }
    replies.push({ text: 'First part done.' });
    replies.push({ toolUse: [{ id: 'toolu_after', name: ECHO.name, input: { message: 'after' } }] });
    replies.push({ text: 'Second part done.', expectToolResult: [{ toolUseId: 'toolu_after', isError: true, includes: 'not available any more' }] });
    await script(replies);
    const session = await open();
    await session.send('Loop');
    // The server stops between the turns: its tools go, and a stale call is answered with an error.
    tools.external = [IMAGE];
    await session.send('Go on');
    const all = await requests();
    assert.ok(all.every((request) => request.status === 200), all.map((request) => request.status).join());
    const compacted = all.some((request) => request.body.messages.some((message) => message.content.some((block) => block.type === 'compaction')));
    assert.ok(compacted, 'a compaction happened mid-loop');
    assert.deepEqual(all.at(-1)!.body.tools!.map((tool) => tool.name), [...TOOL_NAMES, IMAGE.name]);
    assert.ok((await expectations()).every((entry) => entry.ok), JSON.stringify(await expectations()));
  });
});
