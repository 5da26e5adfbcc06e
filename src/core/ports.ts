// Narrow ports through which the pure core reaches the outside world. The host implements them with
// VS Code APIs; tests use in-memory or temp-folder implementations.
import type { ConversationRecord } from './records';

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string | Error): void;
}

/** A logger that drops everything; for tests and for code paths that run before the host is wired. */
export const silentLogger: Logger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface ConversationIndexEntry {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

export interface ConversationStore {
  /** Conversations, most recently updated first. */
  list(): Promise<ConversationIndexEntry[]>;
  create(title?: string): Promise<ConversationIndexEntry>;
  append(id: string, record: ConversationRecord): Promise<void>;
  /** The last `count` records, oldest first, without parsing the whole file. */
  readTail(id: string, count: number): Promise<ConversationRecord[]>;
  /** Every record, oldest first. */
  readAll(id: string): Promise<ConversationRecord[]>;
  rename(id: string, title: string): Promise<void>;
  delete(id: string): Promise<void>;
}
