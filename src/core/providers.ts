// What Marathon knows about each platform that serves Claude: its settings, default model, what it
// offers for compaction (a table with its sources, where the platform has no Models API) and its
// prices. Light enough for activation to import: no SDK, no I/O.
import { priceFor, type ModelPrice } from './usage';

export type ProviderId = 'anthropic' | 'bedrock' | 'vertex' | 'foundry';

export const PROVIDER_IDS: readonly ProviderId[] = ['anthropic', 'bedrock', 'vertex', 'foundry'];

export const PROVIDER_LABELS: Readonly<Record<ProviderId, string>> = {
  anthropic: 'Anthropic API',
  bedrock: 'Amazon Bedrock',
  vertex: 'Google Vertex AI',
  foundry: 'Microsoft Foundry',
};

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}

/** How a platform client authenticates; never the secret itself. */
export type PlatformAuth =
  | { kind: 'awsChain'; profile?: string }
  | { kind: 'bedrockApiKey'; apiKey: string }
  | { kind: 'googleAdc' }
  | { kind: 'foundryApiKey'; apiKey: string }
  | { kind: 'entraId' };

/** Everything a platform client needs; built by the host from the settings and SecretStorage. */
export type PlatformClientConfig =
  | { provider: 'bedrock'; region: string; baseURL?: string; auth: Extract<PlatformAuth, { kind: 'awsChain' | 'bedrockApiKey' }> }
  | { provider: 'vertex'; region: string; projectId?: string; baseURL?: string; auth: Extract<PlatformAuth, { kind: 'googleAdc' }> }
  | { provider: 'foundry'; resource?: string; baseURL?: string; auth: Extract<PlatformAuth, { kind: 'foundryApiKey' | 'entraId' }> };

/**
 * Defaults per platform. Bedrock: a cross-region inference profile (`us.` routes within the US; plain
 * `anthropic.…` ids are in-region, `global.` routes worldwide). Vertex: the model id, optionally with an
 * `@version`. Foundry: the deployment name, which Foundry sets to the model id by default.
 */
export const DEFAULT_MODELS: Readonly<Record<ProviderId, string>> = {
  anthropic: 'claude-sonnet-5-5',
  bedrock: 'us.anthropic.claude-sonnet-5-5-v1:0',
  vertex: 'claude-sonnet-5-5',
  foundry: 'claude-sonnet-5-5',
};

export const DEFAULT_REGIONS: Readonly<Partial<Record<ProviderId, string>>> = {
  bedrock: 'us-east-1',
  vertex: 'global',
};

/** Bedrock's geography prefixes of cross-region inference profiles. */
const BEDROCK_PROFILE_PREFIX = /^(us|eu|apac|jp|au|ca|us-gov|global)\./;

/**
 * The Anthropic model id behind a platform's id: `us.anthropic.claude-sonnet-5-5-v1:0`,
 * `anthropic.claude-opus-4-6-v1`, `claude-sonnet-5-5@20260801` and `claude-sonnet-5-5` all name
 * `claude-sonnet-5-5` (dated ids keep their date off). An ARN (application inference profile) names no
 * model the client can read, so it stays as it is.
 */
export function baseModelId(model: string): string {
  let id = model.trim();
  if (id.startsWith('arn:')) {
    return id;
  }
  id = id.replace(BEDROCK_PROFILE_PREFIX, '').replace(/^anthropic\./, '');
  id = id.replace(/@.*$/, '');
  id = id.replace(/-v\d+(:\d+)?$/, '');
  id = id.replace(/-\d{8}$/, '');
  return id;
}

/** Whether a platform offers each compaction strategy for a model, and where that comes from. */
export interface CompactionCapability {
  threshold: boolean;
  onDemand: boolean;
  /** Why a strategy is missing, in words for the user; absent when both are there. */
  reason?: string;
  /** Where the answer comes from: the Models API, or the table's sources. */
  source: 'modelsApi' | 'table';
}

/**
 * Models with threshold compaction (beta `compact-2026-01-12`) and with on-demand compaction (beta
 * `compact-2026-09-04`), from Anthropic's compaction docs, "Supported models and platforms"
 * (compaction-api reference §1.6): threshold runs on the Claude API, Bedrock, Vertex AI and Foundry;
 * on demand on the Claude API, Vertex AI and Foundry, **not on Bedrock**, and never on Haiku. Amazon's
 * own Bedrock guide ("Compaction", Claude Messages API on InvokeModel) documents only the threshold beta.
 */
const THRESHOLD_MODELS = [
  'claude-fable-5-1', 'claude-mythos-5-1', 'claude-fable-5', 'claude-mythos-5', 'claude-mythos-preview', 'claude-opus-5-5',
  'claude-opus-5', 'claude-opus-4-8', 'claude-opus-4-7', 'claude-opus-4-6', 'claude-sonnet-5-5', 'claude-sonnet-5',
  'claude-sonnet-4-6', 'claude-haiku-5-5',
];
/** Claude 2 and 3 (`claude-3-5-sonnet-…`), Claude 4 to 4.5: no compaction beta. */
const LEGACY_MODEL = /^claude-(instant|\d)|^claude-(opus|sonnet|haiku)-4(-[0-5])?$|^claude-haiku-4-/;
const ON_DEMAND_PLATFORMS: ReadonlySet<ProviderId> = new Set(['anthropic', 'vertex', 'foundry']);

/** The table's answer for a platform and model; the Anthropic API asks its Models API first (host). */
export function tableCapability(provider: ProviderId, model: string): CompactionCapability {
  const base = baseModelId(model);
  const known = THRESHOLD_MODELS.includes(base);
  // Models older than compaction are trimmed from the start; an id the table does not know (an ARN, a
  // newer model) is tried with threshold compaction, and a 400 refusing the beta turns it off.
  const threshold = known || !LEGACY_MODEL.test(base);
  const haiku = base.includes('haiku');
  const onDemand = known && !haiku && ON_DEMAND_PLATFORMS.has(provider);
  let reason: string | undefined;
  if (!threshold) {
    reason = `${model} does not support compaction; long conversations drop their oldest turns instead.`;
  } else if (!onDemand) {
    reason =
      provider === 'bedrock'
        ? 'Amazon Bedrock does not offer on-demand compaction; the conversation compacts itself when it reaches the trigger.'
        : haiku
          ? `${model} does not offer on-demand compaction; the conversation compacts itself when it reaches the trigger.`
          : `${model} is not known to offer on-demand compaction on ${PROVIDER_LABELS[provider]}.`;
  }
  return { threshold, onDemand, reason, source: 'table' };
}

/** Whether a platform clears old tool results and thinking on the server (context editing), and the source. */
export interface ContextEditingCapability {
  /** `clear_tool_uses_20250919`. */
  clearToolUses: boolean;
  /** `clear_thinking_20251015`. */
  clearThinking: boolean;
  source: string;
}

/**
 * Context editing (beta `context-management-2025-06-27`) per platform; the Anthropic API reads it from
 * its Models API (`capabilities.context_management.clear_tool_uses_20250919` / `clear_thinking_20251015`,
 * thinking reference §1.1), and a refusal naming the edits turns them off for the session either way.
 * - Amazon Bedrock: AWS's Bedrock user guide, "Automatic tool call clearing" (Claude Messages API, tool
 *   use) documents `clear_tool_uses_20250919`; it documents no thinking clearing, so none is sent (its
 *   only use here, `keep: "all"`, is what current models do by default anyway).
 * - Vertex AI and Foundry serve the Messages API with Anthropic's betas unchanged (header, as on the
 *   Claude API); Anthropic's context-editing page lists both strategies with no platform exception [INF].
 */
const CONTEXT_EDITING: Readonly<Record<Exclude<ProviderId, 'anthropic'>, ContextEditingCapability>> = {
  bedrock: { clearToolUses: true, clearThinking: false, source: 'AWS Bedrock user guide, “Automatic tool call clearing”' },
  vertex: { clearToolUses: true, clearThinking: true, source: 'Anthropic context-editing docs (no platform exception)' },
  foundry: { clearToolUses: true, clearThinking: true, source: 'Anthropic context-editing docs (no platform exception)' },
};

/** The table's context-editing answer; models older than the beta (the legacy line) clear nothing. */
export function tableContextEditing(provider: Exclude<ProviderId, 'anthropic'>, model: string): ContextEditingCapability {
  const row = CONTEXT_EDITING[provider];
  const base = baseModelId(model);
  if (/^claude-(instant|\d)/.test(base)) {
    return { clearToolUses: false, clearThinking: false, source: row.source };
  }
  return row;
}

/**
 * Regional endpoints cost more than global ones for the newer models: Bedrock's in-region ids and
 * geography profiles (`us.`, `eu.`, …) and Vertex AI's regional locations are billed 10% above the
 * global list price (Anthropic's pricing page, "Pricing on cloud platforms"; AWS and Google price pages).
 * Foundry bills Anthropic's list price.
 */
const REGIONAL_PREMIUM = 1.1;

export function platformPrice(provider: ProviderId, model: string, region: string | undefined, overrides: Readonly<Record<string, ModelPrice>> = {}): ModelPrice {
  const override = overrides[model];
  if (override) {
    return override;
  }
  const base = priceFor(baseModelId(model), overrides);
  const regional =
    (provider === 'bedrock' && !model.startsWith('global.') && !model.startsWith('arn:')) ||
    (provider === 'vertex' && region !== undefined && region !== 'global');
  if (!regional || overrides[baseModelId(model)]) {
    return base;
  }
  return {
    input: base.input * REGIONAL_PREMIUM,
    output: base.output * REGIONAL_PREMIUM,
    cacheWrite: base.cacheWrite * REGIONAL_PREMIUM,
    cacheRead: base.cacheRead * REGIONAL_PREMIUM,
  };
}
