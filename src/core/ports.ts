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

/** One tool call the model made (a tool_use block). */
export interface ToolCall {
  id: string;
  name: string;
  input: unknown;
}

/** A block of a tool_result's content (an MCP tool may return images next to text). */
export type ToolResultBlock =
  | { type: 'text'; text: string }
  | { type: 'image'; source: { type: 'base64'; media_type: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp'; data: string } };

/** How a call ended; `content` is what the model gets back as the tool_result. */
export interface ToolOutcome {
  status: 'done' | 'refused' | 'failed' | 'stopped';
  content: string | ToolResultBlock[];
  /** Time the call ran, from approval to result. */
  durationMs?: number;
}

export interface ToolRunContext {
  conversationId: string;
  /** The assistant record that made the calls; checkpoints of edits are filed under it. */
  messageId: string;
  /** Stop: cancels approvals still pending and kills running commands. */
  signal: AbortSignal;
  /** A call now waits for the user, or started running; `cwd` is the resolved working folder of a command. */
  report(toolUseId: string, status: 'awaitingApproval' | 'running', details?: { cwd?: string }): void;
}

/** A tool the host offers besides Marathon's own, in the API's `tools` shape. */
export interface ExternalToolDefinition {
  name: string;
  description: string;
  input_schema: { type: 'object'; [key: string]: unknown };
}

/**
 * Runs Agent mode's tools for the core. The host asks for approval where needed, confines paths to the
 * workspace and never throws for a tool's own failure: that is an outcome the model reads.
 */
export interface ToolHost {
  /** Names of the tools offered to the model now (Restricted Mode offers read-only tools only). */
  availableTools(): string[];
  /**
   * Definitions of the tools offered besides Marathon's own (the MCP servers' tools), as sent in `tools`;
   * their calls go to `run` as they are, and a call of a name no longer here is answered with an error.
   */
  externalTools?(): ExternalToolDefinition[];
  /** Runs the calls of one answer and returns one outcome per call, in the same order. */
  run(calls: readonly ToolCall[], context: ToolRunContext): Promise<ToolOutcome[]>;
}
