// The effort switch above the prompt: the levels the current model takes, `marathon.effort` written
// for the next turn, and a one-line notice, once per conversation, when a change costs the prompt cache
// (thinking reference §5: the resolved effort is part of the cache key; an explicit default is the same
// request as none, so a change that resolves to the same level costs nothing). It reaches the settings
// and the workspace memory through small ports, so its rules are unit-tested without VS Code.
import { fallbackCapabilities, resolveThinking, type ThinkingCapabilities, type ThinkingMode } from '../core/turn/thinking';
import { EFFORT_CHOICES, type EffortChoice, type EffortSetting } from '../shared/protocol';

/** What the host knows of a model; the Models API's thinking capabilities where it has answered. */
export interface ThinkingFacts {
  contextWindow(model: string): number;
  thinkingCapabilities?(model: string): ThinkingCapabilities | undefined;
}

/** The conversation a change is made in: its id and how much it would re-read without the cache. */
export interface EffortConversation {
  id: string;
  contextTokens: number;
}

/** `marathon.*` settings: read one, write one to the user's settings. */
export interface SettingsPort {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

/** Where the conversations already told are remembered (the workspace state). */
export interface MemoryPort {
  get<T>(key: string, fallback: T): T;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

const NOTICED_KEY = 'marathon.effortCacheNotice';
const MAX_NOTICED = 500;

function thousands(tokens: number): string {
  return tokens >= 1000 ? `${Math.round(tokens / 1000)}k` : String(tokens);
}

export class EffortSwitch {
  constructor(
    private readonly models: ThinkingFacts,
    private readonly settings: SettingsPort,
    private readonly memory: MemoryPort,
    private readonly notice: (message: string) => void,
  ) {}

  private choice(): EffortChoice {
    const value = this.settings.get('effort');
    return EFFORT_CHOICES.find((choice) => choice === value) ?? 'default';
  }

  private mode(): ThinkingMode {
    const value = this.settings.get('thinking');
    return value === 'budget' || value === 'off' ? value : 'adaptive';
  }

  private capabilities(model: string): ThinkingCapabilities {
    return this.models.thinkingCapabilities?.(model) ?? fallbackCapabilities(model);
  }

  /** The switch as the view shows it for `model`. */
  state(model: string): EffortSetting {
    const caps = this.capabilities(model);
    return { choice: this.choice(), offered: [...caps.efforts], ...(caps.defaultEffort ? { modelDefault: caps.defaultEffort } : {}) };
  }

  /** The effort `model`'s requests carry for `choice` (undefined: none, the model's default). */
  private resolved(model: string, choice: EffortChoice): string | undefined {
    return resolveThinking(model, { thinking: this.mode(), budgetTokens: 8000, effort: choice }, this.capabilities(model)).effort;
  }

  /**
   * Writes `marathon.effort`; the session reads it at the start of the next turn. False when the
   * setting could not be written (the view then shows the setting as it still is).
   */
  async set(choice: EffortChoice, model: string, conversation: EffortConversation): Promise<boolean> {
    const before = this.choice();
    if (before === choice) {
      return true;
    }
    try {
      await this.settings.update('effort', choice);
    } catch (error) {
      this.notice(`The effort could not be saved (${error instanceof Error ? error.message : String(error)}).`);
      return false;
    }
    if (conversation.contextTokens > 0 && this.resolved(model, before) !== this.resolved(model, choice)) {
      this.noticeOnce(conversation);
    }
    return true;
  }

  private noticeOnce(conversation: EffortConversation): void {
    const noticed = this.memory.get<string[]>(NOTICED_KEY, []);
    if (noticed.includes(conversation.id)) {
      return;
    }
    void this.memory.update(NOTICED_KEY, [...noticed, conversation.id].slice(-MAX_NOTICED));
    this.notice(
      `The new effort applies from your next message, which re-reads this conversation (about ${thousands(conversation.contextTokens)} tokens) without the prompt cache once: effort is part of the cache key.`,
    );
  }
}
