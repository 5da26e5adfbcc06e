// The backend the next request goes to: resolves the credentials, hands out one client per key and
// endpoint (so connections are reused from turn to turn) and knows what each model can do.
import type { Logger } from '../../core/ports';
import type { MessagesClient } from '../../core/session';
import type { BackendInfo } from '../../shared/protocol';
import type { ApiKeyStore, Credentials } from '../apiKey';
import { readSettings } from '../config';
import { createAnthropicClient } from './anthropic';
import { ModelCapabilities } from './models';

export class Backend {
  readonly models: ModelCapabilities;
  private cachedClient: { key: string; client: Promise<MessagesClient> } | undefined;

  constructor(
    private readonly keys: ApiKeyStore,
    logger: Logger,
    /** Called once when a model turns out not to support compaction. */
    onCompactionUnsupported: (model: string) => void,
  ) {
    this.models = new ModelCapabilities(logger, onCompactionUnsupported);
  }

  /** What the next request uses, or undefined when no key is set anywhere. */
  credentials(): Promise<Credentials | undefined> {
    return this.keys.resolve(readSettings().settings.apiBaseUrl);
  }

  /** What the header shows about the backend. */
  async info(): Promise<BackendInfo> {
    return (await this.credentials())?.backend ?? { kind: 'none' };
  }

  /** The client for the current key and endpoint; starts learning the current model's window. */
  async client(): Promise<MessagesClient> {
    const credentials = await this.credentials();
    if (!credentials) {
      throw new Error('No API key is set. Run “Marathon: Set API Key”.');
    }
    const cacheKey = `${credentials.baseURL ?? ''}\n${credentials.apiKey}`;
    if (this.cachedClient?.key !== cacheKey) {
      this.cachedClient = { key: cacheKey, client: createAnthropicClient(credentials) };
    }
    const client = await this.cachedClient.client;
    void this.models.probe(client, readSettings().settings.model);
    return client;
  }
}
