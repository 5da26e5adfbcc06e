// The effort switch's options and wording, DOM-free so that its rules are unit-tested (the select
// itself is in effort.ts).
import { EFFORT_CHOICES, type EffortChoice, type EffortLevel, type EffortSetting } from '../shared/protocol';

export const effortDescriptions: Record<EffortChoice, string> = {
  default: 'The model decides how hard to think (its own default level).',
  low: 'Quick answers: the least thinking, the fewest tokens.',
  medium: 'Some thinking: a balance of speed, cost and depth.',
  high: 'Thorough thinking for most coding work.',
  xhigh: 'Extra-deep thinking for hard problems; slower, more tokens.',
  max: 'The most thinking the model does; the slowest and costliest.',
};

/** The options the switch offers: default first, then the model's levels, and the choice even if the model lacks it. */
export function effortOptions(setting: EffortSetting): Array<{ value: EffortChoice; label: string; offered: boolean }> {
  const levels = EFFORT_CHOICES.filter((choice): choice is EffortLevel => choice !== 'default');
  const offered = new Set<EffortChoice>(setting.offered);
  const options: Array<{ value: EffortChoice; label: string; offered: boolean }> = [
    { value: 'default', label: setting.modelDefault ? `Effort: default (${setting.modelDefault})` : 'Effort: default', offered: true },
  ];
  for (const level of levels) {
    if (offered.has(level)) {
      options.push({ value: level, label: `Effort: ${level}`, offered: true });
    } else if (level === setting.choice) {
      options.push({ value: level, label: `Effort: ${level} (not for this model)`, offered: false });
    }
  }
  return options;
}

export const ALL_LEVELS: EffortLevel[] = ['low', 'medium', 'high', 'xhigh', 'max'];
