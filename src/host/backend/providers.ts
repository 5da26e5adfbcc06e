// The chosen platform's client for the host: resolves `marathon.provider` and its settings plus the
// secrets Marathon keeps (a Bedrock API key, a Foundry key) into a platform client, built once per
// configuration through the engine's lazily loaded platform bundle; and what the platform offers
// (compaction capabilities, prices) and shows (provider and region in the header).
import * as vscode from 'vscode';
import type { Logger } from '../../core/ports';
import {
  PROVIDER_LABELS,
  platformPrice,
  tableCapability,
  tableContextEditing,
  type CompactionCapability,
  type ContextEditingCapability,
  type PlatformClientConfig,
  type ProviderId,
} from '../../core/providers';
import type { MessagesClient } from '../../core/session';
import type { ModelPrice } from '../../core/usage';
import type { ProviderInfo } from '../../shared/protocol';
import { loadEngine } from '../engineLoader';
import { readProviderSettings, regionOf, type ProviderSettings } from '../providerConfig';

export type PlatformSecret = 'bedrockApiKey' | 'foundryApiKey';

const SECRET_KEYS: Readonly<Record<PlatformSecret, string>> = {
  bedrockApiKey: 'marathon.bedrockApiKey',
  foundryApiKey: 'marathon.foundryApiKey',
};

/** The platforms' own environment variables for the same secrets, read when nothing is stored. */
const SECRET_ENVIRONMENT: Readonly<Record<PlatformSecret, string>> = {
  bedrockApiKey: 'AWS_BEARER_TOKEN_BEDROCK',
  foundryApiKey: 'ANTHROPIC_FOUNDRY_API_KEY',
};

export type PlatformResolution = { ok: true; config: PlatformClientConfig } | { ok: false; message: string };

export class ProviderService implements vscode.Disposable {
  private readonly _onDidChange = new vscode.EventEmitter<void>();
  /** Fires when a stored platform secret changes. */
  readonly onDidChange = this._onDidChange.event;
  private cached: { key: string; client: Promise<MessagesClient> } | undefined;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly logger: Logger,
  ) {}

  settings(): ProviderSettings {
    return readProviderSettings().settings;
  }

  async storeSecret(kind: PlatformSecret, value: string): Promise<void> {
    await this.secrets.store(SECRET_KEYS[kind], value);
    this.cached = undefined;
    this._onDidChange.fire();
  }

  async clearSecret(kind: PlatformSecret): Promise<void> {
    await this.secrets.delete(SECRET_KEYS[kind]);
    this.cached = undefined;
    this._onDidChange.fire();
  }

  private async secret(kind: PlatformSecret): Promise<string | undefined> {
    return (await this.secrets.get(SECRET_KEYS[kind])) || process.env[SECRET_ENVIRONMENT[kind]]?.trim() || undefined;
  }

  /** The platform client's configuration, or why there is none yet (a missing key). */
  async resolve(settings: ProviderSettings = this.settings()): Promise<PlatformResolution> {
    switch (settings.provider) {
      case 'anthropic':
        return { ok: false, message: 'The Anthropic API uses the API key, not a platform client.' };
      case 'bedrock': {
        const common = { provider: 'bedrock' as const, region: settings.region, baseURL: settings.baseUrl || undefined };
        if (settings.authentication === 'apiKey') {
          const apiKey = await this.secret('bedrockApiKey');
          return apiKey
            ? { ok: true, config: { ...common, auth: { kind: 'bedrockApiKey', apiKey } } }
            : { ok: false, message: 'No Bedrock API key is set. Run “Marathon: Select Provider” to enter one, or set AWS_BEARER_TOKEN_BEDROCK.' };
        }
        return { ok: true, config: { ...common, auth: { kind: 'awsChain', profile: settings.profile || undefined } } };
      }
      case 'vertex':
        return {
          ok: true,
          config: { provider: 'vertex', region: settings.region, projectId: settings.projectId || undefined, baseURL: settings.baseUrl || undefined, auth: { kind: 'googleAdc' } },
        };
      case 'foundry': {
        const where = { resource: settings.resource || undefined, baseURL: settings.baseUrl || undefined };
        if (settings.authentication === 'entraId') {
          return { ok: true, config: { provider: 'foundry', ...where, auth: { kind: 'entraId' } } };
        }
        const apiKey = await this.secret('foundryApiKey');
        return apiKey
          ? { ok: true, config: { provider: 'foundry', ...where, auth: { kind: 'foundryApiKey', apiKey } } }
          : { ok: false, message: 'No Foundry API key is set. Run “Marathon: Select Provider” to enter one, or choose Microsoft Entra ID sign-in.' };
      }
    }
  }

  /** One client per configuration, so its connections are reused from turn to turn. */
  async client(): Promise<MessagesClient> {
    const resolution = await this.resolve();
    if (!resolution.ok) {
      throw new Error(resolution.message);
    }
    const key = JSON.stringify(resolution.config);
    if (this.cached?.key !== key) {
      const { createPlatformClient } = await loadEngine();
      const client = createPlatformClient(resolution.config);
      this.cached = { key, client };
      this.logger.info(`[Provider] ${PROVIDER_LABELS[resolution.config.provider]} client created (${regionOf(this.settings()) ?? 'default endpoint'})`);
      // A client that could not be built (no credentials yet) is built again on the next turn.
      client.catch(() => {
        if (this.cached?.client === client) {
          this.cached = undefined;
        }
      });
    }
    return this.cached.client;
  }

  /** The per-platform table (platforms have no Models API in their clients); the Anthropic API asks its Models API. */
  capability(settings: ProviderSettings = this.settings()): CompactionCapability {
    return tableCapability(settings.provider, settings.model);
  }

  /** Server-side clearing of tool results and thinking on this platform (the table; see its sources). */
  contextEditing(settings: ProviderSettings = this.settings()): ContextEditingCapability | undefined {
    return settings.provider === 'anthropic' ? undefined : tableContextEditing(settings.provider, settings.model);
  }

  /** The model's price on this platform, merged into the user's `marathon.pricing` overrides. */
  prices(overrides: Readonly<Record<string, ModelPrice>>, settings: ProviderSettings = this.settings()): Record<string, ModelPrice> {
    if (settings.provider === 'anthropic') {
      return { ...overrides };
    }
    return { ...overrides, [settings.model]: platformPrice(settings.provider, settings.model, regionOf(settings), overrides) };
  }

  info(settings: ProviderSettings = this.settings()): ProviderInfo {
    return { id: settings.provider, label: PROVIDER_LABELS[settings.provider], region: regionOf(settings), credentials: credentialsLabel(settings) };
  }

  /** Settings changed: the next turn builds a client for the new configuration. */
  invalidate(): void {
    this.cached = undefined;
  }

  dispose(): void {
    this._onDidChange.dispose();
  }
}

function credentialsLabel(settings: ProviderSettings): string | undefined {
  switch (settings.provider) {
    case 'anthropic':
      return undefined;
    case 'bedrock':
      return settings.authentication === 'apiKey' ? 'a Bedrock API key' : settings.profile ? `the AWS profile “${settings.profile}”` : 'your AWS credentials';
    case 'vertex':
      return 'Google Application Default Credentials';
    case 'foundry':
      return settings.authentication === 'entraId' ? 'Microsoft Entra ID' : 'a Foundry API key';
  }
}

export function isPlatform(provider: ProviderId): provider is Exclude<ProviderId, 'anthropic'> {
  return provider !== 'anthropic';
}
