// What changes in a conversation when a cloud platform serves it: the client, the model id, the
// compaction the platform offers (threshold where on-demand is missing, the trim fallback where neither
// is, Compact Now off with the reason), the platform's prices, and which provider each conversation
// last used, so that moving a conversation to another provider or model is said, not silent.
import type * as vscode from 'vscode';
import type { Logger } from '../../core/ports';
import type { MessagesClient, SessionSettings } from '../../core/session';
import type { ModelPrice } from '../../core/usage';
import type { BackendInfo } from '../../shared/protocol';
import { regionOf, type ProviderSettings } from '../providerConfig';
import type { ProviderService } from './providers';

const USED_KEY = 'marathon.conversationProviders';

/** The provider, where and which model a conversation used last. */
export interface ConversationProvider {
  provider: ProviderSettings['provider'];
  region?: string;
  model: string;
}

export class PlatformTurns {
  private settingsCache: ProviderSettings | undefined;

  constructor(
    private readonly providers: ProviderService,
    private readonly state: vscode.Memento,
    private readonly logger: Logger,
  ) {}

  private settings(): ProviderSettings {
    this.settingsCache ??= this.providers.settings();
    return this.settingsCache;
  }

  settingsChanged(): void {
    this.settingsCache = undefined;
    this.providers.invalidate();
  }

  /** True when a cloud platform, not the Anthropic API, serves the next turn. */
  active(): boolean {
    return this.settings().provider !== 'anthropic';
  }

  model(): string {
    return this.settings().model;
  }

  /** Why the next turn cannot start (a key Marathon keeps is missing); undefined when it can. */
  async missingCredentials(): Promise<string | undefined> {
    const resolution = await this.providers.resolve(this.settings());
    return resolution.ok ? undefined : resolution.message;
  }

  client(): Promise<MessagesClient> {
    return this.providers.client();
  }

  async backendInfo(): Promise<BackendInfo> {
    const settings = this.settings();
    const resolution = await this.providers.resolve(settings);
    return {
      kind: resolution.ok ? 'api' : 'none',
      provider: this.providers.info(settings),
      compactNowUnavailable: this.compactNowUnavailable(),
    };
  }

  compactNowUnavailable(): string | undefined {
    const capability = this.providers.capability(this.settings());
    return capability.onDemand ? undefined : capability.reason;
  }

  /** The Anthropic API's settings, adapted to what the platform offers for this model. */
  sessionSettings(base: SessionSettings, prices: Readonly<Record<string, ModelPrice>>): SessionSettings {
    const settings = this.settings();
    const capability = this.providers.capability(settings);
    // Manual compaction is on demand only; where the platform has no on-demand compaction, the
    // conversation compacts at the trigger instead of growing until the window refuses it.
    const mode = base.mode === 'manual' && !capability.onDemand ? 'auto' : base.mode;
    const clearing = this.providers.contextEditing(settings);
    return {
      ...base,
      model: settings.model,
      provider: settings.provider,
      mode,
      compactionSupported: capability.threshold,
      onDemandSupported: capability.onDemand,
      contextEditingSupported: clearing?.clearToolUses ?? base.contextEditingSupported,
      clearThinkingSupported: clearing?.clearThinking ?? base.clearThinkingSupported,
      prices: this.providers.prices(prices, settings),
    };
  }

  /** Remembers which provider served the conversation's latest turn. */
  turnStarted(conversationId: string | undefined): void {
    if (conversationId === undefined) {
      return;
    }
    const settings = this.settings();
    const used: ConversationProvider = { provider: settings.provider, region: regionOf(settings), model: settings.model };
    const all = this.used();
    const before = all[conversationId];
    if (before && before.provider === used.provider && before.region === used.region && before.model === used.model) {
      return;
    }
    void this.state.update(USED_KEY, { ...all, [conversationId]: used });
  }

  /** A reopened conversation that another provider or model served before: the sentence saying so. */
  opened(conversationId: string): string | undefined {
    const before = this.used()[conversationId];
    const settings = this.settings();
    if (!before || (before.provider === settings.provider && before.region === regionOf(settings) && before.model === settings.model)) {
      return undefined;
    }
    const label = this.providers.info(settings).label;
    const where = regionOf(settings);
    this.logger.info(`[Provider] conversation moves from ${before.provider} to ${settings.provider}`);
    return `This conversation continues on ${label}${where ? ` (${where})` : ''} with ${settings.model}; earlier turns were answered by ${before.model}.`;
  }

  private used(): Record<string, ConversationProvider> {
    return this.state.get<Record<string, ConversationProvider>>(USED_KEY) ?? {};
  }
}
