// The API key lives in SecretStorage, else in ANTHROPIC_API_KEY; never in settings, logs or the webview.
import * as vscode from 'vscode';
import { Disposable } from './disposable';
import type { BackendInfo } from '../shared/protocol';

const SECRET_KEY = 'marathon.anthropicApiKey';

export interface Credentials {
  apiKey: string;
  baseURL?: string;
  backend: BackendInfo;
}

export class ApiKeyStore extends Disposable {
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly secrets: vscode.SecretStorage) {
    super();
  }

  async set(key: string): Promise<void> {
    await this.secrets.store(SECRET_KEY, key);
    this._onDidChange.fire();
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_KEY);
    this._onDidChange.fire();
  }

  /**
   * Resolves what the next request uses. Without any key, `MARATHON_DEMO_URL` (set by `npm start`
   * and the tests) selects the bundled emulator, clearly labelled as a demo backend.
   */
  async resolve(apiBaseUrl: string): Promise<Credentials | undefined> {
    const stored = await this.secrets.get(SECRET_KEY);
    if (stored) {
      return { apiKey: stored, baseURL: apiBaseUrl || undefined, backend: { kind: 'api', keySource: 'secretStorage', baseUrl: apiBaseUrl || undefined } };
    }
    const fromEnvironment = process.env.ANTHROPIC_API_KEY;
    if (fromEnvironment) {
      return { apiKey: fromEnvironment, baseURL: apiBaseUrl || undefined, backend: { kind: 'api', keySource: 'environment', baseUrl: apiBaseUrl || undefined } };
    }
    const demoUrl = process.env.MARATHON_DEMO_URL;
    if (demoUrl) {
      return { apiKey: 'demo-key', baseURL: demoUrl, backend: { kind: 'demo', baseUrl: demoUrl } };
    }
    return undefined;
  }
}
