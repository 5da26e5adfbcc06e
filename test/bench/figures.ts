// One measured figure of `npm run bench`: every value is measured in the run that prints it.
export interface Figure {
  scenario: string;
  name: string;
  value: number;
  unit: string;
  /** Human-readable target, e.g. "< 20" or "≤ 1.5"; absent for figures reported for context. */
  target?: string;
  pass?: boolean;
}

export function figure(scenario: string, name: string, value: number, unit: string, target?: { max?: number; min?: number }): Figure {
  if (!target) {
    return { scenario, name, value, unit };
  }
  const pass = (target.max === undefined || value <= target.max) && (target.min === undefined || value >= target.min);
  const text = target.max !== undefined ? `≤ ${target.max}` : `≥ ${target.min}`;
  return { scenario, name, value, unit, target: text, pass };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
