// Server-side context editing next to compaction: which `clear_tool_uses_20250919` and
// `clear_thinking_20251015` edits a turn's request carries, and what the server cleared (from the
// `context_management.applied_edits` of each answer), so the view can mark the tool results the model no
// longer sees. The client keeps the full history; clearing happens on the server only.
//
// Wire rules (thinking-and-context-editing.md §6, compaction-api.md §1.7): beta
// `context-management-2025-06-27`; `clear_thinking_20251015` first and only with `thinking` on; never in an
// on-demand compaction request (`compaction` + `context_management` is a 400); compaction's edit last.
//
// Why the policy is what it is. The API clears, once the prompt exceeds the trigger, every tool result but
// the newest `keep` [D context-editing], and a cleared result breaks the prompt cache from its position on
// [D]. A fixed `keep` would therefore move the cleared point at every step and rewrite the newest results
// into the cache each time. Marathon instead holds the cleared range still: it asks for
// `keep = calls - boundary`, where the boundary only moves in batches, when the context the model sees
// reaches CLEARING_SHARE of the compaction trigger; then everything but the newest KEEP_TOOL_USES results
// is cleared at once (if that frees at least CLEAR_AT_LEAST_TOKENS), one cache write per batch instead of
// one per step, and compaction is reached much later. A cache breakpoint at the end of the cleared range
// makes each batch rewrite only what follows the previous one.
import type { ApiMessage } from '../requestHistory';
import { toolResultText, type ClearedToolResult, type ContextManagementResponse, type ConversationRecord, type StoredBlock } from '../records';
import { estimateTokens } from '../usage';
import type { SettingsSnapshot } from './settingsSnapshot';

export const CONTEXT_MANAGEMENT_BETA = 'context-management-2025-06-27';

/**
 * Clearing starts at this share of the compaction trigger, well before it. Measured with the agent bench
 * (300 steps): 0.6 cost 9.6 USD, 0.5 8.8, 0.4 8.8 with half as many more cache breaks; 0.5 is the cheapest
 * share that still breaks the cache rarely.
 */
export const CLEARING_SHARE = 0.5;
/**
 * Results the model keeps after a clearing step: its working set. Fewer results kept make each batch's
 * cache write smaller (bench: 6 kept cost 10.1 USD, 4 kept 9.6 at the same share); a cleared read is one
 * call away.
 */
export const KEEP_TOOL_USES = 4;
/**
 * A clearing step costs one cache write of what follows the cleared point; below this it is not worth it
 * (the reference's value, scaled down with small triggers so that clearing can still happen before them).
 */
export const CLEAR_AT_LEAST_TOKENS = 30_000;
const CLEAR_AT_LEAST_SHARE = 0.2;
/** Small results that record state the model relies on (what an edit changed) are never cleared. */
export const EXCLUDED_TOOLS: readonly string[] = ['edit_file'];

export type ToolResultClearingMode = 'auto' | 'off';

interface ToolUseAt {
  id: string;
  name: string;
  resultTokens: number;
}

/** Tool calls of the request's messages, oldest first, with the size of their results. */
function toolUses(messages: readonly ApiMessage[]): ToolUseAt[] {
  const results = new Map<string, number>();
  for (const message of messages) {
    for (const block of message.content) {
      if (block.type === 'tool_result' && typeof block.tool_use_id === 'string') {
        results.set(block.tool_use_id, estimateTokens(toolResultText(block)));
      }
    }
  }
  return messages.flatMap((message) =>
    message.role !== 'assistant'
      ? []
      : message.content.flatMap((block: StoredBlock) =>
          block.type === 'tool_use' && typeof block.id === 'string'
            ? [{ id: block.id, name: typeof block.name === 'string' ? block.name : '', resultTokens: results.get(block.id) ?? 0 }]
            : [],
        ),
  );
}

/** Thinking sent explicitly on (`adaptive` or `enabled`): the only case `clear_thinking_20251015` is valid. */
function explicitThinking(body: Record<string, unknown>): boolean {
  const thinking = body.thinking;
  return typeof thinking === 'object' && thinking !== null && ['adaptive', 'enabled'].includes(String((thinking as { type?: unknown }).type));
}

/** The compaction trigger this conversation runs with (clearing is placed relative to it). */
function clearingTrigger(settings: SettingsSnapshot): number {
  return Math.round(Math.max(settings.triggerTokens, 50_000) * CLEARING_SHARE);
}

function clearAtLeast(settings: SettingsSnapshot): number {
  return Math.min(CLEAR_AT_LEAST_TOKENS, Math.round(Math.max(settings.triggerTokens, 50_000) * CLEAR_AT_LEAST_SHARE));
}

/** Whether the turn's requests may carry clearing edits at all. */
export function clearingEnabled(settings: SettingsSnapshot): boolean {
  return settings.chatMode === 'agent' && (settings.contextEditing ?? 'auto') === 'auto' && settings.contextEditingSupported !== false;
}

/**
 * The clearing state of one conversation: the newest tool call of the range the server clears (`boundary`),
 * confirmed by the server's answers and rebuilt from the stored records at open.
 */
export class ToolResultClearing {
  private boundaryId: string | undefined;
  /** The range the last request asked for, confirmed (or not) by its answer. */
  private planned: { ids: string[]; tokens: number[] } | undefined;
  /** Turned off for the session when the server refuses the edits. */
  private refused = false;

  /** The boundary of the newest record that cleared something; a compaction later simply leaves it unmatched. */
  static fromRecords(records: readonly ConversationRecord[]): ToolResultClearing {
    const clearing = new ToolResultClearing();
    for (const record of records) {
      const last = record.kind === 'assistant' ? record.clearedToolResults?.at(-1) : undefined;
      if (last) {
        clearing.boundaryId = last.toolUseId;
      }
    }
    return clearing;
  }

  /** The server refused the edits (a model or platform without them): requests go without from now on. Returns whether that is news. */
  refuse(): boolean {
    const news = !this.refused;
    this.refused = true;
    return news;
  }

  /**
   * Adds the clearing edits to a turn's request body, in front of compaction's edit, with their beta.
   * `contextTokens` is what the model saw last (the meter's count), which decides whether to clear more.
   */
  apply(body: Record<string, unknown>, messages: readonly ApiMessage[], contextTokens: number, settings: SettingsSnapshot): void {
    this.planned = undefined;
    if (this.refused || !clearingEnabled(settings)) {
      return;
    }
    const edits: Record<string, unknown>[] = [];
    if (explicitThinking(body) && settings.clearThinkingSupported !== false) {
      // Keeping every turn's thinking keeps the cache warm (reference §6); it is the default on current
      // models and keeps older ones from dropping earlier thinking.
      edits.push({ type: 'clear_thinking_20251015', keep: 'all' });
    }
    const tool = this.toolEdit(messages, contextTokens, settings);
    if (tool) {
      edits.push(tool.edit);
      holdCacheAtBoundaries(body, tool.boundaries, tool.batch);
    }
    if (edits.length === 0) {
      return;
    }
    const existing = (body.context_management as { edits?: unknown[] } | undefined)?.edits ?? [];
    body.context_management = { edits: [...edits, ...existing] };
    const betas = Array.isArray(body.betas) ? (body.betas as string[]) : [];
    body.betas = betas.includes(CONTEXT_MANAGEMENT_BETA) ? betas : [...betas, CONTEXT_MANAGEMENT_BETA];
  }

  private toolEdit(
    messages: readonly ApiMessage[],
    contextTokens: number,
    settings: SettingsSnapshot,
  ): { edit: Record<string, unknown>; boundaries: string[]; batch: boolean } | undefined {
    const uses = toolUses(messages);
    const held = this.boundaryId === undefined ? 0 : uses.findIndex((use) => use.id === this.boundaryId) + 1;
    let boundary = held;
    const trigger = clearingTrigger(settings);
    const next = uses.length - KEEP_TOOL_USES;
    if (contextTokens >= trigger && next > boundary) {
      // The local estimate is scaled to the server's count of the same prompt (its tokenizer, not ours).
      const scale = Math.max(1, contextTokens / Math.max(1, estimateTokens(JSON.stringify(messages))));
      const freed = scale * uses.slice(boundary, next).reduce((sum, use) => sum + (EXCLUDED_TOOLS.includes(use.name) ? 0 : use.resultTokens), 0);
      if (freed >= clearAtLeast(settings)) {
        boundary = next;
      }
    }
    if (boundary === 0) {
      return undefined;
    }
    const cleared = uses.slice(0, boundary).filter((use) => !EXCLUDED_TOOLS.includes(use.name));
    this.planned = { ids: cleared.map((use) => use.id), tokens: cleared.map((use) => use.resultTokens) };
    const at = (count: number): string[] => (count > 0 && uses[count - 1] ? [uses[count - 1]!.id] : []);
    return {
      edit: {
        type: 'clear_tool_uses_20250919',
        trigger: { type: 'input_tokens', value: trigger },
        keep: { type: 'tool_uses', value: uses.length - boundary },
        clear_at_least: { type: 'input_tokens', value: clearAtLeast(settings) },
        exclude_tools: [...EXCLUDED_TOOLS],
      },
      boundaries: boundary === held ? at(boundary) : [...at(held), ...at(boundary)],
      batch: boundary !== held,
    };
  }

  /**
   * Reads an answer's `context_management`: when the server cleared the planned range, returns the results
   * cleared for the first time (tokens shared out of `cleared_input_tokens` by their sizes) to store on
   * the answer's record, and moves the boundary.
   */
  noteAnswer(contextManagement: ContextManagementResponse | null | undefined): ClearedToolResult[] | undefined {
    const planned = this.planned;
    this.planned = undefined;
    const applied = contextManagement?.applied_edits.find((edit) => edit.type === 'clear_tool_uses_20250919');
    if (!planned || !applied || planned.ids.length === 0) {
      return undefined;
    }
    const start = this.boundaryId === undefined ? 0 : planned.ids.indexOf(this.boundaryId) + 1;
    this.boundaryId = planned.ids.at(-1);
    const estimated = planned.tokens.reduce((sum, tokens) => sum + tokens, 0);
    const scale = estimated > 0 ? (applied.cleared_input_tokens ?? estimated) / estimated : 0;
    const fresh = planned.ids.slice(start).map((toolUseId, i) => ({ toolUseId, tokens: Math.round((planned.tokens[start + i] ?? 0) * scale) }));
    return fresh.length > 0 ? fresh : undefined;
  }
}

/**
 * Cache breakpoints at the end of the cleared range. The cache looks back only 20 blocks from a
 * breakpoint [D prompt-caching], so without one there a clearing batch far back in the prompt would miss
 * everything but the system prompt and write the whole conversation again. With one at the range's end,
 * a batch reads the prompt up to the previous batch's end and writes from there; its request drops the
 * breakpoint on the second-to-last message (whose prefix the batch changes anyway) to stay within four.
 */
function holdCacheAtBoundaries(body: Record<string, unknown>, toolUseIds: readonly string[], batch: boolean): void {
  const messages = [...((body.messages as ApiMessage[] | undefined) ?? [])];
  const mark = (index: number, block: number, on: boolean): void => {
    const message = messages[index]!;
    const content = [...message.content];
    const { cache_control: _dropped, ...rest } = content[block]!;
    content[block] = on ? { ...rest, cache_control: { type: 'ephemeral' } } : rest;
    messages[index] = { role: message.role, content };
  };
  for (const id of toolUseIds) {
    messages.forEach((message, index) => {
      const block = message.content.findIndex((candidate) => candidate.type === 'tool_result' && candidate.tool_use_id === id);
      if (block >= 0 && index < messages.length - 2) {
        mark(index, block, true);
      }
    });
  }
  const secondToLast = messages.length - 2;
  if (batch && secondToLast >= 0 && messages[secondToLast]!.content.length > 0) {
    mark(secondToLast, messages[secondToLast]!.content.length - 1, false);
  }
  body.messages = messages;
}

/** A 400 that refuses the clearing edits themselves (not compaction): the turn is retried without them. */
export function isClearingRefused(message: string): boolean {
  return /clear_tool_uses_20250919|clear_thinking_20251015|context-management-2025-06-27/.test(message);
}
