// Validates `marathon.thinking`, `marathon.thinkingBudgetTokens`, `marathon.effort` and `marathon.maxTokens`
// as read from the configuration; kept free of `vscode` so that the rules can be tested in plain Node.
import type { SessionSettings } from '../core/turn/settingsSnapshot';
import { DEFAULT_MAX_TOKENS, EFFORTS, MIN_BUDGET_TOKENS, maxTokensFor, type EffortChoice, type ThinkingCapabilities, type ThinkingMode } from '../core/turn/thinking';
import type { SettingsProblem } from './config';

export const THINKING_MODES: readonly ThinkingMode[] = ['adaptive', 'budget', 'off'];
export const DEFAULT_THINKING: ThinkingMode = 'adaptive';
/**
 * The budget the anchor client gives models that take one (anchors-on-the-wire.md): just under 32k, above
 * which the docs advise batch processing (thinking reference §1.3).
 */
export const DEFAULT_BUDGET_TOKENS = 31_999;
/** The largest output cap of any model (128k on 4.6+, thinking reference §1.3). */
export const MAX_OUTPUT_TOKENS = 128_000;

export interface ThinkingSettings {
  thinking: ThinkingMode;
  budgetTokens: number;
  effort: EffortChoice;
  /** The user's output cap; undefined: the model's default (64,000 within its own cap). */
  maxTokens?: number;
}

/** What the configuration holds (anything: settings files are hand-edited). */
export interface RawThinkingSettings {
  thinking?: unknown;
  budgetTokens?: unknown;
  effort?: unknown;
  maxTokens?: unknown;
}

const isWhole = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value);
/** A hand-edited value as the problem message quotes it. */
const shown = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));

/** The valid settings, with each invalid value replaced by its default and a problem that says so. */
export function validateThinkingSettings(raw: RawThinkingSettings): { settings: ThinkingSettings; problems: SettingsProblem[] } {
  const problems: SettingsProblem[] = [];
  let thinking = DEFAULT_THINKING;
  if (raw.thinking !== undefined && raw.thinking !== null) {
    if (typeof raw.thinking === 'string' && (THINKING_MODES as readonly string[]).includes(raw.thinking)) {
      thinking = raw.thinking as ThinkingMode;
    } else {
      problems.push({ key: 'marathon.thinking', message: `"${shown(raw.thinking)}" is not one of ${THINKING_MODES.join(', ')}; using ${DEFAULT_THINKING}.` });
    }
  }

  let budgetTokens = DEFAULT_BUDGET_TOKENS;
  if (raw.budgetTokens !== undefined && raw.budgetTokens !== null) {
    if (!isWhole(raw.budgetTokens)) {
      problems.push({ key: 'marathon.thinkingBudgetTokens', message: `${shown(raw.budgetTokens)} is not a whole number; using ${DEFAULT_BUDGET_TOKENS}.` });
    } else if (raw.budgetTokens < MIN_BUDGET_TOKENS) {
      problems.push({ key: 'marathon.thinkingBudgetTokens', message: `${raw.budgetTokens} is below the API's minimum of ${MIN_BUDGET_TOKENS}; using ${MIN_BUDGET_TOKENS}.` });
      budgetTokens = MIN_BUDGET_TOKENS;
    } else {
      budgetTokens = raw.budgetTokens;
    }
  }

  let effort: EffortChoice = 'default';
  if (raw.effort !== undefined && raw.effort !== null) {
    if (raw.effort === 'default' || (typeof raw.effort === 'string' && (EFFORTS as readonly string[]).includes(raw.effort))) {
      effort = raw.effort as EffortChoice;
    } else {
      problems.push({ key: 'marathon.effort', message: `"${shown(raw.effort)}" is not one of default, ${EFFORTS.join(', ')}; using the model's default.` });
    }
  }

  let maxTokens: number | undefined;
  if (raw.maxTokens !== undefined && raw.maxTokens !== null) {
    if (!isWhole(raw.maxTokens) || raw.maxTokens < 1) {
      problems.push({ key: 'marathon.maxTokens', message: `${shown(raw.maxTokens)} is not a positive whole number; using the model's default (${DEFAULT_MAX_TOKENS.toLocaleString('en-US')} within its output cap).` });
    } else if (raw.maxTokens > MAX_OUTPUT_TOKENS) {
      problems.push({ key: 'marathon.maxTokens', message: `${raw.maxTokens} is above every model's output cap; using ${MAX_OUTPUT_TOKENS} (or the model's lower cap).` });
      maxTokens = MAX_OUTPUT_TOKENS;
    } else {
      maxTokens = raw.maxTokens;
    }
  }
  if (thinking === 'budget' && maxTokens !== undefined && budgetTokens >= maxTokens) {
    // The API wants the budget below max_tokens (§1.3); the request builder lowers it per request too.
    problems.push({ key: 'marathon.thinkingBudgetTokens', message: `${budgetTokens} is not below marathon.maxTokens (${maxTokens}); the budget is lowered to ${Math.max(MIN_BUDGET_TOKENS, maxTokens - 1)} per request.` });
  }
  return { settings: { thinking, budgetTokens, effort, ...(maxTokens !== undefined ? { maxTokens } : {}) }, problems };
}

/**
 * The thinking part of a turn's settings: the output cap (the user's, else 64,000, within the model's cap),
 * the choice with the user's own cap (one above the model's is lowered with a notice), and the capabilities.
 */
export function thinkingSessionSettings(settings: ThinkingSettings, capabilities: ThinkingCapabilities): Pick<SessionSettings, 'maxTokens' | 'thinking' | 'thinkingCapabilities'> {
  return {
    maxTokens: maxTokensFor(settings, capabilities),
    thinking: { ...settings },
    thinkingCapabilities: capabilities,
  };
}
