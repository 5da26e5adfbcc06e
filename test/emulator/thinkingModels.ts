// How each model thinks: the thinking types it accepts, whether it thinks when `thinking` is omitted,
// its default display and effort, forced tool_choice and the prefix check, from the table of
// thinking-and-context-editing.md §1.2 (cells marked [INF] there are inferences, kept as written).

import type { JsonObject } from './types';

export type ThinkingType = 'adaptive' | 'enabled' | 'disabled' | 'between_tools';
export type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';
export type Display = 'summarized' | 'omitted' | 'updates';

export const EFFORTS: readonly Effort[] = ['low', 'medium', 'high', 'xhigh', 'max'];
export const THINKING_TYPES: readonly ThinkingType[] = ['adaptive', 'disabled', 'enabled', 'between_tools'];

export interface ModelThinking {
  /** Types the model accepts; the others get the 400 of §3.4. */
  types: readonly ThinkingType[];
  /** Types accepted only at effort ≤ high ("disabled (effort ≤ high)" in the table). */
  lowEffortOnly: readonly ThinkingType[];
  /** Thinks when `thinking` is omitted. */
  thinksUnasked: boolean;
  display: 'summarized' | 'omitted';
  effort: Effort;
  /** Effort levels offered; empty = the model takes no `output_config.effort`. */
  efforts: readonly Effort[];
  /** `reject`: forced tool_choice is a 400 whatever the thinking; `ok`: it works (and skips thinking) with adaptive. */
  forcedToolChoice: 'reject' | 'ok';
  /** `always`: every account; `new-accounts`: accounts created from 2026-08-31 (or a request that sets the behaviour); `none`. */
  prefixCheck: 'always' | 'new-accounts' | 'none';
}

const ALL_EFFORTS = EFFORTS;

const FABLE_5_2: ModelThinking = {
  types: ['adaptive'],
  lowEffortOnly: [],
  thinksUnasked: true,
  display: 'omitted',
  effort: 'high',
  efforts: ALL_EFFORTS,
  forcedToolChoice: 'reject',
  prefixCheck: 'always',
};
const FABLE_5_1: ModelThinking = { ...FABLE_5_2, prefixCheck: 'new-accounts' };
const FABLE_5: ModelThinking = { ...FABLE_5_2, forcedToolChoice: 'ok', prefixCheck: 'none' };
const OPUS_5_5: ModelThinking = { ...FABLE_5_1, effort: 'medium' };
const OPUS_5: ModelThinking = { ...FABLE_5, types: ['adaptive', 'disabled'], lowEffortOnly: ['disabled'] };
const SONNET_5_5: ModelThinking = { ...FABLE_5_1, types: ['adaptive', 'between_tools'], lowEffortOnly: ['between_tools'] };
const SONNET_5: ModelThinking = { ...FABLE_5, types: ['adaptive', 'disabled'] };
// Haiku 5.5: forced tool_choice and the enforcement date are not confirmed (§8); taken as for Sonnet 5.5's account rule.
const HAIKU_5_5: ModelThinking = { ...OPUS_5, effort: 'medium', prefixCheck: 'new-accounts' };
const OPUS_4_8: ModelThinking = { ...SONNET_5, thinksUnasked: false };
// Opus / Sonnet 4.6: "disabled" is implied by thinking being off by default; no xhigh on 4.6 [D effort].
const CLAUDE_4_6: ModelThinking = {
  ...OPUS_4_8,
  types: ['adaptive', 'enabled', 'disabled'],
  display: 'summarized',
  efforts: ['low', 'medium', 'high', 'max'],
};
const CLAUDE_4_5: ModelThinking = { ...CLAUDE_4_6, types: ['enabled', 'disabled'], efforts: [], forcedToolChoice: 'reject' };
/** Ids the table does not name (the emulator serves any id): every shape accepted, no unasked thinking, no check. */
const UNKNOWN: ModelThinking = { ...CLAUDE_4_6, types: THINKING_TYPES, efforts: ALL_EFFORTS, forcedToolChoice: 'ok' };

const TABLE: ReadonlyArray<[RegExp, ModelThinking]> = [
  [/^claude-(fable|mythos)-5-2/, FABLE_5_2],
  [/^claude-(fable|mythos)-5-1/, FABLE_5_1],
  [/^claude-(fable|mythos)-(5|preview)\b/, FABLE_5],
  [/^claude-opus-5-5/, OPUS_5_5],
  [/^claude-opus-5\b/, OPUS_5],
  [/^claude-sonnet-5-5/, SONNET_5_5],
  [/^claude-sonnet-5\b/, SONNET_5],
  [/^claude-haiku-5-5/, HAIKU_5_5],
  [/^claude-opus-4-[78]/, OPUS_4_8],
  [/^claude-(opus|sonnet)-4-6/, CLAUDE_4_6],
  [/^claude-opus-4-5/, { ...CLAUDE_4_5, efforts: ['low', 'medium', 'high'] }],
  [/^claude-(sonnet|haiku)-4-5/, CLAUDE_4_5],
];

export function modelThinking(model: string): ModelThinking {
  if (model.includes('no-compaction')) {return UNKNOWN;}
  return TABLE.find(([pattern]) => pattern.test(model))?.[1] ?? UNKNOWN;
}

/** The Models API's `capabilities.thinking` and `capabilities.effort` of a model. */
export function thinkingCapabilities(model: string): { thinking: JsonObject; effort: JsonObject } {
  const spec = modelThinking(model);
  const types: JsonObject = {};
  for (const type of THINKING_TYPES) {types[type] = { supported: spec.types.includes(type) };}
  const effort: JsonObject = { supported: spec.efforts.length > 0 };
  for (const level of EFFORTS) {effort[level] = { supported: spec.efforts.includes(level) };}
  return { thinking: { supported: true, types }, effort };
}
