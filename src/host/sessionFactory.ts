// Opens a conversation's session with everything it needs from the host: the backend's client, the
// settings of each turn (read once per turn), the system prompt, agent tools and pinned files.
import type { Logger } from '../core/ports';
import type { ConversationSession } from '../core/session';
import type { JsonlConversationStore } from '../core/store';
import type { AgentMode } from './agent/agentMode';
import type { Backend } from './backend/backend';
import { readSessionSettings, readSettings } from './config';
import type { ContextService } from './context/service';
import { loadEngine } from './engineLoader';
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
      client: () => this.deps.backend.client(id),
      prepare: () => this.deps.backend.prepare(),
      // On a cloud platform the turn takes the platform's model, compaction and prices.
      settings: () => this.deps.backend.adapt(readSessionSettings(this.deps.backend.models, this.deps.agent !== undefined), readSettings().settings.prices),
      systemPrompt: buildSystemPrompt,
      tools: this.deps.agent?.tools,
      pinnedBlocks: () => this.deps.workspaceContext?.pinnedBlocks(id) ?? Promise.resolve([]),
      logger: this.deps.logger,
      retry: retryPolicyFromEnvironment(),
      idleTimeoutMs: Number(process.env.MARATHON_IDLE_TIMEOUT_MS) || undefined,
      unreachable: () => this.deps.backend.unreachable(),
    });
  }
}

/** Tests shorten the backoff through the environment; users get the defaults. */
function retryPolicyFromEnvironment(): { baseDelayMs?: number; maxRetries?: number } | undefined {
  const base = Number(process.env.MARATHON_RETRY_BASE_MS);
  return Number.isFinite(base) && base > 0 ? { baseDelayMs: base } : undefined;
}
