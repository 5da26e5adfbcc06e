// The effort switch above the prompt: it offers the levels the model takes, writes `marathon.effort`,
// and says once per conversation when a change costs the prompt cache (thinking reference §5).
import * as assert from 'node:assert/strict';
import { fallbackCapabilities } from '../../src/core/turn/thinking';
import { EffortSwitch, type MemoryPort, type ThinkingFacts } from '../../src/host/effort';
import { isToHost, type ViewState } from '../../src/shared/protocol';
import { effortOptions } from '../../src/webview/effortOptions';
import { reduceSnapshot, snapshotOf } from '../../src/webview/state';

class Memory implements MemoryPort {
  readonly values = new Map<string, unknown>();
  get<T>(key: string, fallback: T): T {
    return (this.values.has(key) ? this.values.get(key) : fallback) as T;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

function harness(facts: ThinkingFacts = { contextWindow: () => 200_000 }) {
  const settings = new Map<string, unknown>([['effort', 'default']]);
  const memory = new Memory();
  const notices: string[] = [];
  const effort = new EffortSwitch(
    facts,
    { get: (key) => settings.get(key), update: async (key, value) => void settings.set(key, value) },
    memory,
    (message) => notices.push(message),
  );
  return { effort, settings, memory, notices };
}

suite('Effort switch', () => {
  test('offers the levels of the model, with its default named; a model without levels offers only default', () => {
    const { effort } = harness();
    assert.deepEqual(effort.state('claude-opus-5-5'), { choice: 'default', offered: ['low', 'medium', 'high', 'xhigh', 'max'], modelDefault: 'medium' });
    assert.deepEqual(effort.state('claude-sonnet-4-6').offered, ['low', 'medium', 'high', 'max'], 'no xhigh on 4.6');
    assert.deepEqual(effort.state('claude-haiku-4-5').offered, []);
    assert.deepEqual(
      effortOptions(effort.state('claude-sonnet-4-6')).map((option) => option.label),
      ['Effort: default (high)', 'Effort: low', 'Effort: medium', 'Effort: high', 'Effort: max'],
    );
    assert.deepEqual(effortOptions({ choice: 'default', offered: [] }).map((option) => option.value), ['default']);
    // A choice the model lacks stays visible, marked, so that the switch shows the setting as it is.
    assert.deepEqual(effortOptions({ choice: 'xhigh', offered: ['low', 'high'] }).at(-1), { value: 'xhigh', label: 'Effort: xhigh (not for this model)', offered: false });
  });

  test('the Models API answer wins over the fallback table', () => {
    const caps = { ...fallbackCapabilities('claude-sonnet-5-5'), efforts: ['low', 'high'] as const, source: 'models-api' as const };
    const { effort } = harness({ contextWindow: () => 200_000, thinkingCapabilities: () => ({ ...caps, efforts: [...caps.efforts] }) });
    assert.deepEqual(effort.state('claude-sonnet-5-5').offered, ['low', 'high']);
  });

  test('a change writes marathon.effort and, mid-conversation, says once that the cache is lost', async () => {
    const { effort, settings, notices } = harness();
    const conversation = { id: 'c1', contextTokens: 45_300 };
    await effort.set('low', 'claude-sonnet-5-5', conversation);
    assert.equal(settings.get('effort'), 'low');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /next message.*about 45k tokens.*without the prompt cache once/);
    await effort.set('max', 'claude-sonnet-5-5', conversation);
    assert.equal(settings.get('effort'), 'max');
    assert.equal(notices.length, 1, 'once per conversation');
    await effort.set('low', 'claude-sonnet-5-5', { id: 'c2', contextTokens: 1000 });
    assert.equal(notices.length, 2, 'another conversation is told too');
  });

  test('no notice where the cache is kept: a new conversation, or a change to the level the model uses anyway', async () => {
    const { effort, settings, notices } = harness();
    await effort.set('low', 'claude-sonnet-5-5', { id: 'fresh', contextTokens: 0 });
    assert.equal(settings.get('effort'), 'low');
    settings.set('effort', 'default');
    // Sonnet 5.5 thinks at "high" by default: an explicit default is the same request (§5).
    await effort.set('high', 'claude-sonnet-5-5', { id: 'c1', contextTokens: 50_000 });
    assert.equal(settings.get('effort'), 'high');
    await effort.set('high', 'claude-sonnet-5-5', { id: 'c1', contextTokens: 50_000 });
    assert.deepEqual(notices, []);
  });

  test('the once-per-conversation memory survives a new host (a reload)', async () => {
    const first = harness();
    await first.effort.set('low', 'claude-sonnet-5-5', { id: 'c1', contextTokens: 10_000 });
    const again = new EffortSwitch({ contextWindow: () => 200_000 }, { get: () => 'low', update: async () => undefined }, first.memory, (message) => first.notices.push(message));
    await again.set('max', 'claude-sonnet-5-5', { id: 'c1', contextTokens: 10_000 });
    assert.equal(first.notices.length, 1);
  });

  test('the host accepts only effort levels it knows, and the view keeps what the host last said', () => {
    assert.equal(isToHost({ type: 'settings/setEffort', effort: 'xhigh' }), true);
    assert.equal(isToHost({ type: 'settings/setEffort', effort: 'default' }), true);
    assert.equal(isToHost({ type: 'settings/setEffort', effort: 'extreme' }), false);
    assert.equal(isToHost({ type: 'settings/setEffort' }), false);
    const state = { compactionMode: 'auto', model: 'm', active: { id: 'c', title: 't', items: [], hasOlder: false } } as unknown as ViewState;
    const next = reduceSnapshot(snapshotOf(state), { type: 'settings/didChange', compactionMode: 'auto', model: 'claude-opus-5-5', effort: { choice: 'max', offered: ['max'] } });
    assert.deepEqual(next.effort, { choice: 'max', offered: ['max'] });
  });
});

suite('Effort switch: a setting that cannot be written', () => {
  test('says so and reports the failure, so that the view shows the setting as it is', async () => {
    const notices: string[] = [];
    const effort = new EffortSwitch(
      { contextWindow: () => 200_000 },
      { get: () => 'default', update: () => Promise.reject(new Error('marathon.effort is not a registered configuration')) },
      { get: <T>(_key: string, fallback: T) => fallback, update: async () => undefined },
      (message) => notices.push(message),
    );
    assert.equal(await effort.set('low', 'claude-sonnet-5-5', { id: 'c1', contextTokens: 1000 }), false);
    assert.deepEqual(notices, ['The effort could not be saved (marathon.effort is not a registered configuration).']);
    assert.equal(effort.state('claude-sonnet-5-5').choice, 'default');
  });
});
