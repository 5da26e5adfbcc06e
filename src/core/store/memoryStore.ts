// The conversation store without I/O, for tests of other modules: the same port and the same rules.
import type { ConversationIndexEntry, ConversationStore } from '../ports';
import type { ConversationRecord } from '../records';
import { DEFAULT_TITLE, applyRecordToEntry, compareEntries, newConversationId, normalizeTitle, serializeRecord, unknownConversation, validateConversationId } from './entries';

/**
 * The same contract without I/O, for tests of other modules. Records are kept as JSON text so that
 * they behave as stored ones do: later mutation by the caller changes nothing, `undefined` drops out.
 */
export class InMemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, { entry: ConversationIndexEntry; lines: string[] }>();
  private disposed = false;

  async list(): Promise<ConversationIndexEntry[]> {
    return [...this.conversations.values()].map(({ entry }) => ({ ...entry })).sort(compareEntries);
  }

  async create(title?: string): Promise<ConversationIndexEntry> {
    this.assertNotDisposed();
    const finalTitle = title === undefined ? DEFAULT_TITLE : normalizeTitle(title);
    const at = Date.now();
    const id = newConversationId(at);
    const entry: ConversationIndexEntry = { id, title: finalTitle, createdAt: at, updatedAt: at, messageCount: 0 };
    this.conversations.set(id, { entry, lines: [serializeRecord({ v: 1, kind: 'title', at, title: finalTitle })] });
    return { ...entry };
  }

  async append(id: string, record: ConversationRecord): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    const line = serializeRecord(record);
    const conversation = this.get(id);
    conversation.lines.push(line);
    applyRecordToEntry(conversation.entry, JSON.parse(line) as ConversationRecord);
  }

  async readTail(id: string, count: number): Promise<ConversationRecord[]> {
    const { lines } = this.get(id);
    const wanted = Math.floor(count);
    if (!(wanted > 0)) {
      return [];
    }
    return lines.slice(-wanted).map((line) => JSON.parse(line) as ConversationRecord);
  }

  async readAll(id: string): Promise<ConversationRecord[]> {
    return this.get(id).lines.map((line) => JSON.parse(line) as ConversationRecord);
  }

  async rename(id: string, title: string): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    await this.append(id, { v: 1, kind: 'title', at: Date.now(), title: normalizeTitle(title) });
  }

  async delete(id: string): Promise<void> {
    this.assertNotDisposed();
    validateConversationId(id);
    this.conversations.delete(id);
  }

  async flush(): Promise<void> {
    // Nothing is pending: every call has already taken effect.
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private assertNotDisposed(): void {
    if (this.disposed) {
      throw new Error('The conversation store has been disposed');
    }
  }

  private get(id: string): { entry: ConversationIndexEntry; lines: string[] } {
    validateConversationId(id);
    const conversation = this.conversations.get(id);
    if (conversation === undefined) {
      throw unknownConversation(id);
    }
    return conversation;
  }
}
