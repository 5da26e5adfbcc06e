// The settings a turn runs with: their shape, and the frozen snapshot each turn takes once at its start.
import type { ChatMode, CompactionMode } from '../../shared/protocol';
import type { ModelPrice } from '../usage';
import type { ThinkingCapabilities, ThinkingChoice } from './thinking';

export interface SessionSettings {
  model: string;
  maxTokens: number;
  triggerTokens: number;
  instructions: string;
  mode: CompactionMode;
  keepRecentTurns: number;
  contextWindow: number;
  prices?: Readonly<Record<string, ModelPrice>>;
  /** `agent` offers the tools of `SessionDeps.tools`; absent or `ask` is plain chat. */
  chatMode?: ChatMode;
  /** Tool steps (answers whose calls are run) per turn before Marathon stops and asks to continue. */
  maxToolIterations?: number;
  /** False when the Models API says the model cannot compact; the turn then goes without the betas. */
  compactionSupported?: boolean;
  /**
   * False where the platform or model has no on-demand compaction (Amazon Bedrock, Haiku): Marathon
   * never compacts on demand, and a signed summary made elsewhere goes as text (it needs the on-demand beta).
   */
  onDemandSupported?: boolean;
  /**
   * `marathon.thinking*` and `marathon.effort`; absent: requests leave thinking to the model's default.
   * Its `maxTokens` is the user's own `marathon.maxTokens` (undefined: unset, `maxTokens` above is the model's default).
   */
  thinking?: ThinkingChoice;
  /** What the model takes (Models API, else the fallback table); absent: the fallback table. */
  thinkingCapabilities?: ThinkingCapabilities;
  /** `marathon.contextEditing.toolResults`: Agent mode's requests have old tool results cleared on the server (`auto`, the default) or not. */
  contextEditing?: 'auto' | 'off';
  /** False when the Models API (or the platform) says the model cannot clear tool results or thinking. */
  contextEditingSupported?: boolean;
  /** The platform serving the turn (`bedrock`, `vertex`, `foundry`); absent: the Anthropic API. */
  provider?: string;
  /** False where the platform offers tool-result clearing but not thinking clearing (Amazon Bedrock). */
  clearThinkingSupported?: boolean;
}

/** Settings as one turn sees them from start to end: a change made meanwhile applies to the next turn. */
export type SettingsSnapshot = Readonly<SessionSettings>;

export function snapshotSettings(settings: SessionSettings): SettingsSnapshot {
  return Object.freeze({ ...settings });
}
