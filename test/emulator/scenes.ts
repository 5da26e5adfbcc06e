// The demo backend's scripted scenes: what the emulator answers to the prompts the empty state offers
// in demo mode ("Demo scene: …"), and to Fix with Marathon, so a newcomer without a key sees each part
// of Marathon: a code answer to Apply, a compaction, an agent run with an edit and a command to
// approve, and a fix as a unified diff. Everything else gets the ordinary deterministic reply.
import type { ReplyPlan, ToolUsePlan } from './replies';
import { newId } from './replies';
import type { Block, JsonObject, Message } from './types';

export type SceneName = 'code' | 'compaction' | 'agent' | 'fix';

/** The words each scene's prompt starts with (the webview's empty state sends these). */
export const SCENE_PREFIX = 'Demo scene:';
const SCENE_PATTERN = /Demo scene: (a code answer|a compaction|an agent run|a fix)/;
const SCENE_OF: Record<string, SceneName> = { 'a code answer': 'code', 'a compaction': 'compaction', 'an agent run': 'agent', 'a fix': 'fix' };
/** The prompt Fix with Marathon sends (src/host/context/commands.ts). */
const FIX_PATTERN = /Fix this problem in (.+?) \(line (\d+)\): (.*)/;

const SAMPLE_FILE = 'src/inventory.ts';

const CODE_ANSWER = [
  'Here is `src/inventory.ts` with a `totalQuantity` helper added at the end. Choose **Apply** on the code block: the diff editor shows the change, and nothing is written until you accept it.',
  '',
  '```ts src/inventory.ts',
  'export interface Item {',
  '  sku: string;',
  '  name: string;',
  '  quantity: number;',
  '}',
  '',
  'export function restock(items: Item[], sku: string, amount: number): Item[] {',
  '  return items.map((item) => (item.sku === sku ? { ...item, quantity: item.quantity + amount } : item));',
  '}',
  '',
  'export function lowStock(items: Item[], threshold = 5): Item[] {',
  '  return items.filter((item) => item.quantity < threshold);',
  '}',
  '',
  'export function totalQuantity(items: Item[]): number {',
  '  return items.reduce((sum, item) => sum + item.quantity, 0);',
  '}',
  '```',
  '',
  '(This is the demo backend: the answer is scripted, not written by Claude.)',
].join('\n');

const COMPACTION_ANSWER = [
  'So far we have looked at the inventory module: `restock` adds stock to one SKU, `lowStock` lists items under a threshold.',
  '',
  'Marathon now compacts this conversation on demand, as it does on its own when a conversation reaches the trigger (`marathon.compaction.triggerTokens`). Watch the timeline: a **Context compacted** marker appears with the size before and after; expand it to read the summary, and the meter falls.',
  '',
  '(Demo backend: a scripted answer.)',
].join('\n');

const FIX_ANSWER = [
  '`lowStock` leaves out items that sit exactly at the threshold. Include them:',
  '',
  '```diff',
  `--- a/${SAMPLE_FILE}`,
  `+++ b/${SAMPLE_FILE}`,
  '@@ -11,3 +11,3 @@',
  ' export function lowStock(items: Item[], threshold = 5): Item[] {',
  '-  return items.filter((item) => item.quantity < threshold);',
  '+  return items.filter((item) => item.quantity <= threshold);',
  ' }',
  '```',
  '',
  'Choose **Apply**: Marathon applies the diff as a patch and shows the result in the diff editor. (Demo backend: a scripted answer.)',
].join('\n');

function plan(text: string, delayMs: number, toolUses: ToolUsePlan[] = []): ReplyPlan {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += 4) {
    pieces.push(words.slice(i, i + 4).join(''));
  }
  return { pieces, delayMs, toolUses, stopReason: toolUses.length > 0 ? 'tool_use' : 'end_turn', outputTokens: null };
}

function textOf(message: Message): string {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => String(block['text']))
    .join('\n');
}

function isToolResultTurn(message: Message): boolean {
  return message.role === 'user' && message.content.some((block: Block) => block.type === 'tool_result');
}

/** The scene a prompt asks for, if any (exported for the tests that check the view's prompts). */
export function sceneOf(text: string): SceneName | undefined {
  const match = SCENE_PATTERN.exec(text);
  return match?.[1] === undefined ? undefined : SCENE_OF[match[1]];
}

/**
 * The scene's next reply for this conversation, or undefined when the last prompt starts no scene.
 * `toolNames` are the tools the request offers (Agent mode offers edit_file and run_command).
 */
export function scenePlan(messages: Message[], toolNames: readonly string[], delayMs: number): ReplyPlan | undefined {
  // The prompt is the last user message with text; tool results after it are the agent scene's steps.
  let promptIndex = -1;
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user' && !isToolResultTurn(message) && textOf(message).trim() !== '') {
      promptIndex = i;
      break;
    }
  }
  const prompt = promptIndex < 0 ? undefined : messages[promptIndex];
  if (prompt === undefined) {
    return undefined;
  }
  const text = textOf(prompt);
  const fix = FIX_PATTERN.exec(text);
  const scene = sceneOf(text) ?? (fix ? 'fix' : undefined);
  const steps = messages.slice(promptIndex + 1).filter(isToolResultTurn).length;
  switch (scene) {
    case undefined:
      return undefined;
    case 'code':
      return plan(CODE_ANSWER, delayMs);
    case 'compaction':
      return plan(COMPACTION_ANSWER, delayMs);
    case 'fix':
      return plan(fix && sceneOf(text) === undefined ? fixFromProblem(fix[1] ?? '', Number(fix[2]), fix[3] ?? '', text) : FIX_ANSWER, delayMs);
    case 'agent':
      return agentStep(steps, toolNames, messages, delayMs);
  }
}

/** The agent scene: an edit to approve, then a command to approve, then a summary. */
function agentStep(step: number, toolNames: readonly string[], messages: Message[], delayMs: number): ReplyPlan {
  if (!toolNames.includes('edit_file') || !toolNames.includes('run_command')) {
    return plan('This scene needs **Agent mode**: choose *Agent* below the prompt, then send the scene again. (Demo backend: a scripted answer.)', delayMs);
  }
  const tool = (name: string, input: JsonObject): ToolUsePlan => ({ id: newId('toolu'), name, input });
  if (step === 0) {
    return plan('I will raise the low-stock threshold in `src/inventory.ts` from 5 to 10. The edit waits for your approval in a diff.', delayMs, [
      tool('edit_file', { path: SAMPLE_FILE, old_text: 'threshold = 5', new_text: 'threshold = 10' }),
    ]);
  }
  if (step === 1) {
    return plan('Now I check that Node runs in the workspace; the command waits for your approval too.', delayMs, [tool('run_command', { command: 'node --version' })]);
  }
  const outcomes = messages
    .flatMap((message) => message.content)
    .filter((block) => block.type === 'tool_result')
    .map((block) => (block['is_error'] === true ? 'refused or failed' : 'done'));
  return plan(
    `Finished: the edit was ${outcomes[0] ?? 'done'} and the command was ${outcomes[1] ?? 'done'}. Each step asked before touching the workspace, and a checkpoint lets you restore the file. (Demo backend: a scripted run.)`,
    delayMs,
  );
}

/**
 * Fix with Marathon on any problem: a diff that adds a note above the problem's line, built from the
 * numbered excerpt the problem attachment carries, so Apply has a real patch that fits the file.
 */
function fixFromProblem(where: string, line: number, problem: string, text: string): string {
  const path = where.trim();
  // The excerpt's lines read `>  12 | code` (the problem's line is marked with `>`).
  const excerptLine = new RegExp(`^[> ]\\s*${line} \\| (.*)$`, 'm').exec(text)?.[1];
  const body = excerptLine === undefined
    ? ['Here is a note to put above that line; apply it to the open file.', '', '```diff', `@@ -${line},0 +${line},1 @@`, `+// TODO (demo fix): ${problem}`, '```']
    : [
        `The problem on line ${line}: ${problem}`,
        '',
        '```diff',
        `--- a/${path}`,
        `+++ b/${path}`,
        `@@ -${line},1 +${line},2 @@`,
        `+// TODO (demo fix): ${problem}`,
        ` ${excerptLine}`,
        '```',
      ];
  return [...body, '', 'The demo backend cannot write a real fix; this diff shows how Apply patches the file. (Demo backend: a scripted answer.)'].join('\n');
}
