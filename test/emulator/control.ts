// Typed client of the control API, for tests that run in another process than the emulator
// (extension host, browser driver). In-process tests can use EmulatorHandle.state directly.

import type { ConfigPatch, EmulatorConfig, ExpectationResult, Fault, RecordedRequest, ScriptedReply } from './types';

export class EmulatorControl {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: 'GET' | 'POST', action: string, body?: object): Promise<T> {
    const response = await fetch(`${this.baseUrl}/_emulator/${action}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json: unknown = await response.json();
    if (!response.ok) {throw new Error(`Emulator control ${method} ${action} failed (${response.status}): ${JSON.stringify(json)}`);}
    return json as T;
  }

  async requests(): Promise<RecordedRequest[]> {
    return (await this.call<{ requests: RecordedRequest[] }>('GET', 'requests')).requests;
  }

  async reset(): Promise<void> {
    await this.call('POST', 'reset');
  }

  async configure(patch: ConfigPatch): Promise<EmulatorConfig> {
    return (await this.call<{ config: EmulatorConfig }>('POST', 'config', patch)).config;
  }

  /** Returns the whole fault queue after appending. */
  async addFaults(faults: Fault[]): Promise<Fault[]> {
    return (await this.call<{ faults: Fault[] }>('POST', 'faults', { faults })).faults;
  }

  /** What scripted replies expected of the tool results they received, in order. */
  async expectations(): Promise<ExpectationResult[]> {
    return (await this.call<{ expectations: ExpectationResult[] }>('GET', 'expectations')).expectations;
  }

  /** Returns the whole scripted-reply queue after appending. */
  async addReplies(replies: ScriptedReply[]): Promise<ScriptedReply[]> {
    return (await this.call<{ replies: ScriptedReply[] }>('POST', 'script', { replies })).replies;
  }
}
