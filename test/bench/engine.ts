// Engine benchmarks in Node against the emulator: the store, request size over a long session, tokens
// billed three ways, and time to first token. Run by scripts/bench.mjs; prints nothing itself.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createClient } from '../../src/core/client';
import type { ConversationRecord, StoredBlock } from '../../src/core/records';
import { ConversationSession, type SessionEvent, type SessionSettings } from '../../src/core/session';
import { withCacheBreakpoints } from '../../src/core/turn/request';
import { JsonlConversationStore } from '../../src/core/store';
import { priceFor, usageFigures, type ApiUsage } from '../../src/core/usage';
import { EmulatorControl } from '../emulator/control';
import { agentBench } from './agent';
import { thinkingBench } from './thinking';
import { figure, median, round, type Figure } from './figures';

export const SYSTEM = 'You are Marathon, a coding assistant inside Visual Studio Code. '.repeat(20);

export function settings(overrides: Partial<SessionSettings> = {}): SessionSettings {
  return { model: 'claude-sonnet-5-5', maxTokens: 4096, triggerTokens: 150_000, instructions: '', mode: 'auto', keepRecentTurns: 1, contextWindow: 200_000, ...overrides };
}

async function openSession(store: JsonlConversationStore, id: string, emulator: EmulatorControl, sessionSettings: SessionSettings, events?: SessionEvent[]) {
  const session = await ConversationSession.open({
    store,
    conversationId: id,
    client: () => sharedClient(emulator.baseUrl),
    settings: () => sessionSettings,
    systemPrompt: async () => SYSTEM,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
  });
  if (events) {
    session.onEvent((event) => events.push(event));
  }
  return session;
}

const clients = new Map<string, ReturnType<typeof createClient>>();
/** One client per emulator, as the host keeps one per key and endpoint. */
function sharedClient(baseURL: string): ReturnType<typeof createClient> {
  let client = clients.get(baseURL);
  if (!client) {
    client = createClient({ apiKey: 'bench-key', baseURL });
    clients.set(baseURL, client);
  }
  return client;
}

export function tempFolder(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-'));
}

function userRecord(index: number): ConversationRecord {
  return { v: 1, kind: 'user', id: `u-${index}`, at: Date.now(), content: [{ type: 'text', text: `Question ${index}: ` + 'how should this function handle errors? '.repeat(20) }] };
}

function assistantRecord(index: number): ConversationRecord {
  return {
    v: 1,
    kind: 'assistant',
    id: `a-${index}`,
    at: Date.now(),
    content: [{ type: 'text', text: `Answer ${index}: ` + 'Wrap the call and report the failure to the caller. '.repeat(30), citations: null }],
    stopReason: 'end_turn',
    status: 'done',
    model: 'claude-sonnet-5-5',
  };
}

/** Appending costs the same at record 10 and 10,000; opening a 10,000-record conversation shows its last screen fast. */
export async function storeBench(): Promise<Figure[]> {
  const folder = tempFolder();
  try {
    const store = new JsonlConversationStore(folder);
    const small = (await store.create()).id;
    const id = (await store.create()).id;
    for (let i = 0; i < 10; i++) {
      await store.append(small, i % 2 ? assistantRecord(i) : userRecord(i));
    }
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(Array.from({ length: 500 }, (_, k) => store.append(id, (i + k) % 2 ? assistantRecord(i + k) : userRecord(i + k))));
    }
    const timeAppends = async (conversation: string, from: number, count: number): Promise<number> => {
      const started = process.hrtime.bigint();
      for (let i = from; i < from + count; i++) {
        await store.append(conversation, i % 2 ? assistantRecord(i) : userRecord(i));
      }
      return Number(process.hrtime.bigint() - started) / 1e6 / count;
    };
    // Interleaved rounds on a 10-record and a 10,000-record file, so machine noise hits both alike.
    const earlyRounds: number[] = [];
    const lateRounds: number[] = [];
    for (let round = 0; round < 15; round++) {
      earlyRounds.push(await timeAppends(small, 10 + round * 10, 10));
      lateRounds.push(await timeAppends(id, 10_000 + round * 10, 10));
    }
    const early = median(earlyRounds);
    const late = median(lateRounds);
    await store.dispose();
    const openTimes: number[] = [];
    for (let run = 0; run < 5; run++) {
      const fresh = new JsonlConversationStore(folder);
      const started = process.hrtime.bigint();
      const session = await ConversationSession.open({
        store: fresh,
        conversationId: id,
        client: () => Promise.reject(new Error('not used')),
        settings: () => settings(),
        systemPrompt: async () => SYSTEM,
      });
      const { items } = session.items();
      openTimes.push(Number(process.hrtime.bigint() - started) / 1e6);
      if (items.length === 0) {
        throw new Error('the reopened conversation shows nothing');
      }
      await fresh.dispose();
    }
    return [
      figure('store', 'append at record 10', round(early * 1000, 1), 'µs'),
      figure('store', 'append at record 10,000', round(late * 1000, 1), 'µs'),
      figure('store', 'append ratio 10,000 / 10', round(late / early), 'x', { max: 1.5 }),
      figure('store', 'open 10,000-record conversation (last screen)', round(median(openTimes), 1), 'ms', { max: 100 }),
    ];
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

/** Request bytes and engine memory over a long session, with Marathon's compaction and without any. */
export async function requestSizeBench(emulator: EmulatorControl, turns: number): Promise<Figure[]> {
  const folder = tempFolder();
  const early = Math.round(turns / 10);
  try {
    await emulator.reset();
    await emulator.configure({ tokenMultiplier: 20 });
    const store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    // Only counters: keeping every event of 2,000 turns would be the benchmark's memory, not the engine's.
    let compactions = 0;
    let failures = 0;
    const session = await openSession(store, id, emulator, settings({ triggerTokens: 50_000 }));
    session.onEvent((event) => {
      compactions += event.type === 'item' && event.item.kind === 'compaction' ? 1 : 0;
      failures += event.type === 'turnFailed' ? 1 : 0;
    });
    // Requests grow between compactions and shrink at each one, so each figure is the largest request
    // in the stretch of turns before the measuring point, not a single sample taken at some phase.
    const window = Math.max(20, Math.round(turns / 20));
    const peakBytes = new Map<number, number>();
    const heap: number[] = [];
    for (let turn = 1; turn <= turns; turn++) {
      await session.send(`Turn ${turn}: ` + 'please keep refactoring the parser module. '.repeat(3 + (turn % 5)));
      for (const point of [early, turns]) {
        if (turn > point - window && turn <= point) {
          peakBytes.set(point, Math.max(peakBytes.get(point) ?? 0, Buffer.byteLength(JSON.stringify(await session.previewRequest()))));
        }
      }
      if (turn === early || turn === turns) {
        heap[turn] = heapUsed();
      }
    }
    if (failures > 0) {
      throw new Error(`${failures} turns failed in the request-size session`);
    }
    await store.dispose();

    // The same session without compaction: the whole history is sent until the window refuses it.
    const client = new Anthropic({ apiKey: 'bench-key', baseURL: emulator.baseUrl, maxRetries: 0 });
    const messages: Array<{ role: 'user' | 'assistant'; content: StoredBlock[] }> = [];
    let lastBytes = 0;
    let completed = 0;
    for (let turn = 1; turn <= turns; turn++) {
      messages.push({ role: 'user', content: [{ type: 'text', text: `Turn ${turn}: ` + 'please keep refactoring the parser module. '.repeat(3 + (turn % 5)) }] });
      const body = { model: 'claude-sonnet-5-5', max_tokens: 4096, system: SYSTEM, messages };
      lastBytes = Buffer.byteLength(JSON.stringify(body));
      try {
        const reply = await client.messages.create(body as never);
        messages.push({ role: 'assistant', content: reply.content as unknown as StoredBlock[] });
        completed = turn;
      } catch {
        break;
      }
    }
    return [
      figure('requests', `largest request, turns ${early - window + 1}–${early}`, peakBytes.get(early)!, 'B'),
      figure('requests', `largest request, turns ${turns - window + 1}–${turns}`, peakBytes.get(turns)!, 'B'),
      figure('requests', `request bytes ratio turn ${turns} / ${early}`, round(peakBytes.get(turns)! / peakBytes.get(early)!), 'x', { max: 1.2 }),
      figure('requests', `engine heap at turn ${early}`, round(heap[early]! / 1e6, 1), 'MB'),
      figure('requests', `engine heap at turn ${turns}`, round(heap[turns]! / 1e6, 1), 'MB'),
      figure('requests', `engine heap ratio turn ${turns} / ${early}`, round(heap[turns]! / heap[early]!), 'x', { max: 1.2 }),
      figure('requests', 'compactions in the session', compactions, ''),
      figure('requests', 'without compaction: turns completed before the window refused', completed, `of ${turns}`),
      figure('requests', 'without compaction: last request bytes', lastBytes, 'B'),
    ];
  } finally {
    await emulator.configure({ tokenMultiplier: 1 });
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

export interface Billing {
  turns: number;
  input: number;
  cacheRead: number;
  cacheWrite: number;
  compaction: number;
  peak: number;
  steadyRead: number;
  steadyTotal: number;
}

export function emptyBilling(): Billing {
  return { turns: 0, input: 0, cacheRead: 0, cacheWrite: 0, compaction: 0, peak: 0, steadyRead: 0, steadyTotal: 0 };
}

/** The scripted coding session: questions, attached files, and answers of realistic size. */
export function scriptedTurn(turn: number): { text: string; attachment?: string; reply: string } {
  const file = turn % 9 === 0 ? `<file path="src/module${turn % 13}.ts">\n${'export function step(input: string): string {\n  return input.trim();\n}\n'.repeat(60)}</file>` : undefined;
  const text = `Turn ${turn}: ${turn % 9 === 0 ? 'here is the file; ' : ''}what is the next change for the billing module? ` + 'Consider the edge cases. '.repeat(turn % 4);
  const reply = `For turn ${turn}, change the billing module like this:\n\n\`\`\`ts\n` + 'const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);\n'.repeat(12) + '```\n\n' + 'This keeps the totals exact and the tests green. '.repeat(14);
  return { text, attachment: file, reply };
}

export function account(billing: Billing, usage: ApiUsage, steady: boolean): void {
  const figures = usageFigures(usage);
  billing.input += figures.inputTokens;
  billing.cacheRead += figures.cacheReadTokens;
  billing.cacheWrite += figures.cacheWriteTokens;
  billing.compaction += figures.compactionInputTokens + figures.compactionOutputTokens;
  billing.peak = Math.max(billing.peak, figures.contextTokens - figures.outputTokens);
  if (steady) {
    billing.steadyRead += figures.cacheReadTokens;
    billing.steadyTotal += figures.inputTokens + figures.cacheReadTokens + figures.cacheWriteTokens;
  }
}

/** Billed tokens of one long session run three ways: Marathon, no compaction, client-side truncation. */
export async function tokensBench(emulator: EmulatorControl, turns: number, tokenMultiplier = 1): Promise<Figure[]> {
  const results: Record<string, Billing> = { marathon: emptyBilling(), none: emptyBilling(), truncation: emptyBilling() };

  // Marathon: server-side compaction with prompt caching, through the real engine. The quick run
  // inflates token counts so that its shorter session still crosses the trigger.
  await emulator.reset();
  await emulator.configure({ tokenMultiplier });
  const folder = tempFolder();
  try {
    const store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    const session = await openSession(store, id, emulator, settings());
    for (let turn = 1; turn <= turns; turn++) {
      const { text, attachment, reply } = scriptedTurn(turn);
      await emulator.addReplies([{ text: reply, chunks: 4 }]);
      await session.send(text, attachment ? { blocks: [{ type: 'text', text: attachment }], summaries: [{ kind: 'file', label: 'src/module.ts', tokens: 0 }] } : undefined);
    }
    const records = await store.readAll(id);
    let afterCompaction = 2;
    for (const record of records) {
      if (record.kind === 'compaction') {
        afterCompaction = 2;
      }
      if (record.kind === 'assistant' && record.usage) {
        const usage = record.usage;
        const apiUsage: ApiUsage = {
          iterations: [
            ...(usage.compactionInputTokens ? [{ type: 'compaction', input_tokens: usage.compactionInputTokens, output_tokens: usage.compactionOutputTokens }] : []),
            { type: 'message', input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, cache_read_input_tokens: usage.cacheReadTokens, cache_creation_input_tokens: usage.cacheWriteTokens },
          ],
        };
        // The first answers after a compaction rebuild the cache; steady state is every other turn.
        account(results.marathon!, apiUsage, afterCompaction-- <= 0);
        if (record.stopReason !== 'compaction') {
          results.marathon!.turns++;
        }
      }
    }
    await store.dispose();
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }

  // The two baselines send what other assistants send: the whole history, or the newest turns that fit.
  const client = new Anthropic({ apiKey: 'bench-key', baseURL: emulator.baseUrl, maxRetries: 0 });
  for (const mode of ['none', 'truncation'] as const) {
    await emulator.reset();
    await emulator.configure({ tokenMultiplier });
    const billing = results[mode]!;
    const history: Array<{ role: 'user' | 'assistant'; content: StoredBlock[] }> = [];
    for (let turn = 1; turn <= turns; turn++) {
      const { text, attachment, reply } = scriptedTurn(turn);
      await emulator.addReplies([{ text: reply, chunks: 4 }]);
      history.push({ role: 'user', content: [...(attachment ? [{ type: 'text', text: attachment }] : []), { type: 'text', text }] });
      if (mode === 'truncation') {
        // Drop the oldest exchanges until the estimate is under the same 150,000-token budget.
        while (history.length > 1 && (JSON.stringify(history).length / 4) * tokenMultiplier > 150_000) {
          history.splice(0, 2);
        }
      }
      try {
        const response = await client.beta.messages.create({
          model: 'claude-sonnet-5-5',
          max_tokens: 4096,
          system: [{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }],
          messages: withCacheBreakpoints(history) as never,
        });
        history.push({ role: 'assistant', content: response.content as unknown as StoredBlock[] });
        account(billing, response.usage, turn > 2);
        billing.turns++;
      } catch {
        history.pop();
        break;
      }
    }
  }

  const out: Figure[] = [];
  const labels: Record<string, string> = { marathon: 'Marathon', none: 'no compaction', truncation: 'client-side truncation' };
  for (const [mode, billing] of Object.entries(results)) {
    const label = labels[mode]!;
    const totalInput = billing.input + billing.cacheRead + billing.cacheWrite + billing.compaction;
    out.push(figure('tokens', `${label}: turns completed`, billing.turns, `of ${turns}`, mode === 'marathon' ? { min: turns } : undefined));
    out.push(figure('tokens', `${label}: billed input tokens`, totalInput, 'tokens'));
    // List prices of the model used (USD per million tokens); cache reads cost a tenth of fresh input.
    const price = priceFor('claude-sonnet-5-5');
    const inputCost = (billing.input * price.input + billing.cacheWrite * price.cacheWrite + billing.cacheRead * price.cacheRead + billing.compaction * price.input) / 1e6;
    out.push(figure('tokens', `${label}: input cost at list prices`, round(inputCost, 2), 'USD'));
    out.push(figure('tokens', `${label}: peak context`, billing.peak, 'tokens'));
    out.push(
      figure('tokens', `${label}: cache-read share of input (steady state)`, round((100 * billing.steadyRead) / Math.max(1, billing.steadyTotal), 1), '%', mode === 'marathon' ? { min: 80 } : undefined),
    );
  }
  return out;
}

/** Time to first token through Marathon's engine vs a bare SDK call to the same emulator. */
export async function latencyBench(emulator: EmulatorControl, runs: number): Promise<Figure[]> {
  await emulator.reset();
  // The emulator waits like the real API before the first token, so the ratio compares realistic turns.
  await emulator.configure({ firstTokenDelayMs: 400 });
  const folder = tempFolder();
  try {
    const store = new JsonlConversationStore(folder);
    const client = new Anthropic({ apiKey: 'bench-key', baseURL: emulator.baseUrl, maxRetries: 0 });
    const marathon: number[] = [];
    const bare: number[] = [];
    for (let run = 0; run < runs; run++) {
      const id = (await store.create()).id;
      const events: SessionEvent[] = [];
      const session = await openSession(store, id, emulator, settings(), events);
      const started = performance.now();
      let first = 0;
      session.onEvent((event) => {
        if (event.type === 'textDelta' && first === 0) {
          first = performance.now() - started;
        }
      });
      await session.send(`Latency run ${run}`);
      marathon.push(first);

      const bareStart = performance.now();
      let bareFirst = 0;
      const stream = client.beta.messages.stream({ model: 'claude-sonnet-5-5', max_tokens: 4096, system: SYSTEM, messages: [{ role: 'user', content: `Latency run ${run}` }] });
      stream.on('text', () => {
        if (bareFirst === 0) {
          bareFirst = performance.now() - bareStart;
        }
      });
      await stream.finalMessage();
      bare.push(bareFirst);
    }
    await store.dispose();
    return [
      figure('latency', 'time to first token, Marathon engine', round(median(marathon), 1), 'ms'),
      figure('latency', 'time to first token, bare SDK', round(median(bare), 1), 'ms'),
      figure('latency', 'time to first token ratio Marathon / SDK', round(median(marathon) / median(bare), 3), 'x', { max: 1.05 }),
    ];
  } finally {
    await emulator.configure({ firstTokenDelayMs: 0 });
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** Entry point: `node --expose-gc out/test/bench/engine.js <emulator url> <out.json> [--quick]`. */
async function main(): Promise<void> {
  const [url, outFile] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const quick = process.argv.includes('--quick');
  // The emulator runs in its own process, so the heap measured here is the engine's alone.
  const emulator = new EmulatorControl(url!);
  const figures: Figure[] = [];
  const failures: string[] = [];
  const scenarios: Array<[string, () => Promise<Figure[]>]> = [
    ['store', () => storeBench()],
    ['requests', () => requestSizeBench(emulator, quick ? 300 : 2000)],
    ['tokens', () => tokensBench(emulator, quick ? 200 : 600, quick ? 3 : 1)],
    ['latency', () => latencyBench(emulator, quick ? 5 : 15)],
    ['agent', () => agentBench(emulator, quick ? 100 : 300)],
    ['thinking', () => thinkingBench(emulator, quick ? 200 : 600, quick ? 3 : 1)],
  ];
  for (const [name, run] of scenarios) {
    try {
      figures.push(...(await run()));
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
  fs.writeFileSync(outFile ?? 'engine-bench.json', JSON.stringify({ figures, failures }, null, 2));
}

if (require.main === module) {
  void main();
}
