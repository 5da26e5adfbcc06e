// The backend the next request goes to: resolves the credentials, hands out one client per key and
// endpoint (so connections are reused from turn to turn) and knows what each model can do. With
// `marathon.provider` set to a cloud platform, the platform's client, model and capabilities stand in.
import { unreachableMessage, type TurnEndpoint } from '../../core/endpoint';
import type { Logger } from '../../core/ports';
import type { MessagesClient, SessionSettings } from '../../core/session';
import type { ModelPrice } from '../../core/usage';
import type { BackendInfo } from '../../shared/protocol';
import type { ApiKeyStore, Credentials } from '../apiKey';
import { readSettings } from '../config';
import { createAnthropicClient } from './anthropic';
import { ModelCapabilities } from './models';
import type { PlatformTurns } from './platform';

/** How long a turn waits for the Models API's first answer about its model before using the defaults. */
const PROBE_WAIT_MS = 5000;

export class Backend {
  readonly models: ModelCapabilities;
  private cachedClient: { key: string; client: Promise<MessagesClient> } | undefined;
  /** What served the last turn, for the advice of a failed connection. */
  private endpoint: TurnEndpoint = { kind: 'api' };

  constructor(
    private readonly keys: ApiKeyStore,
    logger: Logger,
    /** Called once when a model turns out not to support compaction. */
    onCompactionUnsupported: (model: string) => void,
    /** The cloud platform side of `marathon.provider`; absent, the Anthropic API only. */
    readonly platform?: PlatformTurns,
    /** Called when the Models API has told what a model can do (the view's Compact Now follows it). */
    onDidLearnModel?: (model: string) => void,
  ) {
    this.models = new ModelCapabilities(logger, onCompactionUnsupported, onDidLearnModel);
  }

  /** What the next request uses, or undefined when no key is set anywhere. */
  credentials(): Promise<Credentials | undefined> {
    return this.keys.resolve(readSettings().settings.apiBaseUrl);
  }

  /** True when a cloud platform, not the Anthropic API, serves the next turn. */
  onPlatform(): boolean {
    return this.platform?.active() ?? false;
  }

  /** Why the next turn cannot start (no key), in one sentence; undefined when it can. */
  async missingCredentials(): Promise<string | undefined> {
    if (this.platform?.active()) {
      return this.platform.missingCredentials();
    }
    return (await this.credentials()) ? undefined : 'No API key is set. Run “Marathon: Set API Key”, or set ANTHROPIC_API_KEY before starting VS Code.';
  }

  /** The model id the next turn uses (a platform's own id on a cloud platform). */
  model(): string {
    return this.platform?.active() ? this.platform.model() : readSettings().settings.model;
  }

  /** What the header shows about the backend. */
  async info(): Promise<BackendInfo> {
    if (this.platform?.active()) {
      return this.platform.backendInfo();
    }
    const backend = (await this.credentials())?.backend ?? { kind: 'none' };
    const unavailable = backend.kind === 'none' ? undefined : this.compactNowUnavailable();
    return unavailable ? { ...backend, compactNowUnavailable: unavailable } : backend;
  }

  /** Why Compact Now cannot run on this platform and model; undefined when it can. */
  compactNowUnavailable(): string | undefined {
    if (this.platform?.active()) {
      return this.platform.compactNowUnavailable();
    }
    const model = readSettings().settings.model;
    // The Anthropic API says it in its Models API (`capabilities.compaction.summarize`: not on Haiku).
    return this.models.onDemandSupported(model)
      ? undefined
      : `${model} does not offer on-demand compaction; the conversation compacts itself when it reaches the trigger.`;
  }

  /**
   * Learns what the next turn's settings read about its model before the turn is built: the Models
   * API's answer (context window, compaction support), once per model and at most a few seconds. A
   * turn built on the defaults would put manual mode's "never fires" trigger at 200,001 tokens on a
   * model with a 1M window. Platforms have no Models API in their clients: nothing to wait for.
   */
  async prepare(): Promise<void> {
    if (this.platform?.active()) {
      return;
    }
    const credentials = await this.credentials();
    if (!credentials) {
      return;
    }
    const client = await this.client().catch(() => undefined);
    if (!client) {
      return;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.models.probe(client, readSettings().settings.model),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, PROBE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
  }

  /** A turn's settings, adapted to what the chosen platform offers for its model. */
  adapt(settings: SessionSettings, prices: Readonly<Record<string, ModelPrice>>): SessionSettings {
    return this.platform?.active() ? this.platform.sessionSettings(settings, prices) : settings;
  }

  /** What a turn that could not reach its endpoint tells the user (the demo backend is not the API). */
  unreachable(): string {
    return unreachableMessage(this.endpoint);
  }

  /** The client for the current key and endpoint; starts learning the current model's window. */
  async client(conversationId?: string): Promise<MessagesClient> {
    this.platform?.turnStarted(conversationId);
    if (this.platform?.active()) {
      this.endpoint = { kind: 'platform' };
      return this.platform.client();
    }
    const credentials = await this.credentials();
    if (!credentials) {
      throw new Error('No API key is set. Run “Marathon: Set API Key”.');
    }
    this.endpoint = { kind: credentials.backend.kind === 'demo' ? 'demo' : 'api', baseUrl: credentials.baseURL };
    const cacheKey = `${credentials.baseURL ?? ''}\n${credentials.apiKey}`;
    if (this.cachedClient?.key !== cacheKey) {
      this.cachedClient = { key: cacheKey, client: createAnthropicClient(credentials) };
    }
    const client = await this.cachedClient.client;
    void this.models.probe(client, readSettings().settings.model);
    return client;
  }
}
