// What the emulated model "says": scripted replies first, else a deterministic reply derived from the
// last user text (identical input → identical output), cut by stop sequences and max_tokens.

import { randomBytes } from 'node:crypto';
import type { TokenSettings } from './tokens';
import { outputTokens } from './tokens';
import type { JsonValue, ScriptedReply, StopReason } from './types';

export interface ToolUsePlan {
  id: string;
  name: string;
  input: JsonValue;
}

export interface ReplyPlan {
  /** The text, already split into the deltas it streams as. */
  pieces: string[];
  delayMs: number;
  toolUses: ToolUsePlan[];
  stopReason: StopReason;
  /** Reported with a scripted `stop_sequence` stop. */
  stopSequence?: string;
  /** Text blocks before the reply's text, sent as given (possibly empty or whitespace-only). */
  textBlocks?: string[];
  /** Overrides the computed output token count. */
  outputTokens: number | null;
}

export function newId(prefix: string): string {
  return `${prefix}_01${randomBytes(16).toString('base64url').replace(/[-_]/g, 'x').slice(0, 22)}`;
}

/** Splits at word boundaries, a few words per delta, like real streaming granularity. */
function splitWords(text: string, wordsPerPiece = 3): string[] {
  const words = text.match(/\s*\S+\s*/g);
  if (!words) {return text ? [text] : [];}
  const pieces: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerPiece) {pieces.push(words.slice(i, i + wordsPerPiece).join(''));}
  return pieces;
}

function splitEven(text: string, count: number): string[] {
  const n = Math.max(1, Math.min(Math.floor(count), text.length));
  const pieces: string[] = [];
  for (let i = 0; i < n; i++) {pieces.push(text.slice(Math.round((i * text.length) / n), Math.round(((i + 1) * text.length) / n)));}
  return pieces.filter((p) => p !== '');
}

export function scriptedPlan(reply: ScriptedReply, chunkDelayMs: number): ReplyPlan {
  const text = reply.text ?? '';
  return {
    pieces: reply.chunks !== undefined ? splitEven(text, reply.chunks) : splitWords(text),
    delayMs: reply.delayMs ?? chunkDelayMs,
    toolUses: (reply.toolUse ?? []).map((t) => ({ id: t.id ?? newId('toolu'), name: t.name, input: (t.input ?? {}) as JsonValue })),
    stopReason: reply.stopReason ?? 'end_turn',
    ...(reply.stopReason === 'stop_sequence' ? { stopSequence: reply.stopSequence ?? '\n\nHuman:' } : {}),
    ...(reply.textBlocks ? { textBlocks: reply.textBlocks } : {}),
    outputTokens: reply.outputTokens ?? null,
  };
}

const LONG_FRAGMENTS = [
  'Long-running sessions',
  'keep their context',
  'because the server',
  'summarizes older turns',
  'when the prompt grows',
  'past the trigger,',
  'and the reply',
  'continues from the summary',
  'without losing the request',
  'the user just made.',
];
const LONG_DELTAS = 150;
const LONG_MIN_DELAY_MS = 30;

function longPieces(): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < LONG_DELTAS; i++) {
    const fragment = LONG_FRAGMENTS[i % LONG_FRAGMENTS.length] ?? '';
    const paragraphEnd = (i + 1) % 30 === 0 && i + 1 < LONG_DELTAS;
    pieces.push(i + 1 === LONG_DELTAS ? fragment : fragment + (paragraphEnd ? '\n\n' : ' '));
  }
  return pieces;
}

const MARKDOWN_DEMO = [
  '# Markdown demo',
  '',
  'This reply exercises the renderer: **bold**, _italic_, `inline code` and a [link](https://docs.anthropic.com/).',
  '',
  '## A list',
  '',
  '- first item',
  '- second item with `code`',
  '  1. nested, numbered',
  '',
  '| Feature | Supported |',
  '| --- | --- |',
  '| Tables | yes |',
  '| Code blocks | yes |',
  '',
  '```ts',
  'export function greet(name: string): string {',
  '  return `Hello, ${name}!`;',
  '}',
  '```',
  '',
  '```python',
  'def greet(name: str) -> str:',
  '    return f"Hello, {name}!"',
  '```',
  '',
  '> A quote, to finish.',
].join('\n');

function echoReply(userText: string): string {
  const words = userText.trim().split(/\s+/).length;
  return [
    `You said: "${userText.slice(0, 200)}"`,
    '',
    'This is a deterministic reply from the Marathon emulator: the same input always gives the same answer.',
    '',
    '```ts',
    `const wordsInYourMessage = ${words};`,
    '```',
  ].join('\n');
}

/** The reply when no script is queued. `summary` is the compaction summary the prompt starts from, if any. */
export function defaultPlan(userText: string | null, summary: string | null, chunkDelayMs: number): ReplyPlan {
  const plan = (pieces: string[], delayMs = chunkDelayMs): ReplyPlan => ({
    pieces,
    delayMs,
    toolUses: [],
    stopReason: 'end_turn',
    outputTokens: null,
  });
  if (userText === null) {
    // A continuation after a paused compaction: no user turn left, only the summary.
    const text = summary
      ? `Picking up where we left off. ${summary.slice(0, 120)}\n\nContinuing with the latest request.`
      : 'Hello! How can I help you today?';
    return plan(splitWords(text));
  }
  if (userText.includes('markdown-demo')) {return plan(splitWords(MARKDOWN_DEMO));}
  if (/\blong\b/i.test(userText)) {return plan(longPieces(), Math.max(chunkDelayMs, LONG_MIN_DELAY_MS));}
  return plan(splitWords(echoReply(userText)));
}

export interface FinalReply {
  /** Text blocks before the reply's text, as given. */
  textBlocks: string[];
  pieces: string[];
  toolUses: ToolUsePlan[];
  stopReason: StopReason;
  stopSequence: string | null;
  outputTokens: number;
  delayMs: number;
}

function truncatePieces(pieces: string[], maxChars: number): string[] {
  const kept: string[] = [];
  let used = 0;
  for (const piece of pieces) {
    if (used >= maxChars) {break;}
    kept.push(piece.slice(0, maxChars - used));
    used += piece.length;
  }
  return kept;
}

function toolUseTokens(tool: ToolUsePlan, s: TokenSettings): number {
  return outputTokens(tool.name + JSON.stringify(tool.input), s);
}

/** Applies stop sequences, then max_tokens (truncating the text and dropping tool calls). */
export function finalizeReply(plan: ReplyPlan, maxTokens: number, stopSequences: string[], s: TokenSettings): FinalReply {
  let pieces = plan.pieces;
  let toolUses = plan.toolUses;
  let stopReason: StopReason = toolUses.length ? 'tool_use' : plan.stopReason;
  let stopSequence: string | null = plan.stopReason === 'stop_sequence' && !toolUses.length ? (plan.stopSequence ?? null) : null;

  const text = pieces.join('');
  let firstStop = -1;
  for (const seq of stopSequences) {
    const index = text.indexOf(seq);
    if (index >= 0 && (firstStop < 0 || index < firstStop)) {
      firstStop = index;
      stopSequence = seq;
    }
  }
  if (firstStop >= 0) {
    pieces = truncatePieces(pieces, firstStop);
    toolUses = [];
    stopReason = 'stop_sequence';
  }

  const textTokens = outputTokens(pieces.join(''), s);
  let tokens = plan.outputTokens ?? textTokens + toolUses.reduce((sum, t) => sum + toolUseTokens(t, s), 0);
  if (tokens > maxTokens) {
    if (textTokens > maxTokens) {pieces = truncatePieces(pieces, maxTokens * s.charsPerToken);}
    toolUses = [];
    stopReason = 'max_tokens';
    stopSequence = null;
    tokens = maxTokens;
  }
  return { textBlocks: plan.textBlocks ?? [], pieces: pieces.filter((p) => p !== ''), toolUses, stopReason, stopSequence, outputTokens: tokens, delayMs: plan.delayMs };
}
