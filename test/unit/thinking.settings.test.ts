// `marathon.thinking`, `marathon.thinkingBudgetTokens`, `marathon.effort` and `marathon.maxTokens` as the
// host validates them, and the request they resolve to per model: the fallback table, the Models API's
// capabilities (read from the emulator through the SDK), and the one-line notices of a choice a model does not take.
import * as assert from 'node:assert/strict';
import { createClient } from '../../src/core/client';
import { silentLogger } from '../../src/core/ports';
import type { SessionSettings } from '../../src/core/session';
import { buildOnDemandRequest, buildTurnRequest, requestThinking, withCacheBreakpoints } from '../../src/core/turn/request';
import { fallbackCapabilities, type ThinkingCapabilities } from '../../src/core/turn/thinking';
import { ModelCapabilities } from '../../src/host/backend/models';
import { thinkingSessionSettings, validateThinkingSettings, type RawThinkingSettings } from '../../src/host/thinkingSettings';
import { startEmulator, type EmulatorHandle } from '../emulator/server';

const BINDING = { prefix_mismatch_behavior: 'drop_block' };
const BINDING_BETA = 'thinking-binding-controls-2026-08-01';

/** A turn's settings as `readSessionSettings` builds them from these raw values. */
function turnSettings(model: string, raw: RawThinkingSettings = {}, capabilities: ThinkingCapabilities = fallbackCapabilities(model)): SessionSettings {
  const { settings } = validateThinkingSettings(raw);
  return {
    model,
    ...thinkingSessionSettings(settings, capabilities),
    triggerTokens: 150_000,
    instructions: '',
    mode: 'auto',
    keepRecentTurns: 1,
    contextWindow: 200_000,
  };
}

function turnRequest(settings: SessionSettings): Record<string, unknown> {
  return buildTurnRequest({ settings, system: 'system', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, { supported: true, signed: false, hasThresholdBlock: false });
}

suite('Thinking settings: validation', () => {
  test('unset settings are adaptive thinking, a 31,999-token budget, the model default effort and the model default cap', () => {
    const { settings, problems } = validateThinkingSettings({});
    assert.deepEqual(settings, { thinking: 'adaptive', budgetTokens: 31_999, effort: 'default' });
    assert.deepEqual(problems, []);
  });

  test('valid values are kept as they are', () => {
    const { settings, problems } = validateThinkingSettings({ thinking: 'budget', budgetTokens: 4096, effort: 'xhigh', maxTokens: 32_000 });
    assert.deepEqual(settings, { thinking: 'budget', budgetTokens: 4096, effort: 'xhigh', maxTokens: 32_000 });
    assert.deepEqual(problems, []);
  });

  test('each invalid value falls back to its default with a problem that names the setting', () => {
    const { settings, problems } = validateThinkingSettings({ thinking: 'deep', budgetTokens: 2.5, effort: 'ultra', maxTokens: -100 });
    assert.deepEqual(settings, { thinking: 'adaptive', budgetTokens: 31_999, effort: 'default' });
    assert.deepEqual(
      problems.map((problem) => problem.key),
      ['marathon.thinking', 'marathon.thinkingBudgetTokens', 'marathon.effort', 'marathon.maxTokens'],
    );
    assert.match(problems[0]!.message, /"deep" is not one of adaptive, budget, off; using adaptive/);
    assert.match(problems[2]!.message, /"ultra" is not one of default, low, medium, high, xhigh, max; using the model's default/);
    assert.match(problems[3]!.message, /-100 is not a positive whole number; using the model's default \(64,000 within its output cap\)/);
  });

  test('a budget under the API minimum is raised to 1,024; a cap above every model is lowered to 128,000', () => {
    const { settings, problems } = validateThinkingSettings({ budgetTokens: 500, maxTokens: 500_000 });
    assert.equal(settings.budgetTokens, 1024);
    assert.equal(settings.maxTokens, 128_000);
    assert.match(problems[0]!.message, /500 is below the API's minimum of 1024; using 1024/);
    assert.match(problems[1]!.message, /above every model's output cap/);
  });

  test('a budget not below the output cap is reported, and every request still keeps it below', () => {
    const { problems } = validateThinkingSettings({ thinking: 'budget', budgetTokens: 40_000, maxTokens: 20_000 });
    assert.equal(problems[0]?.key, 'marathon.thinkingBudgetTokens');
    const body = turnRequest(turnSettings('claude-sonnet-4-5', { thinking: 'budget', budgetTokens: 40_000, maxTokens: 20_000 }));
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 19_999, display: 'summarized', block_binding: BINDING });
    assert.equal(body.max_tokens, 20_000);
  });
});

suite('Thinking settings: the request per model', () => {
  test('the default model gets adaptive thinking with drop_block and its beta, no effort named, 64,000 tokens', () => {
    const body = turnRequest(turnSettings('claude-sonnet-5-5'));
    assert.deepEqual(body.thinking, { type: 'adaptive', display: 'summarized', block_binding: BINDING });
    assert.equal(body.output_config, undefined);
    assert.equal(body.max_tokens, 64_000);
    assert.ok((body.betas as string[]).includes(BINDING_BETA));
  });

  test('an effort other than the model default is sent; the default level is left out (the same request)', () => {
    assert.deepEqual(turnRequest(turnSettings('claude-sonnet-5-5', { effort: 'xhigh' })).output_config, { effort: 'xhigh' });
    assert.equal(turnRequest(turnSettings('claude-sonnet-5-5', { effort: 'high' })).output_config, undefined);
    assert.deepEqual(turnRequest(turnSettings('claude-opus-5-5', { effort: 'high' })).output_config, { effort: 'high' }, 'Opus 5.5 defaults to medium');
  });

  test('adaptive on a model without it thinks with the budget, with one notice', () => {
    const settings = turnSettings('claude-haiku-4-5');
    const body = turnRequest(settings);
    assert.deepEqual(body.thinking, { type: 'enabled', budget_tokens: 31_999, display: 'summarized', block_binding: BINDING });
    assert.equal(body.max_tokens, 64_000);
    assert.deepEqual(requestThinking(settings)?.notices, ['claude-haiku-4-5 has no adaptive thinking; it thinks with a budget of 31999 tokens.']);
  });

  test('off where the model always thinks stays adaptive, and budget where it takes none is adaptive, each with a notice', () => {
    const off = turnSettings('claude-sonnet-5-5', { thinking: 'off' });
    assert.equal((turnRequest(off).thinking as { type: string }).type, 'adaptive');
    assert.match(requestThinking(off)!.notices[0]!, /claude-sonnet-5-5 always thinks/);
    const budget = turnSettings('claude-opus-4-8', { thinking: 'budget' });
    assert.equal((turnRequest(budget).thinking as { type: string }).type, 'adaptive');
    assert.match(requestThinking(budget)!.notices[0]!, /takes no thinking budget/);
    const allowed = turnSettings('claude-opus-4-8', { thinking: 'off' });
    assert.deepEqual(turnRequest(allowed).thinking, { type: 'disabled' });
    assert.ok(!(turnRequest(allowed).betas as string[] | undefined)?.includes(BINDING_BETA), 'no binding controls without thinking');
    assert.deepEqual(requestThinking(allowed)!.notices, []);
  });

  test('a cap above the model output cap is lowered to it with a notice; an unset cap is the model default, quietly', () => {
    const high = turnSettings('claude-sonnet-4-5', { maxTokens: 100_000 });
    assert.equal(turnRequest(high).max_tokens, 64_000);
    assert.match(requestThinking(high)!.notices[0]!, /claude-sonnet-4-5 writes at most 64,000 tokens per answer/);
    const unset = turnSettings('claude-sonnet-4-5', { thinking: 'adaptive' });
    assert.equal(unset.maxTokens, 64_000);
    const caps = { ...fallbackCapabilities('claude-small'), maxOutputTokens: 32_000 };
    const small = turnSettings('claude-small', {}, caps);
    assert.equal(turnRequest(small).max_tokens, 32_000, 'a model with a lower cap gets its cap');
    assert.deepEqual(requestThinking(small)!.notices, []);
  });

  test('a platform model id reads its own row of the table, not the capabilities of the Anthropic id', () => {
    const settings = { ...turnSettings('claude-sonnet-5-5'), model: 'us.anthropic.claude-haiku-4-5-v1:0' };
    assert.equal((turnRequest(settings).thinking as { type: string }).type, 'enabled');
  });

  test('on-demand compaction requests carry the thinking with drop_block and leave room for thinking plus the summary', () => {
    const settings = turnSettings('claude-sonnet-5-5', { maxTokens: 8000 });
    const messages = [{ role: 'user' as const, content: [{ type: 'text', text: 'hi' }] }];
    const body = buildOnDemandRequest({ settings, system: 'system', messages }, messages);
    assert.deepEqual(body.thinking, { type: 'adaptive', display: 'summarized', block_binding: BINDING });
    assert.ok((body.betas as string[]).includes(BINDING_BETA));
    assert.ok(Number(body.max_tokens) >= 4096 + 16_000, `max_tokens ${String(body.max_tokens)}`);
    const budget = turnSettings('claude-sonnet-4-5', { thinking: 'budget', budgetTokens: 30_000 });
    const fitted = buildOnDemandRequest({ settings: budget, system: 'system', messages }, messages, undefined, 12_000);
    assert.equal(fitted.max_tokens, 12_000);
    const thinking = fitted.thinking as { budget_tokens: number };
    assert.ok(thinking.budget_tokens < 12_000 - 4096 + 1, `the budget (${thinking.budget_tokens}) leaves room for the summary`);
  });
});

suite('Thinking blocks and cache breakpoints', () => {
  test('a breakpoint never lands on a thinking block: it goes on the block before, or nowhere', () => {
    const thinking = { type: 'thinking', thinking: '', signature: 'sig' };
    const marked = withCacheBreakpoints([
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'before' }, thinking] },
      { role: 'assistant', content: [thinking] },
    ]);
    assert.deepEqual(marked[1]!.content, [{ type: 'text', text: 'before', cache_control: { type: 'ephemeral' } }, thinking]);
    assert.deepEqual(marked[2]!.content, [thinking]);
  });
});

suite('Thinking settings: capabilities from the Models API', () => {
  let emulator: EmulatorHandle;
  suiteSetup(async () => {
    emulator = await startEmulator();
  });
  suiteTeardown(() => emulator.close());

  test('the probe reads each model thinking types, efforts and output cap; before it answers the table stands', async () => {
    const models = new ModelCapabilities(silentLogger, () => undefined);
    assert.equal(models.thinkingCapabilities('claude-sonnet-4-6').source, 'fallback-table');
    const client = await createClient({ apiKey: 'test-key', baseURL: emulator.url });
    await models.probe(client, 'claude-sonnet-4-6');
    await models.probe(client, 'claude-haiku-4-5');
    const sonnet = models.thinkingCapabilities('claude-sonnet-4-6');
    assert.equal(sonnet.source, 'models-api');
    assert.deepEqual([sonnet.adaptive, sonnet.enabled, sonnet.disabled], [true, true, true]);
    assert.deepEqual(sonnet.efforts, ['low', 'medium', 'high', 'max']);
    assert.equal(sonnet.maxOutputTokens, 64_000);
    const haiku = models.thinkingCapabilities('claude-haiku-4-5');
    assert.deepEqual([haiku.adaptive, haiku.enabled, haiku.efforts.length], [false, true, 0]);
    // The request built from them: xhigh is not offered on 4.6, so the nearest lower level (the default) goes.
    const settings = turnSettings('claude-sonnet-4-6', { effort: 'xhigh' }, sonnet);
    assert.equal(turnRequest(settings).output_config, undefined);
    assert.deepEqual(requestThinking(settings)!.notices, ['claude-sonnet-4-6 has no "xhigh" effort; using "high".']);
  });
});
