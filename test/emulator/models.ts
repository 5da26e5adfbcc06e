// Models API (/v1/models) and per-model facts: every model of reference §1.6 with its compaction support,
// output cap and prompt-cache minimum, plus synthesized "*no-compaction*" / "*no-context-editing*" ids so
// tests can exercise a model without that support.

import { supportsContextEditing } from './contextEditing';
import { thinkingCapabilities } from './thinkingModels';
import type { JsonObject } from './types';

interface ModelSpec {
  id: string;
  displayName: string;
  createdAt: string;
  maxTokens: number;
  /** Threshold compaction (compact-2026-01-12), reference §1.6. */
  threshold: boolean;
  /** On-demand compaction (compact-2026-09-04), reference §1.6: not on Haiku. */
  summarize: boolean;
  /**
   * Shortest prefix the prompt cache writes. Anthropic's prompt-caching table as copied by gateway docs
   * (LiteLLM, Oct 2026: 512 for Opus 5 / Fable 5 / Mythos 5; 4,096 for Haiku 4.5 and Opus 4.5-4.7;
   * 1,024 for Sonnet 5, Opus 4.8 and Sonnet 4.x; orq.ai: 2,048 for Sonnet 4.6). Models those tables do not
   * list take their line's newest known figure (the 1,024-4,096 range).
   */
  cacheMinimum: number;
}

const spec = (id: string, displayName: string, createdAt: string, maxTokens: number, cacheMinimum: number, threshold = true, summarize = threshold): ModelSpec => ({
  id,
  displayName,
  createdAt: `${createdAt}T00:00:00Z`,
  maxTokens,
  threshold,
  summarize,
  cacheMinimum,
});

/** Every model of reference §1.6, newest first as the Models API lists them, plus the 4.5 line without compaction. */
const MODELS: ModelSpec[] = [
  spec('claude-fable-5-1', 'Claude Fable 5.1', '2026-10-01', 128_000, 1024),
  spec('claude-mythos-5-1', 'Claude Mythos 5.1', '2026-10-01', 128_000, 1024),
  spec('claude-opus-5-5', 'Claude Opus 5.5', '2026-08-01', 128_000, 1024),
  spec('claude-sonnet-5-5', 'Claude Sonnet 5.5', '2026-08-01', 128_000, 1024),
  spec('claude-haiku-5-5', 'Claude Haiku 5.5', '2026-08-01', 64_000, 4096, true, false),
  spec('claude-mythos-preview', 'Claude Mythos Preview', '2026-06-01', 128_000, 512),
  spec('claude-fable-5', 'Claude Fable 5', '2026-05-01', 128_000, 512),
  spec('claude-mythos-5', 'Claude Mythos 5', '2026-05-01', 128_000, 512),
  spec('claude-opus-5', 'Claude Opus 5', '2026-05-01', 128_000, 512),
  spec('claude-sonnet-5', 'Claude Sonnet 5', '2026-03-01', 64_000, 1024),
  spec('claude-opus-4-8', 'Claude Opus 4.8', '2026-03-01', 128_000, 1024),
  spec('claude-opus-4-7', 'Claude Opus 4.7', '2026-02-15', 128_000, 4096),
  spec('claude-opus-4-6', 'Claude Opus 4.6', '2026-01-15', 128_000, 4096),
  spec('claude-sonnet-4-6', 'Claude Sonnet 4.6', '2026-01-15', 64_000, 2048),
  spec('claude-opus-4-5', 'Claude Opus 4.5', '2025-11-24', 64_000, 4096, false),
  spec('claude-sonnet-4-5', 'Claude Sonnet 4.5', '2025-09-29', 64_000, 1024, false),
  spec('claude-haiku-4-5', 'Claude Haiku 4.5', '2025-10-15', 64_000, 4096, false),
];

/** The default for ids the emulator does not know (it serves any model id). */
const UNKNOWN_CACHE_MINIMUM = 1024;

export function supportsThreshold(id: string): boolean {
  const known = MODELS.find((m) => m.id === id);
  return known ? known.threshold : !id.includes('no-compaction');
}

/** On-demand compaction is not offered on Haiku (reference §1.6). */
export function supportsSummarize(id: string): boolean {
  const known = MODELS.find((m) => m.id === id);
  return known ? known.summarize : supportsThreshold(id) && !id.includes('haiku');
}

/** The shortest prefix the model's prompt cache writes. */
export function cacheMinimum(id: string): number {
  return MODELS.find((m) => m.id === id)?.cacheMinimum ?? UNKNOWN_CACHE_MINIMUM;
}

function specFor(id: string): ModelSpec | undefined {
  const known = MODELS.find((m) => m.id === id);
  if (known || !(id.startsWith('claude-') && (!supportsThreshold(id) || !supportsContextEditing(id)))) {return known;}
  return spec(id, `Claude (${supportsThreshold(id) ? 'no context editing' : 'no compaction'}) ${id}`, '2026-01-01', 64_000, UNKNOWN_CACHE_MINIMUM, supportsThreshold(id));
}

/** The model's output cap, or null for ids the emulator does not know (it serves any model id). */
export function maxOutputTokens(id: string): number | null {
  return specFor(id)?.maxTokens ?? null;
}

const yes = { supported: true };
const no = { supported: false };

/**
 * `capabilities.compaction` (the on-demand parameter) is read with the beta header, as the docs say
 * (reference §1.6); without `compact-2026-09-04` the Models API reports it as null.
 */
function modelInfo(spec: ModelSpec, contextWindow: number, betas: readonly string[]): JsonObject {
  const threshold = spec.threshold;
  const summarize = spec.summarize;
  const line = ['haiku', 'sonnet', 'opus', 'fable', 'mythos'].find((l) => spec.id.includes(l)) ?? null;
  const { thinking, effort } = thinkingCapabilities(spec.id);
  return {
    type: 'model',
    id: spec.id,
    display_name: spec.displayName,
    created_at: spec.createdAt,
    allowed_fallback_models: [],
    deprecated_at: null,
    lifecycle: 'active',
    line,
    retires_at: null,
    max_input_tokens: contextWindow,
    max_tokens: spec.maxTokens,
    capabilities: {
      batch: yes,
      citations: yes,
      code_execution: yes,
      compaction: betas.includes('compact-2026-09-04') ? { supported: summarize, summarize: summarize ? yes : no } : null,
      context_management: {
        supported: true,
        clear_thinking_20251015: supportsContextEditing(spec.id) ? yes : no,
        clear_tool_uses_20250919: supportsContextEditing(spec.id) ? yes : no,
        compact_20260112: threshold ? yes : no,
      },
      effort,
      image_input: yes,
      pdf_input: yes,
      server_tools: { supported: true, code_execution: yes, web_search: yes },
      structured_outputs: yes,
      thinking,
    },
  };
}

export function getModel(id: string, contextWindow: number, betas: readonly string[] = []): JsonObject | null {
  const found = specFor(id);
  return found ? modelInfo(found, contextWindow, betas) : null;
}

/** One page of the list, newest first as the real API orders it, paginated by `after_id`. */
export function listModels(contextWindow: number, limit: number, afterId: string | null, betas: readonly string[] = []): JsonObject {
  const start = afterId ? MODELS.findIndex((m) => m.id === afterId) + 1 : 0;
  const page = MODELS.slice(start, start + limit);
  return {
    data: page.map((m) => modelInfo(m, contextWindow, betas)),
    has_more: start + page.length < MODELS.length,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
  };
}
