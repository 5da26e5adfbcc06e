// The conversations as a list: the views' switch, rename, delete, export, older items and search
// messages, the quick pick and Export command of the palette, and the list as the views show it.
import { assertNever, type ConversationSummary, type ToHost } from '../shared/protocol';
import type { ConversationLifecycle } from './conversationLifecycle';
import { showConversationPicker } from './conversationPicker';
import { loadEngine } from './engineLoader';
import { openTranscript } from './export';
import type { ViewHub } from './viewHub';

export type ConversationMessage = Extract<
  ToHost,
  { type: 'conversation/new' | 'conversation/switch' | 'conversation/rename' | 'conversation/delete' | 'conversation/export' | 'timeline/loadOlder' | 'search/query' }
>;

export interface ConversationMessagesDeps {
  conversations: ConversationLifecycle;
  views: ViewHub;
  /** Who answers in an export: Claude, or the demo backend. */
  speaker: () => Promise<string>;
}

export class ConversationMessages {
  constructor(private readonly deps: ConversationMessagesDeps) {}

  async handle(message: ConversationMessage): Promise<void> {
    const { conversations, views } = this.deps;
    switch (message.type) {
      case 'conversation/new':
        await conversations.newConversation();
        return;
      case 'conversation/switch':
        await conversations.switchTo(message.id, message.focusItemId);
        return;
      case 'conversation/rename':
        await this.rename(message.id, message.title.trim() || 'Untitled');
        return;
      case 'conversation/delete':
        await conversations.delete(message.id);
        return;
      case 'conversation/export':
        await this.exportConversation();
        return;
      case 'timeline/loadOlder': {
        const session = await conversations.activeSession();
        if (session.id === message.conversationId) {
          const { items, hasOlder } = await session.olderItems(message.beforeId);
          views.broadcast({ type: 'timeline/older', conversationId: session.id, items, hasOlder });
        }
        return;
      }
      case 'search/query': {
        const { searchTranscripts } = await loadEngine();
        views.broadcast({ type: 'search/results', query: message.query, hits: await searchTranscripts(await conversations.getStore(), message.query) });
        return;
      }
      default:
        assertNever(message);
    }
  }

  /** Opens the whole transcript as Markdown in an editor, from where the user can save it. */
  async exportConversation(): Promise<void> {
    const session = await this.deps.conversations.activeSession();
    const store = await this.deps.conversations.getStore();
    const title = (await store.list()).find((entry) => entry.id === session.id)?.title ?? 'Conversation';
    await openTranscript({ title, records: await store.readAll(session.id), speaker: await this.deps.speaker() });
  }

  /** Quick pick over all conversations: switch, rename or delete. */
  async showConversations(): Promise<void> {
    const { conversations } = this.deps;
    const store = await conversations.getStore();
    await showConversationPicker({
      list: () => store.list(),
      activeId: () => conversations.current?.id,
      switchTo: (id) => conversations.switchTo(id),
      rename: (id, title) => this.rename(id, title),
      delete: (id) => conversations.delete(id),
    });
  }

  /** Tells the views the list of conversations and the open one's title. */
  async postList(): Promise<void> {
    const list = await (await this.deps.conversations.getStore()).list();
    const activeTitle = list.find((entry) => entry.id === this.deps.conversations.current?.id)?.title ?? 'New conversation';
    this.deps.views.broadcast({ type: 'conversations/didChange', conversations: list.map(toSummary), activeTitle });
  }

  private async rename(id: string, title: string): Promise<void> {
    await (await this.deps.conversations.getStore()).rename(id, title);
    await this.postList();
  }
}

/** A conversation as the views list it (the store's entry may carry more). */
export function toSummary(entry: ConversationSummary): ConversationSummary {
  return { id: entry.id, title: entry.title, createdAt: entry.createdAt, updatedAt: entry.updatedAt, messageCount: entry.messageCount };
}
