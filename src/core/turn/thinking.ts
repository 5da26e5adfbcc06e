// The thinking and effort a request asks for: the user's choice (`marathon.thinking`, `marathon.effort`)
// resolved against what the model takes, the binding controls every thinking request carries, and the
// output cap per model. Wire rules: thinking-and-context-editing.md §1 and §3.3; capabilities come from
// the Models API, else from the fallback table below.

export type ThinkingMode = 'adaptive' | 'budget' | 'off';
export type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';
export type EffortChoice = Effort | 'default';

export const EFFORTS: readonly Effort[] = ['low', 'medium', 'high', 'xhigh', 'max'];
export const BINDING_BETA = 'thinking-binding-controls-2026-08-01';
/** The smallest budget the API takes (thinking §1.3). */
export const MIN_BUDGET_TOKENS = 1024;
/** The output cap the anchor client uses with thinking on (anchors-on-the-wire.md). */
export const DEFAULT_MAX_TOKENS = 64_000;

/** What a model takes, as the Models API's `capabilities.thinking.types` and `capabilities.effort` say. */
export interface ThinkingCapabilities {
  adaptive: boolean;
  enabled: boolean;
  disabled: boolean;
  efforts: readonly Effort[];
  /** Effort when the request names none; undefined when unknown. */
  defaultEffort?: Effort;
  /** The model's output cap (`max_tokens` of the Models API). */
  maxOutputTokens?: number;
  source: 'models-api' | 'fallback-table';
  /** The model these are of; a request for another model (a platform's own id) reads the table instead. */
  model?: string;
}

const ALL: readonly Effort[] = EFFORTS;
// Fallback when the Models API has not answered (or has no capabilities): the per-model table of the
// thinking reference §1.2, itself from the platform docs (thinking, effort, models/* pages), and the
// output caps of the models overview. Unknown ids get the newest models' row.
// Patterns match inside platform ids too (Bedrock `us.anthropic.claude-sonnet-5-5-v1:0`, Vertex `…@date`).
const FALLBACK: ReadonlyArray<[RegExp, Omit<ThinkingCapabilities, 'source'>]> = [
  [/\bclaude-(fable|mythos)/, { adaptive: true, enabled: false, disabled: false, efforts: ALL, defaultEffort: 'high', maxOutputTokens: 128_000 }],
  [/\bclaude-opus-5-5/, { adaptive: true, enabled: false, disabled: false, efforts: ALL, defaultEffort: 'medium', maxOutputTokens: 128_000 }],
  [/\bclaude-sonnet-5-5/, { adaptive: true, enabled: false, disabled: false, efforts: ALL, defaultEffort: 'high', maxOutputTokens: 128_000 }],
  [/\bclaude-haiku-5-5/, { adaptive: true, enabled: false, disabled: true, efforts: ALL, defaultEffort: 'medium', maxOutputTokens: 64_000 }],
  [/\bclaude-(opus|sonnet)-5\b/, { adaptive: true, enabled: false, disabled: true, efforts: ALL, defaultEffort: 'high', maxOutputTokens: 64_000 }],
  [/\bclaude-opus-4-[78]/, { adaptive: true, enabled: false, disabled: true, efforts: ALL, defaultEffort: 'high', maxOutputTokens: 128_000 }],
  [/\bclaude-(opus|sonnet)-4-6/, { adaptive: true, enabled: true, disabled: true, efforts: ['low', 'medium', 'high', 'max'], defaultEffort: 'high', maxOutputTokens: 64_000 }],
  [/\bclaude-opus-4-5/, { adaptive: false, enabled: true, disabled: true, efforts: ['low', 'medium', 'high'], defaultEffort: 'high', maxOutputTokens: 64_000 }],
  [/\bclaude-(sonnet|haiku)-4-5/, { adaptive: false, enabled: true, disabled: true, efforts: [], maxOutputTokens: 64_000 }],
];
const NEWEST = FALLBACK[2]![1];

export function fallbackCapabilities(model: string): ThinkingCapabilities {
  return { ...(FALLBACK.find(([pattern]) => pattern.test(model))?.[1] ?? NEWEST), source: 'fallback-table', model };
}

/** The part of a Models API answer read here; every field may be missing on older servers. */
export interface ModelsApiThinking {
  max_tokens?: number | null;
  capabilities?: {
    thinking?: { types?: Partial<Record<'adaptive' | 'enabled' | 'disabled', { supported?: boolean } | null>> | null } | null;
    effort?: ({ supported?: boolean } & Partial<Record<Effort, { supported?: boolean } | null>>) | null;
  } | null;
}

/** Capabilities from a Models API answer, the fallback table filling what it leaves out. */
export function capabilitiesFromModelsApi(model: string, info: ModelsApiThinking): ThinkingCapabilities {
  const fallback = fallbackCapabilities(model);
  const types = info.capabilities?.thinking?.types;
  const effort = info.capabilities?.effort;
  if (!types) {
    return { ...fallback, maxOutputTokens: typeof info.max_tokens === 'number' && info.max_tokens > 0 ? info.max_tokens : fallback.maxOutputTokens };
  }
  return {
    adaptive: types.adaptive?.supported === true,
    enabled: types.enabled?.supported === true,
    disabled: types.disabled?.supported === true,
    efforts: effort ? EFFORTS.filter((level) => effort[level]?.supported === true) : fallback.efforts,
    defaultEffort: fallback.defaultEffort,
    maxOutputTokens: typeof info.max_tokens === 'number' && info.max_tokens > 0 ? info.max_tokens : fallback.maxOutputTokens,
    source: 'models-api',
    model,
  };
}

export interface ThinkingChoice {
  thinking: ThinkingMode;
  budgetTokens: number;
  effort: EffortChoice;
  /** The user's `marathon.maxTokens`; undefined: the per-model default. */
  maxTokens?: number;
}

export interface ResolvedThinking {
  /** The request's `thinking`; undefined: leave it out. */
  thinking?: Record<string, unknown>;
  /** The request's `output_config.effort`; undefined: the model's default. */
  effort?: Effort;
  maxTokens: number;
  /** The mode the request runs in after any fallback. */
  mode: ThinkingMode;
  /** One line per choice the model does not take, said once. */
  notices: string[];
  /** Where the model's capabilities came from, for the log. */
  source: ThinkingCapabilities['source'];
}

/** `marathon.maxTokens`, or 64,000, within the model's output cap. */
export function maxTokensFor(choice: Pick<ThinkingChoice, 'maxTokens'>, caps: ThinkingCapabilities): number {
  const cap = caps.maxOutputTokens ?? Number.POSITIVE_INFINITY;
  return Math.max(1, Math.min(choice.maxTokens ?? DEFAULT_MAX_TOKENS, cap));
}

/**
 * The user's choice as this model takes it. Thinking is shown summarized so that the user can read it;
 * `drop_block` makes a block that no longer verifies cost its reasoning, never the request (§3.3).
 */
export function resolveThinking(model: string, choice: ThinkingChoice, caps: ThinkingCapabilities): ResolvedThinking {
  const notices: string[] = [];
  const maxTokens = maxTokensFor(choice, caps);
  if (choice.maxTokens !== undefined && choice.maxTokens > maxTokens) {
    notices.push(`${model} writes at most ${maxTokens.toLocaleString('en-US')} tokens per answer; marathon.maxTokens is lowered to that.`);
  }
  let mode = choice.thinking;
  if (mode === 'off' && !caps.disabled) {
    notices.push(`${model} always thinks; thinking stays on (adaptive).`);
    mode = caps.adaptive ? 'adaptive' : 'budget';
  }
  if (mode === 'budget' && !caps.enabled) {
    notices.push(`${model} takes no thinking budget; it thinks adaptively, steered by effort.`);
    mode = 'adaptive';
  }
  if (mode === 'adaptive' && !caps.adaptive) {
    if (caps.enabled) {
      notices.push(`${model} has no adaptive thinking; it thinks with a budget of ${choice.budgetTokens} tokens.`);
      mode = 'budget';
    } else {
      mode = 'off';
    }
  }
  const binding = { prefix_mismatch_behavior: 'drop_block' };
  let thinking: Record<string, unknown> | undefined;
  if (mode === 'adaptive') {
    thinking = { type: 'adaptive', display: 'summarized', block_binding: binding };
  } else if (mode === 'budget') {
    if (maxTokens <= MIN_BUDGET_TOKENS) {
      notices.push(`A thinking budget needs more than ${MIN_BUDGET_TOKENS} output tokens; thinking is off for ${model}.`);
      mode = 'off';
    } else {
      // The budget must stay under max_tokens (§1.3).
      const budget = Math.min(Math.max(choice.budgetTokens, MIN_BUDGET_TOKENS), maxTokens - 1);
      thinking = { type: 'enabled', budget_tokens: budget, display: 'summarized', block_binding: binding };
    }
  }
  if (mode === 'off' && caps.disabled) {
    thinking = { type: 'disabled' };
  }
  let effort: Effort | undefined;
  if (choice.effort !== 'default' && caps.efforts.length > 0) {
    if (caps.efforts.includes(choice.effort)) {
      effort = choice.effort;
    } else {
      // The nearest level the model offers below the choice, else its lowest.
      const below = EFFORTS.slice(0, EFFORTS.indexOf(choice.effort)).filter((level) => caps.efforts.includes(level));
      effort = below.at(-1) ?? caps.efforts[0];
      notices.push(`${model} has no "${choice.effort}" effort; using "${effort}".`);
    }
    // An explicit default is the same request as none (§5): leave it out, keep the body stable.
    if (effort === caps.defaultEffort) {
      effort = undefined;
    }
  } else if (choice.effort !== 'default') {
    notices.push(`${model} takes no effort level; "${choice.effort}" is ignored.`);
  }
  return { thinking, effort, maxTokens, mode, notices, source: caps.source };
}

/** Adds the thinking, effort and binding beta to a request body (kept stable per conversation, §5). */
export function applyThinking(body: Record<string, unknown>, resolved: ResolvedThinking): void {
  body.max_tokens = resolved.maxTokens;
  if (resolved.thinking) {
    body.thinking = resolved.thinking;
  }
  if (resolved.effort) {
    body.output_config = { ...(body.output_config as Record<string, unknown> | undefined), effort: resolved.effort };
  }
  if (resolved.thinking && 'block_binding' in resolved.thinking) {
    const betas = Array.isArray(body.betas) ? (body.betas as string[]) : [];
    body.betas = betas.includes(BINDING_BETA) ? betas : [...betas, BINDING_BETA];
  }
}
