// The context meter: how full the context is against the compaction point, what the
// conversation has cost so far, and the compaction mode.
import type { CompactionMode, ContextMeter, ToHost } from '../shared/protocol';
import { h } from './dom';
import {
  cacheHitShare,
  formatCost,
  formatPercent,
  formatTokens,
  formatTokensExact,
  meterLevel,
  totalTokens,
} from './format';

const modeLabels: Record<CompactionMode, string> = {
  auto: 'Auto compact',
  pause: 'Compact & pause',
  manual: 'Manual only',
};

const modeDescriptions: Record<CompactionMode, string> = {
  auto: 'The server compacts the conversation when the context reaches the trigger, and the answer continues.',
  pause: 'The server compacts at the trigger, then waits so you can review the summary before continuing.',
  manual: 'Nothing is compacted until you choose Compact now.',
};

export class MeterView {
  readonly element: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly fill: HTMLElement;
  private readonly tick: HTMLElement;
  private readonly contextText: HTMLElement;
  private readonly windowText: HTMLElement;
  private readonly statsText: HTMLElement;
  private readonly modeSelect: HTMLSelectElement;
  private meter: ContextMeter | undefined;
  private mode: CompactionMode = 'auto';
  private model = '';

  /** `controls`: switches shown before the mode select (the effort switch). */
  constructor(post: (message: ToHost) => void, controls: readonly HTMLElement[] = []) {
    this.fill = h('div', { class: 'meter-fill' });
    this.tick = h('div', { class: 'meter-tick' });
    this.bar = h('div', { class: 'meter-bar', attrs: { role: 'meter', 'aria-valuemin': '0' } }, this.fill, this.tick);
    this.contextText = h('span', { class: 'meter-context' });
    this.windowText = h('span', { class: 'meter-window' });
    this.statsText = h('span', { class: 'meter-stats' });
    this.modeSelect = h('select', {
      class: 'mode-select',
      testid: 'mode-select',
      attrs: { 'aria-label': 'Compaction mode' },
    });
    for (const mode of ['auto', 'pause', 'manual'] as const) {
      const option = h('option', { text: modeLabels[mode], title: modeDescriptions[mode] });
      option.value = mode;
      this.modeSelect.append(option);
    }
    this.element = h(
      'div',
      { class: 'meter', testid: 'meter', attrs: { role: 'group' } },
      this.bar,
      h('div', { class: 'meter-row' }, this.contextText, this.windowText, this.statsText, ...controls, this.modeSelect),
    );
    this.modeSelect.addEventListener('change', () => {
      const mode = this.modeSelect.value;
      if (mode === 'auto' || mode === 'pause' || mode === 'manual') {
        this.mode = mode;
        this.render();
        post({ type: 'settings/setCompactionMode', mode });
      }
    });
  }

  update(meter: ContextMeter): void {
    this.meter = meter;
    this.render();
  }

  setSettings(mode: CompactionMode, model: string): void {
    this.mode = mode;
    this.model = model;
    this.modeSelect.value = mode;
    this.render();
  }

  private render(): void {
    this.modeSelect.title = modeDescriptions[this.mode];
    const meter = this.meter;
    if (meter === undefined) {
      return;
    }
    const manual = this.mode === 'manual';
    // In manual mode nothing compacts automatically, so the window is the limit that matters.
    const limit = manual ? meter.contextWindow : meter.triggerTokens;
    const scale = Math.max(meter.contextWindow, meter.triggerTokens, meter.contextTokens, 1);
    this.fill.style.width = `${Math.min(100, (meter.contextTokens / scale) * 100)}%`;
    this.tick.style.left = `${Math.min(100, (meter.triggerTokens / scale) * 100)}%`;
    this.tick.hidden = manual || meter.triggerTokens >= scale;
    this.element.dataset.level = meterLevel(meter.contextTokens, limit);

    const share = cacheHitShare(meter);
    const total = totalTokens(meter);
    this.contextText.textContent = `${formatTokens(meter.contextTokens)} / ${formatTokens(limit)}`;
    this.contextText.title = manual ? 'Context used / context window' : 'Context used / compaction trigger';
    // The bar spans the window; the tick marks where the server compacts.
    this.windowText.textContent = manual ? 'window' : `window ${formatTokens(meter.contextWindow)}`;
    this.tick.title = `Compacts at ${formatTokens(meter.triggerTokens)}`;
    const stats = [`${formatTokens(total)} total`];
    if (share !== null) {
      stats.push(`${formatPercent(share)} cached`);
    }
    stats.push(formatCost(meter.costUsd));
    this.statsText.textContent = stats.join(' · ');

    const percent = limit > 0 ? formatPercent(meter.contextTokens / limit) : '0%';
    const details = [
      `Context: ${formatTokensExact(meter.contextTokens)} tokens (${percent} of the ${manual ? 'context window' : 'compaction trigger'})`,
      manual
        ? 'Compaction: manual only (use Compact now)'
        : `Compacts at ${formatTokensExact(meter.triggerTokens)} tokens (${modeLabels[this.mode].toLowerCase()})`,
      `Context window: ${formatTokensExact(meter.contextWindow)} tokens`,
      `Conversation total: ${formatTokensExact(total)} tokens — input ${formatTokensExact(meter.totalInputTokens)}, output ${formatTokensExact(meter.totalOutputTokens)}, cache read ${formatTokensExact(meter.totalCacheReadTokens)}, cache write ${formatTokensExact(meter.totalCacheWriteTokens)}, compaction ${formatTokensExact(meter.compactionTokens)}`,
      `Cache hits: ${share === null ? 'none yet' : formatPercent(share)}`,
      `Estimated cost: ${formatCost(meter.costUsd)}`,
    ];
    if (this.model !== '') {
      details.push(`Model: ${this.model}`);
    }
    this.element.title = details.join('\n');
    this.element.setAttribute('aria-label', `Context meter. ${details.join('. ')}.`);
    this.bar.setAttribute('aria-valuemax', String(limit));
    this.bar.setAttribute('aria-valuenow', String(Math.min(meter.contextTokens, limit)));
    this.bar.setAttribute('aria-valuetext', `${formatTokens(meter.contextTokens)} of ${formatTokens(limit)} tokens`);
    this.bar.setAttribute('aria-label', 'Context used');
  }
}
