// Typed access to Marathon's settings, validated once here so the rest of the code can trust them.
import * as vscode from 'vscode';
import type { ChatMode, CompactionMode } from '../shared/protocol';
import { MIN_TRIGGER_TOKENS } from '../core/betas';
import type { SessionSettings } from '../core/session';
import type { ModelPrice } from '../core/usage';
import { fallbackCapabilities, type ThinkingCapabilities } from '../core/turn/thinking';
import { thinkingSessionSettings, validateThinkingSettings, type ThinkingSettings } from './thinkingSettings';

export interface MarathonSettings {
  model: string;
  apiBaseUrl: string;
  /** `marathon.maxTokens`; undefined: the model's default (64,000 within its output cap). */
  maxTokens?: number;
  /** `marathon.thinking`, `marathon.thinkingBudgetTokens` and `marathon.effort`. */
  thinking: Omit<ThinkingSettings, 'maxTokens'>;
  triggerTokens: number;
  instructions: string;
  mode: CompactionMode;
  keepRecentTurns: number;
  prices: Record<string, ModelPrice>;
  /** Files larger than this are refused (or attached truncated, if the user chooses). */
  maxFileBytes: number;
}

export interface SettingsProblem {
  key: string;
  message: string;
}

const DEFAULT_MODEL = 'claude-sonnet-5-5';
const DEFAULT_TRIGGER = 150_000;
const DEFAULT_MAX_FILE_BYTES = 256 * 1024;
const MIN_MAX_FILE_BYTES = 1024;

/** Reads the settings, replacing invalid values with safe ones and saying what was wrong. */
export function readSettings(): { settings: MarathonSettings; problems: SettingsProblem[] } {
  const config = vscode.workspace.getConfiguration('marathon');
  const problems: SettingsProblem[] = [];

  let model = config.get<string>('model', DEFAULT_MODEL);
  if (typeof model !== 'string' || !/^[A-Za-z0-9._:@/-]+$/.test(model.trim())) {
    problems.push({ key: 'marathon.model', message: `"${String(model)}" is not a model id; using ${DEFAULT_MODEL}.` });
    model = DEFAULT_MODEL;
  }

  let apiBaseUrl = (config.get<string>('apiBaseUrl', '') ?? '').trim();
  if (apiBaseUrl) {
    let valid = false;
    try {
      const url = new URL(apiBaseUrl);
      valid = url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      valid = false;
    }
    if (!valid) {
      problems.push({ key: 'marathon.apiBaseUrl', message: `"${apiBaseUrl}" is not an http(s) URL; using the default endpoint.` });
      apiBaseUrl = '';
    }
  }

  // Unset (null) means the model's own default, which only the request builder knows (it depends on the model).
  const validated = validateThinkingSettings({
    thinking: config.get<unknown>('thinking'),
    budgetTokens: config.get<unknown>('thinkingBudgetTokens'),
    effort: config.get<unknown>('effort'),
    maxTokens: config.get<unknown>('maxTokens'),
  });
  problems.push(...validated.problems);
  const { maxTokens, ...thinking } = validated.settings;

  const perModel = config.get<Record<string, number>>('compaction.triggerTokensByModel', {}) ?? {};
  const modelTrigger = perModel[model];
  let triggerTokens = typeof modelTrigger === 'number' ? modelTrigger : config.get<number>('compaction.triggerTokens', DEFAULT_TRIGGER);
  if (!Number.isFinite(triggerTokens)) {
    problems.push({ key: 'marathon.compaction.triggerTokens', message: `Not a number; using ${DEFAULT_TRIGGER}.` });
    triggerTokens = DEFAULT_TRIGGER;
  } else if (triggerTokens < MIN_TRIGGER_TOKENS) {
    problems.push({
      key: 'marathon.compaction.triggerTokens',
      message: `${triggerTokens} is below the API's minimum of ${MIN_TRIGGER_TOKENS}; using ${MIN_TRIGGER_TOKENS}.`,
    });
    triggerTokens = MIN_TRIGGER_TOKENS;
  }

  const instructions = config.get<string>('compaction.instructions', '') ?? '';
  const modeSetting = config.get<string>('compaction.mode', 'auto');
  const mode: CompactionMode = modeSetting === 'pause' || modeSetting === 'manual' ? modeSetting : 'auto';
  let keepRecentTurns = config.get<number>('compaction.keepRecentTurns', 1);
  if (!Number.isInteger(keepRecentTurns) || keepRecentTurns < 0) {
    keepRecentTurns = 1;
  }
  const prices = config.get<Record<string, ModelPrice>>('pricing', {}) ?? {};
  let maxFileBytes = config.get<number>('context.maxFileBytes', DEFAULT_MAX_FILE_BYTES);
  if (!Number.isInteger(maxFileBytes) || maxFileBytes < MIN_MAX_FILE_BYTES) {
    problems.push({ key: 'marathon.context.maxFileBytes', message: `${String(maxFileBytes)} is below ${MIN_MAX_FILE_BYTES} bytes or not a whole number; using ${DEFAULT_MAX_FILE_BYTES}.` });
    maxFileBytes = DEFAULT_MAX_FILE_BYTES;
  }

  return { settings: { model: model.trim(), apiBaseUrl, maxTokens, thinking, triggerTokens, instructions, mode, keepRecentTurns, prices, maxFileBytes }, problems };
}

/** Agent mode's settings (`marathon.mode`, `marathon.agent.*`); out-of-range numbers fall back to the defaults. */
export interface AgentSettings {
  mode: ChatMode;
  autoApproveReadOnly: boolean;
  maxToolIterations: number;
  commandTimeoutSeconds: number;
  /** Cap of a command's output and of search results sent to the model. */
  maxOutputBytes: number;
  /** `marathon.contextEditing.toolResults`: server-side clearing of old tool results. */
  contextEditing: 'auto' | 'off';
}

export function readAgentSettings(): AgentSettings {
  const config = vscode.workspace.getConfiguration('marathon');
  const integer = (key: string, fallback: number, min: number, max: number): number => {
    const value = config.get<number>(key, fallback);
    return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
  };
  return {
    mode: config.get<string>('mode', 'ask') === 'agent' ? 'agent' : 'ask',
    autoApproveReadOnly: config.get<boolean>('agent.autoApproveReadOnly', true) !== false,
    maxToolIterations: integer('agent.maxToolIterations', 25, 1, 500),
    commandTimeoutSeconds: integer('agent.commandTimeoutSeconds', 120, 1, 3600),
    maxOutputBytes: integer('agent.maxOutputBytes', 32 * 1024, 1024, 1024 * 1024),
    contextEditing: config.get<string>('contextEditing.toolResults', 'auto') === 'off' ? 'off' : 'auto',
  };
}

/** What the Models API says of a model, where it has been asked. */
export interface ModelFacts {
  contextWindow(model: string): number;
  compactionSupported(model: string): boolean;
  contextEditingSupported(model: string): boolean;
  clearThinkingSupported?(model: string): boolean;
  onDemandSupported?(model: string): boolean;
  /** The thinking types and efforts the model takes (Models API, else the fallback table). */
  thinkingCapabilities?(model: string): ThinkingCapabilities;
}

/**
 * The settings of one turn, read from the validated settings above; the session takes them once at
 * the start of each turn, so a change applies from the next turn on.
 */
export function readSessionSettings(models: ModelFacts, agentAvailable: boolean): SessionSettings {
  const settings = readSettings().settings;
  const agent = readAgentSettings();
  const capabilities = models.thinkingCapabilities?.(settings.model) ?? fallbackCapabilities(settings.model);
  return {
    model: settings.model,
    ...thinkingSessionSettings({ ...settings.thinking, ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}) }, capabilities),
    triggerTokens: settings.triggerTokens,
    instructions: settings.instructions,
    mode: settings.mode,
    keepRecentTurns: settings.keepRecentTurns,
    contextWindow: models.contextWindow(settings.model),
    compactionSupported: models.compactionSupported(settings.model),
    ...(models.onDemandSupported?.(settings.model) === false ? { onDemandSupported: false } : {}),
    prices: settings.prices,
    chatMode: agentAvailable ? agent.mode : 'ask',
    maxToolIterations: agent.maxToolIterations,
    contextEditing: agent.contextEditing,
    contextEditingSupported: models.contextEditingSupported(settings.model),
    ...(models.clearThinkingSupported?.(settings.model) === false ? { clearThinkingSupported: false } : {}),
  };
}
