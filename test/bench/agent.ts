// The agent bench: one scripted 300-step tool loop (reads of 2-40 KB, searches, command output) through
// the emulator, run four ways in one run: Marathon with compaction and context editing, Marathon with
// compaction only, a client-side summary in the manner of Claude Code, and client-side truncation.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createClient } from '../../src/core/client';
import type { ToolCall, ToolHost, ToolOutcome, ToolRunContext } from '../../src/core/ports';
import type { StoredBlock, UsageFigures } from '../../src/core/records';
import { ConversationSession, type SessionSettings } from '../../src/core/session';
import { JsonlConversationStore } from '../../src/core/store';
import { TOOL_DEFINITIONS, TOOL_NAMES } from '../../src/core/agentTools';
import { withCacheBreakpoints } from '../../src/core/turn/request';
import { costOf, priceFor, usageFigures } from '../../src/core/usage';
import type { EmulatorControl } from '../emulator/control';
import type { ScriptedReply } from '../emulator/types';
import { figure, round, type Figure } from './figures';

const MODEL = 'claude-sonnet-5-5';
const SYSTEM = 'You are Marathon, a coding agent inside Visual Studio Code. Work step by step with the tools. '.repeat(40);
const TASK = 'Migrate the billing service from callbacks to async/await across the repository, keeping every test green.';
const WINDOW = 200_000;
const TRIGGER = 150_000;

/** A deterministic generator, so every way sees the same loop. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

interface Step {
  call: { id: string; name: string; input: Record<string, unknown> };
  result: string;
  text: string;
}

function fileBody(file: string, bytes: number): string {
  const line = `export async function ${file.replace(/\W/g, '_')}(input: Invoice): Promise<Total> { return compute(input); }\n`;
  return `// ${file}\n` + line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** The 300 steps: 60% reads of 2-40 KB (files come back), 20% searches, 20% command output. */
export function agentSteps(count: number): Step[] {
  const random = seeded(7);
  const files = Array.from({ length: 80 }, (_, i) => ({ path: `src/billing/module${i}.ts`, bytes: 2048 + Math.floor(random() * 38 * 1024) }));
  return Array.from({ length: count }, (_, i): Step => {
    const kind = random();
    const id = `toolu_bench_${i}`;
    if (kind < 0.6) {
      const file = files[Math.floor(random() * files.length)]!;
      return { call: { id, name: 'read_file', input: { path: file.path } }, result: fileBody(file.path, file.bytes), text: `Reading ${file.path}.` };
    }
    if (kind < 0.8) {
      const hits = 20 + Math.floor(random() * 60);
      const result = Array.from({ length: hits }, (_, k) => `src/billing/module${(i + k) % 80}.ts:${10 + k}: callback(err, total) // TODO migrate`).join('\n');
      return { call: { id, name: 'search_text', input: { query: 'callback(err' } }, result, text: 'Searching for the remaining callbacks.' };
    }
    const lines = 30 + Math.floor(random() * 300);
    const result = Array.from({ length: lines }, (_, k) => (k % 17 === 0 ? `  ✗ billing › computes totals (${k} ms)\n    Expected 42, received 41` : `  ✓ billing › case ${k} (${k % 9} ms)`)).join('\n');
    return { call: { id, name: 'run_command', input: { command: 'npm test -- billing' } }, result, text: 'Running the billing tests.' };
  });
}

interface Tally {
  steps: number;
  compactions: number;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  cost: number;
  largest: number;
  clearingBatches: number;
}

const emptyTally = (): Tally => ({ steps: 0, compactions: 0, input: 0, cacheRead: 0, cacheWrite: 0, output: 0, cost: 0, largest: 0, clearingBatches: 0 });

function add(tally: Tally, figures: UsageFigures): void {
  tally.input += figures.inputTokens + figures.compactionInputTokens - (figures.compactionCacheReadTokens ?? 0) - (figures.compactionCacheWriteTokens ?? 0);
  tally.cacheRead += figures.cacheReadTokens + (figures.compactionCacheReadTokens ?? 0);
  tally.cacheWrite += figures.cacheWriteTokens + (figures.compactionCacheWriteTokens ?? 0);
  tally.output += figures.outputTokens + figures.compactionOutputTokens;
  tally.cost += costOf(figures, priceFor(MODEL));
  tally.largest = Math.max(tally.largest, figures.inputTokens + figures.cacheReadTokens + figures.cacheWriteTokens, figures.compactionInputTokens);
}

/** Answers each call with the scripted step's result. */
class ScriptedTools implements ToolHost {
  constructor(private readonly results: ReadonlyMap<string, string>) {}
  availableTools(): string[] {
    return [...TOOL_NAMES];
  }
  async run(calls: readonly ToolCall[], context: ToolRunContext): Promise<ToolOutcome[]> {
    return calls.map((call) => {
      context.report(call.id, 'running');
      return { status: 'done', content: this.results.get(call.id) ?? 'no result' };
    });
  }
}

const replyOf = (step: Step): ScriptedReply => ({ text: step.text, toolUse: [step.call] });

/** Marathon's engine in Agent mode, with or without context editing. */
async function marathon(emulator: EmulatorControl, steps: Step[], contextEditing: 'auto' | 'off'): Promise<Tally> {
  await emulator.reset();
  await emulator.addReplies([...steps.map(replyOf), { text: 'The billing service is migrated and the tests pass.' }]);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-agent-'));
  try {
    const store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    const settings: SessionSettings = {
      model: MODEL,
      maxTokens: 4096,
      triggerTokens: TRIGGER,
      instructions: '',
      mode: 'auto',
      keepRecentTurns: 1,
      contextWindow: WINDOW,
      chatMode: 'agent',
      maxToolIterations: steps.length + 10,
      contextEditing,
    };
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'bench-key', baseURL: emulator.baseUrl }),
      settings: () => settings,
      systemPrompt: async () => SYSTEM,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
      tools: new ScriptedTools(new Map(steps.map((step) => [step.call.id, step.result]))),
    });
    await session.send(TASK);
    const tally = emptyTally();
    for (const record of await store.readAll(id)) {
      if (record.kind === 'assistant' && record.usage) {
        add(tally, record.usage);
        tally.clearingBatches += record.clearedToolResults ? 1 : 0;
      }
      if (record.kind === 'user' && record.toolRuns) {
        tally.steps += record.toolRuns.length;
      }
      if (record.kind === 'compaction' && !record.failed) {
        tally.compactions++;
      }
    }
    await store.dispose();
    return tally;
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

type Message = { role: 'user' | 'assistant'; content: StoredBlock[] };

/** Roughly what the emulator counts (4 characters a token), to decide when a client-side strategy acts. */
const estimate = (value: unknown): number => Math.ceil(JSON.stringify(value).length / 4);

/**
 * Claude Code's way (anchors-on-the-wire.md): proactive compaction at window − min(max output, 20,000) −
 * 13,000; the summary request is a copy of the request with the summary prompt appended to the last user
 * message and its breakpoint on the second-to-last message (it reads the main cache); the rebuilt
 * conversation is the summary, the newest round verbatim and the files read lately re-attached.
 */
const SUMMARY_PROMPT =
  'Your task is to create a detailed summary of the conversation so far. Respond with text only; do not call tools. ' +
  'Sections: primary request and intent, key technical concepts, files and code, errors and fixes, problem solving, all user messages, pending tasks, current work, optional next step. '.repeat(8);
const SUMMARY_TEXT = 'This session is being continued from a previous conversation. Summary: migrating billing to async/await; files changed so far listed below; tests failing in computes totals. '.repeat(40);

async function clientSide(emulator: EmulatorControl, steps: Step[], mode: 'summary' | 'truncation'): Promise<Tally> {
  await emulator.reset();
  const client = new Anthropic({ apiKey: 'bench-key', baseURL: emulator.baseUrl, maxRetries: 0 });
  const tally = emptyTally();
  const tools = TOOL_NAMES.map((name) => TOOL_DEFINITIONS[name]);
  const system = [{ type: 'text' as const, text: SYSTEM, cache_control: { type: 'ephemeral' as const } }];
  let messages: Message[] = [{ role: 'user', content: [{ type: 'text', text: TASK }] }];
  const readFiles: Array<{ path: string; body: string }> = [];
  const proactive = WINDOW - Math.min(4096, 20_000) - 13_000;
  const send = async (body: Message[], reply: ScriptedReply) => {
    await emulator.addReplies([reply]);
    const response = await client.beta.messages.create({ model: MODEL, max_tokens: 4096, system, tools: tools, messages: body as never });
    add(tally, usageFigures(response.usage));
    return response;
  };
  for (let i = 0; i <= steps.length; i++) {
    const step = steps[i];
    const size = estimate({ system, tools, messages });
    if (mode === 'summary' && size > proactive) {
      // The summary request: the same request with the prompt appended, breakpoint one message earlier.
      const last = messages.at(-1)!;
      const request = [...withCacheBreakpoints(messages.slice(0, -1)), { role: last.role, content: [...last.content, { type: 'text', text: SUMMARY_PROMPT }] }];
      await send(request, { text: SUMMARY_TEXT });
      tally.compactions++;
      const newestRound = messages.slice(-2);
      const files = readFiles.slice(-5).map((file) => ({ type: 'text', text: `<file path="${file.path}">\n${file.body}\n</file>` }));
      messages = [{ role: 'user', content: [{ type: 'text', text: `${SUMMARY_TEXT}\n\nTask: ${TASK}` }, ...files] }, { role: 'assistant', content: [{ type: 'text', text: 'Continuing.' }] }, ...newestRound];
    }
    if (mode === 'truncation') {
      // Drop the oldest rounds (keeping the task) until the estimate is under the compaction trigger.
      while (messages.length > 3 && estimate({ system, tools, messages }) > TRIGGER) {
        messages.splice(1, 2);
        tally.compactions++;
      }
    }
    try {
      const response = await send(withCacheBreakpoints(messages), step ? replyOf(step) : { text: 'Done.' });
      if (!step) {
        break;
      }
      messages.push({ role: 'assistant', content: response.content as unknown as StoredBlock[] });
      messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: step.call.id, content: step.result }] });
      if (step.call.name === 'read_file') {
        readFiles.push({ path: String(step.call.input.path), body: step.result });
      }
      tally.steps++;
    } catch {
      break;
    }
  }
  return tally;
}

/** Runs the loop four ways and reports, for each, the figures of the README's agent table. */
export async function agentBench(emulator: EmulatorControl, count: number, only?: string): Promise<Figure[]> {
  const steps = agentSteps(count);
  const ways: Array<[string, () => Promise<Tally>]> = [
    ['Marathon, compaction + context editing', () => marathon(emulator, steps, 'auto')],
    ['Marathon, compaction only', () => marathon(emulator, steps, 'off')],
    ['client-side summary (Claude Code)', () => clientSide(emulator, steps, 'summary')],
    ['client-side truncation', () => clientSide(emulator, steps, 'truncation')],
  ];
  const out: Figure[] = [];
  for (const [label, run] of ways.filter(([label]) => only === undefined || label.includes(only))) {
    const tally = await run();
    const input = tally.input + tally.cacheRead + tally.cacheWrite;
    out.push(figure('agent', `${label}: steps completed`, tally.steps, `of ${count}`, label.startsWith('Marathon') ? { min: count } : undefined));
    out.push(figure('agent', `${label}: compactions${label.includes('truncation') ? ' (rounds dropped)' : ''}`, tally.compactions, ''));
    if (tally.clearingBatches > 0) {
      out.push(figure('agent', `${label}: clearing batches`, tally.clearingBatches, ''));
    }
    out.push(figure('agent', `${label}: billed input tokens`, input, 'tokens'));
    out.push(figure('agent', `${label}: billed output tokens`, tally.output, 'tokens'));
    out.push(figure('agent', `${label}: cache-read share of input`, round((100 * tally.cacheRead) / Math.max(1, input), 1), '%'));
    out.push(figure('agent', `${label}: cost at list prices`, round(tally.cost, 2), 'USD'));
    out.push(figure('agent', `${label}: largest request`, tally.largest, 'tokens'));
  }
  return out;
}

/** `node out/test/bench/agent.js <emulator url> [steps]`: the agent bench alone, printed as JSON lines. */
async function main(): Promise<void> {
  const [url, count, only] = process.argv.slice(2);
  const { EmulatorControl: Control } = await import('../emulator/control');
  for (const entry of await agentBench(new Control(url!), Number(count) || 300, only)) {
    console.log(`${entry.name}: ${entry.value} ${entry.unit}`);
  }
}

if (require.main === module) {
  void main();
}
