// The thinking bench: the 600-turn coding session of the tokens bench with adaptive thinking on, through
// Marathon's engine and the emulator with the prefix check enforced on every request. Request bytes early
// and late, billed tokens (thinking among the output), cost at list prices and the cache-read share.
import * as fs from 'node:fs';
import { createClient } from '../../src/core/client';
import type { Logger } from '../../src/core/ports';
import { ConversationSession } from '../../src/core/session';
import { JsonlConversationStore } from '../../src/core/store';
import { priceFor, type ApiUsage } from '../../src/core/usage';
import type { EmulatorControl } from '../emulator/control';
import { SYSTEM, account, emptyBilling, scriptedTurn, settings, tempFolder } from './engine';
import { figure, round, type Figure } from './figures';

const MODEL = 'claude-sonnet-5-5';

/** What the model thinks before an answer: a few hundred words, like a coding turn's reasoning. */
function reasoning(turn: number): string {
  return `Turn ${turn}: the user wants the next change to the billing module. ` + 'Check the callers, the rounding of totals and the tests that pin them before proposing the change. '.repeat(8 + (turn % 5));
}

export async function thinkingBench(emulator: EmulatorControl, turns: number, tokenMultiplier = 1): Promise<Figure[]> {
  await emulator.reset();
  // forcePrefixError: every thinking block sent back is checked against its prefix, with `error`.
  await emulator.configure({ tokenMultiplier, forcePrefixError: true });
  const folder = tempFolder();
  let refusals = 0;
  let failures = 0;
  const logger: Logger = {
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => {
      refusals += message.includes('[Thinking]') ? 1 : 0;
    },
    error: () => undefined,
  };
  try {
    const store = new JsonlConversationStore(folder);
    const id = (await store.create()).id;
    const session = await ConversationSession.open({
      store,
      conversationId: id,
      client: () => createClient({ apiKey: 'bench-key', baseURL: emulator.baseUrl }),
      settings: () => settings({ model: MODEL, maxTokens: 64_000, thinking: { thinking: 'adaptive', budgetTokens: 31_999, effort: 'default' } }),
      systemPrompt: async () => SYSTEM,
      logger,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    session.onEvent((event) => {
      failures += event.type === 'turnFailed' ? 1 : 0;
    });
    const window = Math.max(20, Math.round(turns / 10));
    const early: number[] = [];
    const late: number[] = [];
    for (let turn = 1; turn <= turns; turn++) {
      const { text, attachment, reply } = scriptedTurn(turn);
      await emulator.addReplies([{ text: reply, chunks: 4, thinking: reasoning(turn) }]);
      await session.send(text, attachment ? { blocks: [{ type: 'text', text: attachment }], summaries: [{ kind: 'file', label: 'src/module.ts', tokens: 0 }] } : undefined);
      if (turn <= window || turn > turns - window) {
        (turn <= window ? early : late).push(Buffer.byteLength(JSON.stringify(await session.previewRequest())));
      }
    }
    const records = await store.readAll(id);
    await store.dispose();

    const billing = emptyBilling();
    let thinkingTokens = 0;
    let outputTokens = 0;
    let compactions = 0;
    let afterCompaction = 2;
    for (const record of records) {
      if (record.kind === 'compaction') {
        afterCompaction = 2;
        compactions += record.failed ? 0 : 1;
      }
      if (record.kind === 'assistant' && record.usage) {
        const usage = record.usage;
        const apiUsage: ApiUsage = {
          iterations: [
            ...(usage.compactionInputTokens ? [{ type: 'compaction', input_tokens: usage.compactionInputTokens, output_tokens: usage.compactionOutputTokens }] : []),
            { type: 'message', input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, cache_read_input_tokens: usage.cacheReadTokens, cache_creation_input_tokens: usage.cacheWriteTokens },
          ],
        };
        account(billing, apiUsage, afterCompaction-- <= 0);
        thinkingTokens += usage.thinkingTokens ?? 0;
        outputTokens += usage.outputTokens + usage.compactionOutputTokens;
        billing.turns += record.stopReason === 'compaction' ? 0 : 1;
      }
    }
    const price = priceFor(MODEL);
    const inputCost = (billing.input * price.input + billing.cacheWrite * price.cacheWrite + billing.cacheRead * price.cacheRead + billing.compaction * price.input) / 1e6;
    const outputCost = (outputTokens * price.output) / 1e6;
    const largestEarly = Math.max(...early);
    const largestLate = Math.max(...late);
    const label = 'thinking on';
    return [
      figure('thinking', `${label}: turns completed`, turns - failures, `of ${turns}`, { min: turns }),
      figure('thinking', `${label}: requests refused with the prefix check enforced`, refusals, '', { max: 0 }),
      figure('thinking', `${label}: compactions`, compactions, ''),
      figure('thinking', `${label}: largest request, turns 1–${window}`, largestEarly, 'B'),
      figure('thinking', `${label}: largest request, turns ${turns - window + 1}–${turns}`, largestLate, 'B'),
      figure('thinking', `${label}: request bytes ratio late / early`, round(largestLate / largestEarly), 'x'),
      figure('thinking', `${label}: billed input tokens`, billing.input + billing.cacheRead + billing.cacheWrite + billing.compaction, 'tokens'),
      figure('thinking', `${label}: billed output tokens (thinking included)`, outputTokens, 'tokens'),
      figure('thinking', `${label}: thinking tokens`, thinkingTokens, 'tokens'),
      figure('thinking', `${label}: input cost at list prices`, round(inputCost, 2), 'USD'),
      figure('thinking', `${label}: output cost at list prices (thinking included)`, round(outputCost, 2), 'USD'),
      figure('thinking', `${label}: total cost at list prices`, round(inputCost + outputCost, 2), 'USD'),
      figure('thinking', `${label}: peak context`, billing.peak, 'tokens'),
      figure('thinking', `${label}: cache-read share of input (steady state)`, round((100 * billing.steadyRead) / Math.max(1, billing.steadyTotal), 1), '%', { min: 80 }),
    ];
  } finally {
    await emulator.configure({ tokenMultiplier: 1, forcePrefixError: false });
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** Alone: `node out/test/bench/thinking.js <emulator url> <out.json> [--quick]` (scripts/bench.mjs runs it inside engine.js). */
async function main(): Promise<void> {
  const [url, outFile] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  const quick = process.argv.includes('--quick');
  const { EmulatorControl } = await import('../emulator/control');
  const figures: Figure[] = [];
  const failures: string[] = [];
  try {
    figures.push(...(await thinkingBench(new EmulatorControl(url!), quick ? 200 : 600, quick ? 3 : 1)));
  } catch (error) {
    failures.push(`thinking: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  fs.writeFileSync(outFile ?? 'thinking-bench.json', JSON.stringify({ figures, failures }, null, 2));
}

if (require.main === module) {
  void main();
}
