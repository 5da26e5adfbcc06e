// Formatting helpers for the webview. DOM-free so they are unit-tested in plain Node.
import type { ContextMeter } from '../shared/protocol';

function trimZero(value: string): string {
  return value.endsWith('.0') ? value.slice(0, -2) : value;
}

/** Compact token counts: 950, 4.2k, 42.1k, 150k, 1.2M. */
export function formatTokens(tokens: number): string {
  const n = Math.max(0, Math.round(tokens));
  if (n < 1000) {
    return String(n);
  }
  if (n < 100_000) {
    return `${trimZero((n / 1000).toFixed(1))}k`;
  }
  if (n < 999_500) {
    return `${Math.round(n / 1000)}k`;
  }
  return `${trimZero((n / 1_000_000).toFixed(1))}M`;
}

/** Exact count with thousands separators, for tooltips and screen readers. */
export function formatTokensExact(tokens: number): string {
  return Math.round(tokens).toLocaleString('en-US');
}

export function formatCost(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) {
    return '$0.00';
  }
  if (usd < 0.01) {
    return '<$0.01';
  }
  if (usd >= 100) {
    return `$${Math.round(usd)}`;
  }
  return `$${usd.toFixed(2)}`;
}

export function formatPercent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

/** Share of input tokens served from the prompt cache, or null before the first turn. */
export function cacheHitShare(meter: ContextMeter): number | null {
  const denominator = meter.totalInputTokens + meter.totalCacheReadTokens + meter.totalCacheWriteTokens;
  return denominator > 0 ? meter.totalCacheReadTokens / denominator : null;
}

/** Every token the conversation has been billed for, compaction included. */
export function totalTokens(meter: ContextMeter): number {
  return (
    meter.totalInputTokens +
    meter.totalOutputTokens +
    meter.totalCacheReadTokens +
    meter.totalCacheWriteTokens +
    meter.compactionTokens
  );
}

export type MeterLevel = 'ok' | 'warning' | 'critical';

/** How close the context is to the point where it is compacted (or to the window, in manual mode). */
export function meterLevel(contextTokens: number, limit: number): MeterLevel {
  if (limit <= 0) {
    return 'ok';
  }
  const ratio = contextTokens / limit;
  return ratio >= 0.95 ? 'critical' : ratio >= 0.8 ? 'warning' : 'ok';
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Clock time for items of today, date and time for older ones. */
export function formatTime(at: number, now: number = Date.now()): string {
  const date = new Date(at);
  const today = new Date(now);
  const time = `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  if (date.toDateString() === today.toDateString()) {
    return time;
  }
  const day = `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
  return `${day} ${time}`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago", then a date. */
export function formatRelative(at: number, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - at) / 1000));
  if (seconds < 60) {
    return 'just now';
  }
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min ago`;
  }
  const hours = Math.round(minutes / 60);
  if (hours < 24) {
    return `${hours} h ago`;
  }
  const days = Math.round(hours / 24);
  if (days < 7) {
    return `${days} d ago`;
  }
  const date = new Date(at);
  return `${date.getFullYear()}-${pad2(date.getMonth() + 1)}-${pad2(date.getDate())}`;
}

/** A short plain-text preview of markdown, for screen-reader announcements and titles. */
export function plainPreview(markdown: string, maxLength = 160): string {
  const plain = markdown
    .replace(/```[\s\S]*?(```|$)/g, ' (code) ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_>#~|]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain.length <= maxLength) {
    return plain;
  }
  const cut = plain.slice(0, maxLength);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxLength * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/** Case-insensitive match of every whitespace-separated word of the query. */
export function matchesQuery(text: string, query: string): boolean {
  const haystack = text.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .filter((word) => word.length > 0)
    .every((word) => haystack.includes(word));
}
