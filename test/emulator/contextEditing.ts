// Context editing as the API applies it: the `clear_tool_uses_20250919` and `clear_thinking_20251015`
// edits are parsed with the API's rules and applied to the effective prompt before it is counted, cached
// and sampled, and each edit that changed the prompt is reported in `context_management.applied_edits`
// (thinking-and-context-editing.md §6, compaction-api.md §1.7, §2.6).
//
// Where the references are silent the choices below are marked [INF] and rest on:
// - [D context-editing] "When activated, the API automatically clears the oldest tool results in
//   chronological order, replacing them with placeholder text"; `keep` is "how many recent tool use/result
//   pairs to keep after clearing occurs"; the trigger fires "once the prompt exceeds this threshold".
// - [T BetaClearToolUses20250919Edit.clear_at_least] "Context will only be modified if at least this many
//   tokens can be removed."
// - compaction-api.md §6 "count the effective prompt (system + tools + messages, after clearing)": clearing
//   runs before the compaction trigger is checked, on what follows the last compaction block.

import { isThinkingBlock } from './thinking';
import type { Block, JsonObject, JsonValue, Message } from './types';
import { invalidRequest, isObject } from './types';

export const CONTEXT_MANAGEMENT_BETA = 'context-management-2025-06-27';

/** [D context-editing] defaults of `clear_tool_uses_20250919`. */
const DEFAULT_TOOL_TRIGGER = 100_000;
const DEFAULT_KEEP_TOOL_USES = 3;

/**
 * [INF] The placeholder's wording is undocumented (thinking-and-context-editing.md §8); this one says
 * what happened, so a model reading it can repeat the call.
 */
export const CLEARED_TOOL_RESULT = '[This tool result was cleared to save context. Run the tool again if you need it.]';

export interface ClearToolUsesEdit {
  trigger: { type: 'input_tokens' | 'tool_uses'; value: number };
  keep: number;
  clearAtLeast: number | null;
  excludeTools: string[];
  /** true: every cleared call's input; a list: the inputs of calls to these tools only. */
  clearToolInputs: boolean | string[];
}

export interface ClearThinkingEdit {
  /** Newest assistant turns whose thinking stays; `all` keeps every block. */
  keep: number | 'all';
}

export interface ClearingEdits {
  thinking: ClearThinkingEdit | null;
  toolUses: ClearToolUsesEdit | null;
}

export const NO_CLEARING: ClearingEdits = { thinking: null, toolUses: null };

/** The validation helpers of validate.ts, passed in so the two modules do not import each other. */
export interface FieldReader {
  object(value: JsonValue | undefined, where: string): JsonObject;
  integer(value: JsonValue | undefined, where: string, min: number): number;
  string(value: JsonValue | undefined, where: string): string;
  rejectExtraKeys(obj: JsonObject, allowed: readonly string[], where: string): void;
}

function tagged(obj: JsonObject, tags: readonly string[], where: string): string {
  const tag = obj['type'];
  if (typeof tag !== 'string' || !tags.includes(tag)) {
    throw invalidRequest(
      `${where}: Input tag '${String(tag)}' found using 'type' does not match any of the expected tags: ${tags.map((t) => `'${t}'`).join(', ')}`,
    );
  }
  return tag;
}

/** `{type, value}` objects of the SDK (BetaInputTokensTrigger, BetaToolUsesKeep, …); [INF] values are integers ≥ min. */
function counted(read: FieldReader, value: JsonValue | undefined, where: string, tags: readonly string[], min: number): { type: string; value: number } {
  const obj = read.object(value, where);
  read.rejectExtraKeys(obj, ['type', 'value'], where);
  const type = tagged(obj, tags, where);
  return { type, value: read.integer(obj['value'], `${where}.value`, min) };
}

function stringList(read: FieldReader, value: JsonValue | undefined, where: string): string[] {
  if (value === undefined || value === null) {return [];}
  if (!Array.isArray(value)) {throw invalidRequest(`${where}: Input should be a valid list`);}
  return value.map((item, i) => read.string(item, `${where}.${i}`));
}

export function parseClearToolUses(edit: JsonObject, where: string, read: FieldReader): ClearToolUsesEdit {
  read.rejectExtraKeys(edit, ['type', 'trigger', 'keep', 'clear_at_least', 'exclude_tools', 'clear_tool_inputs'], where);
  const trigger =
    edit['trigger'] === undefined || edit['trigger'] === null
      ? { type: 'input_tokens' as const, value: DEFAULT_TOOL_TRIGGER }
      : counted(read, edit['trigger'], `${where}.trigger`, ['input_tokens', 'tool_uses'], 1);
  const keep = edit['keep'] === undefined || edit['keep'] === null ? DEFAULT_KEEP_TOOL_USES : counted(read, edit['keep'], `${where}.keep`, ['tool_uses'], 0).value;
  const clearAtLeast =
    edit['clear_at_least'] === undefined || edit['clear_at_least'] === null
      ? null
      : counted(read, edit['clear_at_least'], `${where}.clear_at_least`, ['input_tokens'], 0).value;
  const rawInputs = edit['clear_tool_inputs'];
  let clearToolInputs: boolean | string[] = false;
  if (typeof rawInputs === 'boolean') {
    clearToolInputs = rawInputs;
  } else if (rawInputs !== undefined && rawInputs !== null) {
    if (!Array.isArray(rawInputs)) {throw invalidRequest(`${where}.clear_tool_inputs: Input should be a valid boolean or list`);}
    clearToolInputs = stringList(read, rawInputs, `${where}.clear_tool_inputs`);
  }
  return {
    trigger: { type: trigger.type === 'tool_uses' ? 'tool_uses' : 'input_tokens', value: trigger.value },
    keep,
    clearAtLeast,
    excludeTools: stringList(read, edit['exclude_tools'], `${where}.exclude_tools`),
    clearToolInputs,
  };
}

/** keep: `{type:"thinking_turns", value>0}` | `{type:"all"}` | `"all"` [T B:2447-2454]; default per model (§6 table). */
export function parseClearThinking(edit: JsonObject, where: string, read: FieldReader, model: string): ClearThinkingEdit {
  read.rejectExtraKeys(edit, ['type', 'keep'], where);
  const raw = edit['keep'];
  if (raw === undefined || raw === null) {return { keep: keepsAllThinking(model) ? 'all' : 1 };}
  if (raw === 'all') {return { keep: 'all' };}
  const obj = read.object(raw, `${where}.keep`);
  if (tagged(obj, ['thinking_turns', 'all'], `${where}.keep`) === 'all') {
    read.rejectExtraKeys(obj, ['type'], `${where}.keep`);
    return { keep: 'all' };
  }
  read.rejectExtraKeys(obj, ['type', 'value'], `${where}.keep`);
  return { keep: read.integer(obj['value'], `${where}.keep.value`, 1) };
}

/** "the API keeps all (Opus 4.5+, Sonnet 4.6+, Fable/Mythos) or the last turn only (older, Haiku ≤ 4.5)" (§3.1). */
function keepsAllThinking(model: string): boolean {
  return !/claude-(?:haiku-[34]|sonnet-4-5|sonnet-4-20|opus-4-[01]|opus-4-20|3)/.test(model);
}

/** Models the Models API lists without context editing (a synthesized id, like the `no-compaction` ones). */
export function supportsContextEditing(model: string): boolean {
  return !model.includes('no-context-editing');
}

// --- Applying the edits ------------------------------------------------------------------------------

export interface ClearingResult {
  messages: Message[];
  /** `context_management.applied_edits` entries, in the order the edits ran. */
  applied: JsonObject[];
}

/**
 * [INF] An assistant turn runs from an assistant message after a user message that is more than tool
 * results, through its tool loop (thinking-and-context-editing.md §3.1: a tool loop is one assistant turn).
 */
function assistantTurns(messages: Message[]): number[][] {
  const turns: number[][] = [];
  let current: number[] | null = null;
  messages.forEach((message, i) => {
    if (message.role === 'user' && !message.content.every((b) => b.type === 'tool_result')) {
      current = null;
    }
    if (message.role === 'assistant') {
      if (!current) {
        current = [];
        turns.push(current);
      }
      current.push(i);
    }
  });
  return turns;
}

function clearThinking(messages: Message[], edit: ClearThinkingEdit, count: (messages: Message[]) => number): ClearingResult {
  if (edit.keep === 'all') {return { messages, applied: [] };}
  const turns = assistantTurns(messages);
  const older = turns.slice(0, Math.max(0, turns.length - edit.keep));
  const edited = [...messages];
  let clearedTurns = 0;
  for (const turn of older) {
    let cleared = false;
    for (const index of turn) {
      const message = edited[index];
      if (!message?.content.some(isThinkingBlock)) {continue;}
      const rest = message.content.filter((b) => !isThinkingBlock(b));
      // [INF] A message of thinking alone keeps it: the API never sends an empty assistant message on.
      if (rest.length === 0) {continue;}
      edited[index] = { ...message, content: rest };
      cleared = true;
    }
    clearedTurns += cleared ? 1 : 0;
  }
  if (clearedTurns === 0) {return { messages, applied: [] };}
  return {
    messages: edited,
    applied: [{ type: 'clear_thinking_20251015', cleared_thinking_turns: clearedTurns, cleared_input_tokens: count(messages) - count(edited) }],
  };
}

interface ToolUseAt {
  id: string;
  name: string;
  message: number;
  block: number;
}

function toolUses(messages: Message[]): ToolUseAt[] {
  return messages.flatMap((message, m) =>
    message.role !== 'assistant'
      ? []
      : message.content.flatMap((block, b) => (block.type === 'tool_use' ? [{ id: String(block['id']), name: String(block['name']), message: m, block: b }] : [])),
  );
}

function clearToolUses(messages: Message[], edit: ClearToolUsesEdit, count: (messages: Message[]) => number): ClearingResult {
  const uses = toolUses(messages);
  const before = count(messages);
  const triggered = edit.trigger.type === 'tool_uses' ? uses.length > edit.trigger.value : before > edit.trigger.value;
  if (!triggered) {return { messages, applied: [] };}
  // Oldest first, everything but the newest `keep` tool uses, never an excluded tool.
  const candidates = uses.slice(0, Math.max(0, uses.length - edit.keep)).filter((use) => !edit.excludeTools.includes(use.name));
  const ids = new Set(candidates.map((use) => use.id));
  const clearInput = (name: string): boolean => (Array.isArray(edit.clearToolInputs) ? edit.clearToolInputs.includes(name) : edit.clearToolInputs);
  const edited = messages.map((message, m): Message => {
    if (message.role === 'user') {
      if (!message.content.some((b) => b.type === 'tool_result' && ids.has(String(b['tool_use_id'])))) {return message;}
      return {
        ...message,
        content: message.content.map((b) => (b.type === 'tool_result' && ids.has(String(b['tool_use_id'])) ? clearedResult(b) : b)),
      };
    }
    const inputs = candidates.filter((use) => use.message === m && clearInput(use.name));
    if (!inputs.length) {return message;}
    return { ...message, content: message.content.map((b, i) => (inputs.some((use) => use.block === i) ? { ...b, input: {} } : b)) };
  });
  const cleared = before - count(edited);
  if (candidates.length === 0 || cleared <= 0 || (edit.clearAtLeast !== null && cleared < edit.clearAtLeast)) {
    return { messages, applied: [] };
  }
  return { messages: edited, applied: [{ type: 'clear_tool_uses_20250919', cleared_tool_uses: candidates.length, cleared_input_tokens: cleared }] };
}

/** The result keeps its id and error flag; its content becomes the placeholder (cache_control kept in place). */
function clearedResult(block: Block): Block {
  const { content, cache_control: cacheControl, ...rest } = block;
  const innerCache = Array.isArray(content) ? content.map((c) => (isObject(c) ? c['cache_control'] : undefined)).find((c) => c !== undefined) : undefined;
  const breakpoint = cacheControl ?? innerCache;
  return { ...rest, type: 'tool_result', content: CLEARED_TOOL_RESULT, ...(breakpoint !== undefined ? { cache_control: breakpoint } : {}) };
}

/**
 * Runs the edits in the order the API requires them listed (thinking first, thinking-and-context-editing.md
 * §6); each sees the prompt the previous one left. `count` gives a prompt's input tokens (system and tools
 * included), which is what the input-token trigger and `cleared_input_tokens` measure.
 */
export function applyClearing(messages: Message[], edits: ClearingEdits, count: (messages: Message[]) => number): ClearingResult {
  const applied: JsonObject[] = [];
  let current = messages;
  if (edits.thinking) {
    const result = clearThinking(current, edits.thinking, count);
    current = result.messages;
    applied.push(...result.applied);
  }
  if (edits.toolUses) {
    const result = clearToolUses(current, edits.toolUses, count);
    current = result.messages;
    applied.push(...result.applied);
  }
  return { messages: current, applied };
}
