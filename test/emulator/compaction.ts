// Compaction semantics: which prompt a compaction block leaves, the deterministic summary, and the
// signature of on-demand blocks with the checks the real API makes on replay (reference §1.5, §2.1, §2.7).

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Block, JsonObject, JsonValue, Message } from './types';
import { invalidRequest, isObject } from './types';

export const THRESHOLD_BETA = 'compact-2026-01-12';
export const ON_DEMAND_BETA = 'compact-2026-09-04';
export const DEFAULT_TRIGGER = 150_000;
export const MIN_TRIGGER = 50_000;

export const DEFAULT_SUMMARY_TEMPLATE =
  'Summary of the conversation ({messages} messages): the user\'s latest request was "{lastUser}". ' +
  '{topics}{instructions}The assistant answered each request in turn, with short explanations and code samples. ' +
  'Next step: continue helping with the latest request.';

/** Stands in for the server's summarization prompt; it is part of a compaction iteration's input. */
export const DEFAULT_SUMMARY_PROMPT =
  'You have been working on the task described above but have not yet completed it. Write a summary of the ' +
  'conversation so far that lets you continue the work: the user\'s requests, decisions made, files and code ' +
  'involved, errors met and how they were solved, and the next steps. Wrap it in <summary></summary> tags.';

function isSummaryBlock(block: Block): block is Block & { content: string } {
  return block.type === 'compaction' && typeof block['content'] === 'string' && block['content'] !== '';
}

/** The server ignores everything before the last compaction block with content (reference §2.2). */
export function applyCompactionBlocks(messages: Message[]): { messages: Message[]; summary: string | null } {
  for (let m = messages.length - 1; m >= 0; m--) {
    const message = messages[m];
    if (!message) {continue;}
    for (let b = message.content.length - 1; b >= 0; b--) {
      const block = message.content[b];
      if (block && isSummaryBlock(block)) {
        const first: Message = { role: message.role, content: message.content.slice(b) };
        return { messages: [first, ...messages.slice(m + 1)], summary: block.content };
      }
    }
  }
  return { messages, summary: null };
}

function messageText(message: Message): string {
  return message.content
    .filter((block) => block.type === 'text')
    .map((block) => String(block['text']))
    .join('\n');
}

function oneLine(text: string, max: number): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, max);
}

/** The text of the last user message that has any. */
export function lastUserText(messages: Message[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role !== 'user') {continue;}
    const text = messageText(message);
    if (text.trim() !== '') {return text;}
  }
  return null;
}

/** Deterministic summary of `messages`; small so the compacted context sits far below any trigger. */
export function summarize(messages: Message[], instructions: string | null, template: string): string {
  const userTexts = messages
    .filter((m) => m.role === 'user')
    .map(messageText)
    .filter((t) => t.trim() !== '');
  const earlier = userTexts.slice(0, -1).slice(-5);
  const topics = earlier.length ? `Earlier topics: ${earlier.map((t) => `"${oneLine(t, 40)}"`).join('; ')}. ` : '';
  const focus = instructions ? `Focus, as instructed: "${oneLine(instructions, 80)}". ` : '';
  const summary = template
    .replace('{messages}', String(messages.length))
    .replace('{lastUser}', oneLine(userTexts[userTexts.length - 1] ?? '', 80))
    .replace('{topics}', topics)
    .replace('{instructions}', focus);
  const sections = structuredSections(messages, userTexts, instructions);
  return sections ? `${summary}\n\n${sections}` : summary;
}

/** Instructions that name Markdown headings get them back, in order, as a model following them would write. */
function structuredSections(messages: Message[], userTexts: string[], instructions: string | null): string {
  const headings = [...(instructions ?? '').matchAll(/^## (.+)$/gm)].map((match) => (match[1] ?? '').trim());
  if (headings.length === 0) {return '';}
  const paths = [
    ...new Set(messages.flatMap((m) => m.content.flatMap((b) => (b.type === 'tool_use' && isObject(b['input']) && typeof b['input']['path'] === 'string' ? [b['input']['path']] : [])))),
  ].slice(0, 8);
  const body = (heading: string, index: number): string[] => {
    if (index === 0) {return userTexts.slice(-3).map((t) => `- ${oneLine(t, 100)}`);}
    if (/file/i.test(heading)) {return paths.length ? paths.map((p) => `- \`${p}\`: read while working on the request`) : ['- None.'];}
    if (/next/i.test(heading)) {return [`- Continue with: ${oneLine(userTexts[userTexts.length - 1] ?? '', 100)}`];}
    return ['- None.'];
  };
  return headings.map((heading, i) => [`## ${heading}`, ...body(heading, i)].join('\n')).join('\n\n');
}

/** tool_addition / tool_removal blocks of the summarized range, in the response shape. */
export function toolChangesOf(messages: Message[]): JsonObject[] {
  return messages.flatMap((m) =>
    m.content
      .filter((b) => b.type === 'tool_addition' || b.type === 'tool_removal')
      .map((b) => ({ type: b.type, tool: b['tool'] ?? null })),
  );
}

// --- Signatures -------------------------------------------------------------------------------
// "EuYB" + base64(mac(content)[16] | mac(tool_changes)[16] | mac(both macs)[16]): the seal tells a
// tampered signature apart from tampered content or tool_changes, as the real API's error codes do.

const SIGNATURE_PREFIX = 'EuYB';
const MAC_BYTES = 16;

function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) {return 'null';}
  if (Array.isArray(value)) {return `[${value.map(canonicalJson).join(',')}]`;}
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function mac(secret: string, label: string, data: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(label).update('\0').update(data).digest().subarray(0, MAC_BYTES);
}

export function signCompaction(secret: string, content: string, toolChanges: JsonValue | undefined): string {
  const contentMac = mac(secret, 'content', content);
  const toolsMac = mac(secret, 'tool_changes', canonicalJson(toolChanges));
  const seal = mac(secret, 'seal', Buffer.concat([contentMac, toolsMac]));
  return SIGNATURE_PREFIX + Buffer.concat([contentMac, toolsMac, seal]).toString('base64');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function verifySignature(secret: string, block: Block, where: string): void {
  const signature = String(block['signature']);
  const encoded = signature.slice(SIGNATURE_PREFIX.length);
  const raw = Buffer.from(encoded, 'base64');
  const valid =
    signature.startsWith(SIGNATURE_PREFIX) &&
    raw.length === 3 * MAC_BYTES &&
    raw.toString('base64') === encoded &&
    sameBytes(mac(secret, 'seal', raw.subarray(0, 2 * MAC_BYTES)), raw.subarray(2 * MAC_BYTES));
  if (!valid) {
    throw invalidRequest(`${where}.signature: The compaction block's signature does not verify.`, 'compaction_signature_invalid');
  }
  const content = block['content'];
  if (typeof content !== 'string' || !sameBytes(mac(secret, 'content', content), raw.subarray(0, MAC_BYTES))) {
    throw invalidRequest(
      `${where}.content: content differs from the text the signature recorded. Send the block back exactly as it was returned.`,
      'compaction_content_mismatch',
    );
  }
  if (!sameBytes(mac(secret, 'tool_changes', canonicalJson(block['tool_changes'])), raw.subarray(MAC_BYTES, 2 * MAC_BYTES))) {
    throw invalidRequest(
      `${where}.tool_changes: tool_changes differs from what was returned with the block. Send the block back unchanged.`,
      'compaction_tool_changes_mismatch',
    );
  }
}

/**
 * Rules for compaction blocks already in `messages` (shape was checked by validate.ts):
 * never in a system message; a signed block must be alone (ambiguous), first (misplaced), intact
 * (signature), and not combined with a threshold edit.
 */
export function checkCompactionBlocks(messages: Message[], secret: string, hasThresholdEdit: boolean): void {
  const located: { block: Block; m: number; b: number }[] = [];
  messages.forEach((message, m) =>
    message.content.forEach((block, b) => {
      if (block.type !== 'compaction') {return;}
      if (message.role === 'system') {
        throw invalidRequest(
          `messages.${m}.content.${b}: compaction blocks are not allowed in system messages.`,
          'compaction_block_misplaced',
        );
      }
      located.push({ block, m, b });
    }),
  );
  const signed = located.filter(({ block }) => typeof block['signature'] === 'string');
  if (signed.length === 0) {return;}
  if (located.filter(({ block }) => isSummaryBlock(block)).length > 1) {
    throw invalidRequest(
      'messages holds more than one compaction block with content. Send only the block the conversation returned last.',
      'compaction_block_ambiguous',
    );
  }
  if (hasThresholdEdit) {
    throw invalidRequest(
      "context_management.edits: Threshold compaction (compact_20260112) can't run on a request that carries a signed compaction block.",
    );
  }
  for (const { block, m, b } of signed) {
    if (m !== 0 || b !== 0) {
      throw invalidRequest(
        `messages.${m}.content.${b}: a signed compaction block must be the first block of the conversation, in place of the messages it summarizes.`,
        'compaction_block_misplaced',
      );
    }
    verifySignature(secret, block, `messages.${m}.content.${b}.compaction`);
  }
}
