import * as assert from 'node:assert/strict';
import { baseModelId, platformPrice, tableCapability, tableContextEditing } from '../../src/core/providers';
import { ToolResultClearing } from '../../src/core/turn/contextEditing';
import { snapshotSettings } from '../../src/core/turn/settingsSnapshot';
import { priceFor } from '../../src/core/usage';

suite('Platform model ids and capabilities', () => {
  test('Bedrock ids and inference profiles, Vertex @ versions and plain ids name the same model', () => {
    for (const id of ['us.anthropic.claude-sonnet-5-5-v1:0', 'global.anthropic.claude-sonnet-5-5-v1:0', 'anthropic.claude-sonnet-5-5-v1', 'claude-sonnet-5-5@20260801', 'claude-sonnet-5-5']) {
      assert.equal(baseModelId(id), 'claude-sonnet-5-5', id);
    }
    assert.equal(baseModelId('apac.anthropic.claude-opus-4-6-v1'), 'claude-opus-4-6');
    const arn = 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123';
    assert.equal(baseModelId(arn), arn);
  });

  test('Bedrock has threshold compaction but no on-demand compaction, and says why', () => {
    const capability = tableCapability('bedrock', 'us.anthropic.claude-sonnet-5-5-v1:0');
    assert.equal(capability.threshold, true);
    assert.equal(capability.onDemand, false);
    assert.match(capability.reason ?? '', /Bedrock does not offer on-demand compaction/);
    assert.equal(capability.source, 'table');
  });

  test('Vertex AI and Foundry offer both strategies, except on Haiku', () => {
    for (const provider of ['vertex', 'foundry'] as const) {
      assert.deepEqual([tableCapability(provider, 'claude-opus-5-5').threshold, tableCapability(provider, 'claude-opus-5-5').onDemand], [true, true]);
      const haiku = tableCapability(provider, 'claude-haiku-5-5');
      assert.deepEqual([haiku.threshold, haiku.onDemand], [true, false]);
    }
  });

  test('models older than compaction get the trim fallback; unknown ids try threshold compaction', () => {
    const legacy = tableCapability('bedrock', 'anthropic.claude-3-5-sonnet-20241022-v2:0');
    assert.deepEqual([legacy.threshold, legacy.onDemand], [false, false]);
    assert.match(legacy.reason ?? '', /does not support compaction/);
    assert.equal(tableCapability('vertex', 'claude-sonnet-4-5@20250929').threshold, false);
    assert.equal(tableCapability('bedrock', 'arn:aws:bedrock:us-east-1:1:application-inference-profile/x').threshold, true);
  });
});

suite('Platform prices', () => {
  test('Bedrock regional ids and Vertex regional locations cost 10% more; global ones cost the list price', () => {
    const list = priceFor('claude-sonnet-5-5');
    assert.deepEqual(platformPrice('bedrock', 'global.anthropic.claude-sonnet-5-5-v1:0', 'us-east-1'), list);
    assert.ok(Math.abs(platformPrice('bedrock', 'us.anthropic.claude-sonnet-5-5-v1:0', 'us-east-1').input - list.input * 1.1) < 1e-9);
    assert.deepEqual(platformPrice('vertex', 'claude-sonnet-5-5', 'global'), list);
    assert.ok(Math.abs(platformPrice('vertex', 'claude-sonnet-5-5', 'us-east5').output - list.output * 1.1) < 1e-9);
    assert.deepEqual(platformPrice('foundry', 'claude-sonnet-5-5', 'my-resource'), list);
  });

  test('marathon.pricing overrides by the platform id or by the model id', () => {
    const own = { input: 1, output: 2, cacheWrite: 3, cacheRead: 4 };
    assert.deepEqual(platformPrice('bedrock', 'us.anthropic.claude-sonnet-5-5-v1:0', 'us-east-1', { 'us.anthropic.claude-sonnet-5-5-v1:0': own }), own);
    assert.deepEqual(platformPrice('vertex', 'claude-sonnet-5-5@20260801', 'us-east5', { 'claude-sonnet-5-5': own }), own);
  });

  test('the context-editing column: Bedrock clears tool results but not thinking; Vertex AI and Foundry both; each row names its source', () => {
    assert.deepEqual([tableContextEditing('bedrock', 'us.anthropic.claude-sonnet-5-5-v1:0').clearToolUses, tableContextEditing('bedrock', 'us.anthropic.claude-sonnet-5-5-v1:0').clearThinking], [true, false]);
    for (const provider of ['vertex', 'foundry'] as const) {
      const row = tableContextEditing(provider, 'claude-sonnet-5-5');
      assert.deepEqual([row.clearToolUses, row.clearThinking], [true, true], provider);
    }
    for (const provider of ['bedrock', 'vertex', 'foundry'] as const) {
      assert.ok(tableContextEditing(provider, 'claude-sonnet-5-5').source.length > 0, `${provider} names its source`);
    }
    assert.equal(tableContextEditing('vertex', 'claude-3-5-sonnet-v2@20241022').clearToolUses, false, 'models older than the beta clear nothing');
  });

  test('a platform without thinking clearing gets no clear_thinking edit, even with thinking on', () => {
    const settings = snapshotSettings({ model: 'us.anthropic.claude-sonnet-5-5-v1:0', maxTokens: 1024, triggerTokens: 100_000, instructions: '', mode: 'auto', keepRecentTurns: 1, contextWindow: 200_000, chatMode: 'agent', clearThinkingSupported: false });
    const body: Record<string, unknown> = { thinking: { type: 'adaptive' } };
    new ToolResultClearing().apply(body, [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], 0, settings);
    const edits = (body.context_management as { edits?: Array<{ type: string }> } | undefined)?.edits ?? [];
    assert.deepEqual(edits.map((edit) => edit.type), []);
    const elsewhere: Record<string, unknown> = { thinking: { type: 'adaptive' } };
    new ToolResultClearing().apply(elsewhere, [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }], 0, { ...settings, clearThinkingSupported: undefined });
    assert.deepEqual(((elsewhere.context_management as { edits: Array<{ type: string }> }).edits).map((edit) => edit.type), ['clear_thinking_20251015']);
  });
});
