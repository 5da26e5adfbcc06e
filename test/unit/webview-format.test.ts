import * as assert from 'node:assert/strict';
import type { ContextMeter, ToWebview, ViewState } from '../../src/shared/protocol';
import {
  cacheHitShare,
  formatCost,
  formatPercent,
  formatRelative,
  formatTime,
  formatTokens,
  matchesQuery,
  meterLevel,
  plainPreview,
  totalTokens,
} from '../../src/webview/format';
import { reduceSnapshot, snapshotOf } from '../../src/webview/state';

const meter: ContextMeter = {
  contextTokens: 42_100,
  triggerTokens: 150_000,
  contextWindow: 200_000,
  totalInputTokens: 1_000,
  totalOutputTokens: 2_000,
  totalCacheReadTokens: 8_000,
  totalCacheWriteTokens: 1_000,
  compactionTokens: 500,
  costUsd: 0.4213,
};

suite('webview format', () => {
  test('formats token counts compactly', () => {
    assert.equal(formatTokens(0), '0');
    assert.equal(formatTokens(950), '950');
    assert.equal(formatTokens(4_200), '4.2k');
    assert.equal(formatTokens(42_100), '42.1k');
    assert.equal(formatTokens(10_000), '10k');
    assert.equal(formatTokens(150_000), '150k');
    assert.equal(formatTokens(999_999), '1M');
    assert.equal(formatTokens(1_234_567), '1.2M');
  });

  test('formats costs in dollars', () => {
    assert.equal(formatCost(0.4213), '$0.42');
    assert.equal(formatCost(0), '$0.00');
    assert.equal(formatCost(0.004), '<$0.01');
    assert.equal(formatCost(123.4), '$123');
    assert.equal(formatCost(Number.NaN), '$0.00');
  });

  test('computes the cache-hit share over all input tokens', () => {
    assert.equal(cacheHitShare(meter), 0.8);
    assert.equal(formatPercent(0.8), '80%');
    assert.equal(cacheHitShare({ ...meter, totalInputTokens: 0, totalCacheReadTokens: 0, totalCacheWriteTokens: 0 }), null);
  });

  test('totals every billed token, compaction included', () => {
    assert.equal(totalTokens(meter), 12_500);
  });

  test('grades the meter against its limit', () => {
    assert.equal(meterLevel(42_100, 150_000), 'ok');
    assert.equal(meterLevel(125_000, 150_000), 'warning');
    assert.equal(meterLevel(149_000, 150_000), 'critical');
    assert.equal(meterLevel(10, 0), 'ok');
  });

  test('shows clock time today and the date before', () => {
    const now = new Date(2026, 10, 26, 15, 30).getTime();
    assert.equal(formatTime(new Date(2026, 10, 26, 9, 5).getTime(), now), '09:05');
    assert.equal(formatTime(new Date(2026, 10, 24, 18, 0).getTime(), now), '2026-11-24 18:00');
  });

  test('describes how long ago a conversation changed', () => {
    const now = Date.UTC(2026, 10, 26, 12);
    assert.equal(formatRelative(now - 10_000, now), 'just now');
    assert.equal(formatRelative(now - 5 * 60_000, now), '5 min ago');
    assert.equal(formatRelative(now - 3 * 3_600_000, now), '3 h ago');
    assert.equal(formatRelative(now - 2 * 86_400_000, now), '2 d ago');
    assert.match(formatRelative(now - 30 * 86_400_000, now), /^2026-10-2\d$/);
  });

  test('previews markdown as short plain text', () => {
    assert.equal(plainPreview('# Title\n\nSome **bold** [link](https://x.y) text.'), 'Title Some bold link text.');
    assert.equal(plainPreview('Look:\n```ts\nconst x = 1;\n```\nDone'), 'Look: (code) Done');
    const long = plainPreview('word '.repeat(100), 30);
    assert.ok(long.length <= 31 && long.endsWith('…'));
  });

  test('matches every word of a query, ignoring case', () => {
    assert.ok(matchesQuery('Refactor the Parser', 'parser refactor'));
    assert.ok(!matchesQuery('Refactor the Parser', 'lexer'));
    assert.ok(matchesQuery('anything', '  '));
  });
});

suite('webview state', () => {
  const state: ViewState = {
    backend: { kind: 'demo' },
    conversations: [{ id: 'c1', title: 'First', createdAt: 1, updatedAt: 2, messageCount: 0 }],
    active: { id: 'c1', title: 'First', items: [], hasOlder: false },
    generating: false,
    meter,
    compactionMode: 'auto',
    model: 'claude-sonnet-5-5',
    workspaceTrusted: true,
    chips: [],
  };

  test('keeps everything but the timeline from a bootstrap', () => {
    const snapshot = snapshotOf(state);
    assert.equal(snapshot.activeId, 'c1');
    assert.equal(snapshot.activeTitle, 'First');
    assert.ok(!('active' in snapshot));
  });

  test('updates only the part a notification concerns', () => {
    const snapshot = snapshotOf(state);
    const updates: ToWebview[] = [
      { type: 'generating/didChange', generating: true },
      { type: 'settings/didChange', compactionMode: 'pause', model: 'claude-opus-5-5' },
      { type: 'conversations/didChange', conversations: [], activeTitle: 'Renamed' },
      { type: 'backend/didChange', backend: { kind: 'api', keySource: 'environment' } },
      { type: 'meter/didChange', meter: { ...meter, contextTokens: 1 } },
      { type: 'chat/delta', requestId: 'r1', assistantId: 'a1', text: 'ignored' },
    ];
    const next = updates.reduce(reduceSnapshot, snapshot);
    assert.equal(next.generating, true);
    assert.equal(next.compactionMode, 'pause');
    assert.equal(next.model, 'claude-opus-5-5');
    assert.equal(next.activeTitle, 'Renamed');
    assert.equal(next.activeId, 'c1');
    assert.equal(next.backend.kind, 'api');
    assert.equal(next.meter.contextTokens, 1);
    assert.equal(snapshot.generating, false, 'the reducer does not mutate its input');
  });

  test('knows which request is being answered until the answer ends, so Stop can name it', () => {
    const snapshot = snapshotOf({ ...state, generating: true, requestId: 'r0' });
    assert.equal(snapshot.requestId, 'r0', 'a view loaded mid-answer learns it from the bootstrap');
    const started = reduceSnapshot(snapshot, { type: 'chat/started', requestId: 'r1', assistantId: 'a1' });
    assert.equal(started.requestId, 'r1');
    const busy = reduceSnapshot(started, { type: 'generating/didChange', generating: true, requestId: 'r2' });
    assert.equal(busy.requestId, 'r2');
    const idle = reduceSnapshot(busy, { type: 'generating/didChange', generating: false });
    assert.equal(idle.requestId, undefined);
  });
});
