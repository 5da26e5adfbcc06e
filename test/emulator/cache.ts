// Prompt-cache simulation: entries are SHA-256 hashes of the prompt prefix up to a cache_control
// breakpoint, with the real TTLs (5 min default, 1 h) and the real 20-block lookback per breakpoint.

import { createHash } from 'node:crypto';
import type { PromptUnit } from './tokens';

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;
const LOOKBACK_BLOCKS = 20;

export interface CacheAccount {
  read: number;
  creation5m: number;
  creation1h: number;
  /** Tokens neither read from nor written to the cache. */
  uncached: number;
}

interface Entry {
  expiresAt: number;
  ttlMs: number;
}

export class PromptCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  clear(): void {
    this.entries.clear();
  }

  /**
   * Splits the prompt's tokens into cache reads, writes and uncached input.
   * `write` is false for compaction iterations, which read the conversation's prefix but add nothing.
   * `scope` separates caches (the real cache is per model).
   */
  account(scope: string, units: PromptUnit[], minCacheableTokens: number, write: boolean): CacheAccount {
    const now = this.now();
    const hashes: string[] = [];
    const cumulative: number[] = [];
    let hash = createHash('sha256').update(scope).digest('hex');
    let total = 0;
    for (const unit of units) {
      hash = createHash('sha256').update(hash).update('\n').update(unit.key).digest('hex');
      total += unit.tokens;
      hashes.push(hash);
      cumulative.push(total);
    }
    const tokensUpTo = (index: number): number => (index < 0 ? 0 : (cumulative[index] ?? 0));
    const breakpoints = units.flatMap((unit, index) => (unit.cacheControl ? [index] : []));

    // Longest live prefix among the positions each breakpoint looks back over.
    let readEnd = -1;
    for (const bp of breakpoints) {
      for (let i = bp; i >= Math.max(0, bp - LOOKBACK_BLOCKS + 1) && i > readEnd; i--) {
        const entry = this.entries.get(hashes[i] ?? '');
        if (entry && entry.expiresAt > now) {
          readEnd = i;
          break;
        }
      }
    }
    if (readEnd >= 0) {
      const hit = this.entries.get(hashes[readEnd] ?? '');
      if (hit) {hit.expiresAt = now + hit.ttlMs;} // a hit refreshes the entry
    }

    const account: CacheAccount = { read: tokensUpTo(readEnd), creation5m: 0, creation1h: 0, uncached: 0 };
    if (write) {
      let writtenEnd = readEnd;
      for (const bp of breakpoints) {
        const ttl = units[bp]?.cacheControl?.ttl ?? '5m';
        if (bp <= readEnd || tokensUpTo(bp) < minCacheableTokens) {continue;}
        const created = tokensUpTo(bp) - tokensUpTo(writtenEnd);
        if (ttl === '1h') {account.creation1h += created;}
        else {account.creation5m += created;}
        this.entries.set(hashes[bp] ?? '', { expiresAt: now + TTL_MS[ttl], ttlMs: TTL_MS[ttl] });
        writtenEnd = bp;
      }
    }
    account.uncached = total - account.read - account.creation5m - account.creation1h;
    return account;
  }
}
