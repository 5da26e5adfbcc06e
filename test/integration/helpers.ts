// Shared by the integration tests: the extension's API, a recording chat view, and the emulator's control API.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { MarathonApi } from '../../src/extension';
import type { ToWebview } from '../../src/shared/protocol';

export const EXTENSION_ID = 'marathon-dev.marathon';

export async function marathon(): Promise<MarathonApi> {
  const extension = vscode.extensions.getExtension<MarathonApi>(EXTENSION_ID);
  assert.ok(extension, 'Marathon is installed');
  return extension.activate();
}

export function emulatorUrl(): string {
  const url = process.env.MARATHON_DEMO_URL;
  assert.ok(url, 'MARATHON_DEMO_URL points at the emulator');
  return url;
}

export async function emulator<T = unknown>(route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${emulatorUrl()}/_emulator/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `emulator ${route}`);
  return (await response.json()) as T;
}

export interface RecordedRequest {
  path: string;
  betas: string[];
  apiKey: string;
  body: Record<string, unknown> & { messages?: Array<{ role: string; content: Array<Record<string, unknown>> }> };
}

export async function messageRequests(): Promise<RecordedRequest[]> {
  const { requests } = await emulator<{ requests: RecordedRequest[] }>('requests');
  return requests.filter((request) => request.path.startsWith('/v1/messages') && !request.path.includes('count_tokens'));
}

/** A stand-in chat view that records everything the host posts to it. */
export class RecordingView implements vscode.Disposable {
  readonly messages: ToWebview[] = [];
  private readonly attachment: vscode.Disposable;

  constructor(api: MarathonApi) {
    this.attachment = api.controller.attachView((message) => this.messages.push(message));
  }

  of<T extends ToWebview['type']>(type: T): Extract<ToWebview, { type: T }>[] {
    return this.messages.filter((message): message is Extract<ToWebview, { type: T }> => message.type === type);
  }

  clear(): void {
    this.messages.length = 0;
  }

  dispose(): void {
    this.attachment.dispose();
  }
}

export async function setConfig(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration('marathon').update(key, value, vscode.ConfigurationTarget.Global);
}
