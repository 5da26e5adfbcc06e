// The views' messages about workspace context (a picker query, attaching an item or running a `/`
// command, removing or pinning a chip), for the open conversation; and its chips as the views show them.
import { assertNever, type ToHost } from '../../shared/protocol';
import type { ViewHub } from '../viewHub';
import type { ContextService } from './service';

export type ContextMessage = Extract<ToHost, { type: 'context/query' | 'context/attach' | 'attachments/remove' | 'attachments/togglePin' }>;

export interface ContextMessagesDeps {
  context: ContextService;
  views: ViewHub;
  /** The open conversation, opening one on first use. */
  activeId: () => Promise<string>;
  /** The open conversation, if one is open already. */
  currentId: () => string | undefined;
}

export class ContextMessages {
  constructor(private readonly deps: ContextMessagesDeps) {}

  /** The @ picker and the chips above the prompt; attachments belong to the active conversation. */
  async handle(message: ContextMessage): Promise<void> {
    const { context, views } = this.deps;
    const conversationId = await this.deps.activeId();
    switch (message.type) {
      case 'context/query':
        await context.query(message.queryId, message.query, (reply) => views.broadcast(reply));
        return;
      case 'context/attach': {
        if (message.itemId.startsWith('prompt:')) {
          // A `/` command (an MCP prompt): its text fills the prompt box.
          const run = await context.runCommand(message.itemId);
          views.broadcast(run.ok ? { type: 'prompt/insert', text: run.text } : { type: 'context/attachFailed', itemId: message.itemId, message: run.message, canTruncate: false });
          return;
        }
        const result = await context.attachItem(conversationId, message.itemId, message.truncate === true);
        if (!result.ok) {
          views.broadcast({ type: 'context/attachFailed', itemId: message.itemId, message: result.problem.message, canTruncate: result.problem.canTruncate === true });
          if (result.problem.reason === 'noProblems') {
            context.whenProblemsAppear(message.itemId, () => views.broadcast({ type: 'context/attachProblemResolved', itemId: message.itemId }));
          }
        }
        return;
      }
      case 'attachments/remove':
        await context.remove(conversationId, message.id);
        return;
      case 'attachments/togglePin':
        await context.togglePin(conversationId, message.id);
        return;
      default:
        assertNever(message);
    }
  }

  /** Tells the views which attachments wait for the active conversation's next message. */
  postChips(conversationId?: string): void {
    const activeId = this.deps.currentId();
    const id = conversationId ?? activeId;
    if (id === undefined || id !== activeId) {
      return;
    }
    this.deps.views.broadcast({ type: 'attachments/didChange', conversationId: id, chips: this.deps.context.chips(id) });
  }
}
