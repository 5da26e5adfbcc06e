// What a turn that could not reach its endpoint tells the user: the advice depends on what serves the
// turn (the demo backend is not the API). Free of the SDK, so the host can use it during activation.

/** What a failed connection says when the host names no endpoint: the Anthropic API, maybe through a base URL. */
export const DEFAULT_UNREACHABLE = 'Could not reach the API. Check your network and the API base URL setting (marathon.apiBaseUrl).';

/** What served a turn, as far as a failed connection's advice goes. */
export interface TurnEndpoint {
  kind: 'demo' | 'api' | 'platform';
  baseUrl?: string;
}

/** The sentence for an endpoint that could not be reached, with what to check there. */
export function unreachableMessage(endpoint: TurnEndpoint): string {
  switch (endpoint.kind) {
    case 'demo':
      // The demo emulator lives and dies with the process that started it (npm start, the tests).
      return `Could not reach the demo backend${endpoint.baseUrl ? ` at ${endpoint.baseUrl}` : ''}, the emulator that npm start runs. Restart npm start, or set an API key (Marathon: Set API Key) to use Claude.`;
    case 'platform':
      return 'Could not reach the cloud platform. Check your network and the provider settings (Marathon: Select Provider).';
    case 'api':
      return endpoint.baseUrl
        ? `Could not reach the API at ${endpoint.baseUrl}. Check your network and the API base URL setting (marathon.apiBaseUrl).`
        : DEFAULT_UNREACHABLE;
  }
}
