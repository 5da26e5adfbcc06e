// Models API (/v1/models): the compaction-capable models of reference §1.6, plus synthesized
// "*no-compaction*" / "*no-context-editing*" ids so tests can exercise a model without that support.

import { supportsContextEditing } from './contextEditing';
import { thinkingCapabilities } from './thinkingModels';
import type { JsonObject } from './types';

interface ModelSpec {
  id: string;
  displayName: string;
  createdAt: string;
  maxTokens: number;
}

const MODELS: ModelSpec[] = [
  { id: 'claude-fable-5-1', displayName: 'Claude Fable 5.1', createdAt: '2026-10-01T00:00:00Z', maxTokens: 128_000 },
  { id: 'claude-mythos-5-1', displayName: 'Claude Mythos 5.1', createdAt: '2026-10-01T00:00:00Z', maxTokens: 128_000 },
  { id: 'claude-opus-5-5', displayName: 'Claude Opus 5.5', createdAt: '2026-08-01T00:00:00Z', maxTokens: 128_000 },
  { id: 'claude-sonnet-5-5', displayName: 'Claude Sonnet 5.5', createdAt: '2026-08-01T00:00:00Z', maxTokens: 128_000 },
  { id: 'claude-sonnet-5', displayName: 'Claude Sonnet 5', createdAt: '2026-03-01T00:00:00Z', maxTokens: 64_000 },
  { id: 'claude-opus-4-6', displayName: 'Claude Opus 4.6', createdAt: '2026-01-15T00:00:00Z', maxTokens: 128_000 },
  { id: 'claude-sonnet-4-6', displayName: 'Claude Sonnet 4.6', createdAt: '2026-01-15T00:00:00Z', maxTokens: 64_000 },
  { id: 'claude-haiku-5-5', displayName: 'Claude Haiku 5.5', createdAt: '2026-08-01T00:00:00Z', maxTokens: 64_000 },
];

export function supportsThreshold(id: string): boolean {
  return !id.includes('no-compaction');
}

/** On-demand compaction is not offered on Haiku (reference §1.6). */
export function supportsSummarize(id: string): boolean {
  return supportsThreshold(id) && !id.includes('haiku');
}

function specFor(id: string): ModelSpec | undefined {
  const known = MODELS.find((m) => m.id === id);
  if (known || !(id.startsWith('claude-') && (!supportsThreshold(id) || !supportsContextEditing(id)))) {return known;}
  return { id, displayName: `Claude (${supportsThreshold(id) ? 'no context editing' : 'no compaction'}) ${id}`, createdAt: '2026-01-01T00:00:00Z', maxTokens: 64_000 };
}

/** The model's output cap, or null for ids the emulator does not know (it serves any model id). */
export function maxOutputTokens(id: string): number | null {
  return specFor(id)?.maxTokens ?? null;
}

const yes = { supported: true };
const no = { supported: false };

function modelInfo(spec: ModelSpec, contextWindow: number): JsonObject {
  const threshold = supportsThreshold(spec.id);
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
      compaction: { supported: supportsSummarize(spec.id), summarize: supportsSummarize(spec.id) ? yes : no },
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

export function getModel(id: string, contextWindow: number): JsonObject | null {
  const spec = specFor(id);
  return spec ? modelInfo(spec, contextWindow) : null;
}

/** One page of the list, newest first as the real API orders it, paginated by `after_id`. */
export function listModels(contextWindow: number, limit: number, afterId: string | null): JsonObject {
  const start = afterId ? MODELS.findIndex((m) => m.id === afterId) + 1 : 0;
  const page = MODELS.slice(start, start + limit);
  return {
    data: page.map((m) => modelInfo(m, contextWindow)),
    has_more: start + page.length < MODELS.length,
    first_id: page[0]?.id ?? null,
    last_id: page[page.length - 1]?.id ?? null,
  };
}
