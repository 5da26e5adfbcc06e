// The effort switch above the prompt, beside the compaction mode: the levels the current model takes
// (all of them with "default" when the host cannot tell), writing `marathon.effort` through the host.
import { EFFORT_CHOICES, type EffortSetting, type ToHost } from '../shared/protocol';
import { h } from './dom';
import { ALL_LEVELS, effortDescriptions, effortOptions } from './effortOptions';

export class EffortSelect {
  readonly element: HTMLSelectElement;
  private setting: EffortSetting = { choice: 'default', offered: ALL_LEVELS };

  constructor(post: (message: ToHost) => void) {
    this.element = h('select', { class: 'mode-select effort-select', testid: 'effort-select', attrs: { 'aria-label': 'Thinking effort' } });
    this.element.addEventListener('change', () => {
      const value = this.element.value;
      const choice = EFFORT_CHOICES.find((candidate) => candidate === value);
      if (choice !== undefined && choice !== this.setting.choice) {
        this.setting = { ...this.setting, choice };
        this.render();
        post({ type: 'settings/setEffort', effort: choice });
      }
    });
    this.render();
  }

  /** `undefined`: the host cannot tell what the model takes, so every level is offered. */
  update(setting: EffortSetting | undefined): void {
    this.setting = setting ?? { choice: this.setting.choice, offered: ALL_LEVELS };
    this.render();
  }

  private render(): void {
    const options = effortOptions(this.setting);
    this.element.replaceChildren(
      ...options.map((option) => {
        const element = h('option', { text: option.label, title: effortDescriptions[option.value] });
        element.value = option.value;
        return element;
      }),
    );
    this.element.value = this.setting.choice;
    const none = this.setting.offered.length === 0;
    // A model without effort levels: nothing to choose, and the switch says why.
    this.element.disabled = none && this.setting.choice === 'default';
    this.element.title = none
      ? 'This model takes no effort level.'
      : `${effortDescriptions[this.setting.choice]} Applies from your next message.`;
  }
}
