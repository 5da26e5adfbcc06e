// Pricing of compaction iterations: a summarization that reads the conversation's cached prefix bills
// those tokens as cache reads (and any writes as cache writes), not as fresh input (reference §2.5, §4).
import * as assert from 'node:assert/strict';
import { compactionCostOf, costOf, priceFor, usageFigures } from '../../src/core/usage';

suite('Usage: compaction iterations with cache reads and writes', () => {
  const price = priceFor('claude-sonnet-5-5');
  const usage = {
    input_tokens: 3_000,
    output_tokens: 200,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    iterations: [
      { type: 'compaction', input_tokens: 2_000, output_tokens: 1_000, cache_read_input_tokens: 150_000, cache_creation_input_tokens: 4_000 },
      { type: 'message', input_tokens: 3_000, output_tokens: 200, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    ],
  };

  test('cache reads and writes of a compaction iteration are priced at cache rates', () => {
    const figures = usageFigures(usage);
    assert.equal(figures.compactionInputTokens, 156_000, 'the whole summarization input still counts as compaction tokens');
    assert.equal(figures.compactionCacheReadTokens, 150_000);
    assert.equal(figures.compactionCacheWriteTokens, 4_000);
    const expected = (2_000 * price.input + 150_000 * price.cacheRead + 4_000 * price.cacheWrite + 1_000 * price.output) / 1e6;
    assert.ok(Math.abs(compactionCostOf(figures, price) - expected) < 1e-9, `${compactionCostOf(figures, price)} vs ${expected}`);
    const messagePart = (3_000 * price.input + 200 * price.output) / 1e6;
    assert.ok(Math.abs(costOf(figures, price) - (expected + messagePart)) < 1e-9);
  });

  test('figures recorded before the split (no cache parts) keep their old price', () => {
    const figures = { ...usageFigures(usage), compactionCacheReadTokens: undefined, compactionCacheWriteTokens: undefined };
    const old = (156_000 * price.input + 1_000 * price.output) / 1e6;
    assert.ok(Math.abs(compactionCostOf(figures, price) - old) < 1e-9);
  });
});
