// Opens a conversation's session with everything it needs from the host: the backend's client, the
// settings of each turn, the system prompt, agent tools and pinned files.
import type { Logger } from '../core/ports';
import type { ConversationSession, SessionSettings } from '../core/session';
import type { JsonlConversationStore } from '../core/store';
import type { AgentMode } from './agent';
import type { Backend } from './backend/backend';
import { readAgentSettings, readSettings, type MarathonSettings } from './config';
import type { ContextService } from './context/service';
import { loadEngine } from './engine';
import { buildSystemPrompt } from './systemPrompt';

export interface SessionFactoryDeps {
  backend: Backend;
  logger: Logger;
  workspaceContext?: ContextService;
  agent?: AgentMode;
}

export class SessionFactory {
  constructor(private readonly deps: SessionFactoryDeps) {}

  async open(store: JsonlConversationStore, id: string): Promise<ConversationSession> {
    const { ConversationSession } = await loadEngine();
    return ConversationSession.open({
      store,
      conversationId: id,
      client: () => this.deps.backend.client(),
      settings: () => this.settings(),
      systemPrompt: buildSystemPrompt,
      tools: this.deps.agent?.tools,
      pinnedBlocks: () => this.deps.workspaceContext?.pinnedBlocks(id) ?? Promise.resolve([]),
      logger: this.deps.logger,
      retry: retryPolicyFromEnvironment(),
      idleTimeoutMs: Number(process.env.MARATHON_IDLE_TIMEOUT_MS) || undefined,
    });
  }

  private settings(): SessionSettings {
    const settings: MarathonSettings = readSettings().settings;
    const models = this.deps.backend.models;
    return {
      model: settings.model,
      maxTokens: settings.maxTokens,
      triggerTokens: settings.triggerTokens,
      instructions: settings.instructions,
      mode: settings.mode,
      keepRecentTurns: settings.keepRecentTurns,
      contextWindow: models.contextWindow(settings.model),
      compactionSupported: models.compactionSupported(settings.model),
      prices: settings.prices,
      chatMode: this.deps.agent ? readAgentSettings().mode : 'ask',
      maxToolIterations: readAgentSettings().maxToolIterations,
    };
  }
}

/** Tests shorten the backoff through the environment; users get the defaults. */
function retryPolicyFromEnvironment(): { baseDelayMs?: number; maxRetries?: number } | undefined {
  const base = Number(process.env.MARATHON_RETRY_BASE_MS);
  return Number.isFinite(base) && base > 0 ? { baseDelayMs: base } : undefined;
}
