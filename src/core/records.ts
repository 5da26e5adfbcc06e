// Records of a conversation file. One JSON object per line, appended, never rewritten.
// `v` versions the record shape so that later releases can read older files.
import type { AssistantStatus, AttachmentSummary, CompactionMode, ErrorKind, ToolStatus } from '../shared/protocol';

/**
 * A content block exactly as the API returned it or as Marathon sent it. Kept as plain JSON so that
 * compaction blocks round-trip byte for byte (same keys, `signature`, `tool_changes`).
 */
export type StoredBlock = { type: string } & { [key: string]: unknown };

/** How one tool call ended, for its card; the tool_result block holds what the model got. */
export interface ToolRun {
  toolUseId: string;
  status: Extract<ToolStatus, 'done' | 'refused' | 'failed' | 'stopped' | 'interrupted'>;
  durationMs?: number;
}

export interface UsageFigures {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Tokens spent by compaction iterations (input + output), billed but not in the context. */
  compactionInputTokens: number;
  compactionOutputTokens: number;
  /** The parts of `compactionInputTokens` read from and written to the prompt cache (priced as such). */
  compactionCacheReadTokens?: number;
  compactionCacheWriteTokens?: number;
  /** Size of the context after this turn (last `message` iteration; input + caches + output). */
  contextTokens: number;
  /** Reasoning tokens among `outputTokens` (`output_tokens_details.thinking_tokens`). */
  thinkingTokens?: number;
}

/** One entry of `context_management.applied_edits`, as the API sends it. */
export interface AppliedEdit {
  type: string;
  cleared_tool_uses?: number;
  cleared_thinking_turns?: number;
  cleared_input_tokens?: number;
}

export interface ContextManagementResponse {
  applied_edits: AppliedEdit[];
}

/** A tool result the server cleared from the model's context, with the input tokens that freed. */
export interface ClearedToolResult {
  toolUseId: string;
  tokens: number;
}

export type ConversationRecord =
  | {
      v: 1;
      kind: 'user';
      id: string;
      at: number;
      /** Attachment blocks first, then the typed text as the last block. */
      content: StoredBlock[];
      attachments?: AttachmentSummary[];
      /** Set when this message replaces an earlier one (edit and resend); that one and its answers are dropped. */
      replaces?: string;
      /** Set when this message answers tool calls: its content is their tool_result blocks. */
      toolRuns?: ToolRun[];
    }
  | {
      v: 1;
      kind: 'assistant';
      id: string;
      at: number;
      /** The whole response content, compaction blocks included, as received. */
      content: StoredBlock[];
      stopReason: string | null;
      status: Exclude<AssistantStatus, 'streaming'>;
      model: string;
      usage?: UsageFigures;
      /** How long the answer thought before its first visible output, as measured here. */
      thinkingMs?: number;
      /** The answer's `context_management` (what the server's context editing cleared), as received. */
      contextManagement?: ContextManagementResponse;
      /** Tool results this answer's request cleared for the first time: the model no longer sees them. */
      clearedToolResults?: ClearedToolResult[];
    }
  | {
      v: 1;
      kind: 'compaction';
      id: string;
      at: number;
      compactionKind: 'threshold' | 'onDemand' | 'trim';
      /** For `trim`: the records no longer sent. */
      droppedIds?: string[];
      /** The signed on-demand block; threshold blocks live in their assistant record. */
      block?: StoredBlock;
      failed: boolean;
      summary: string | null;
      coveredMessages: number;
      /** Ids of the user and assistant records put back verbatim after a threshold compaction. */
      putBack?: string[];
      /** Fresh copies of pinned files sent right after this compaction. */
      pinned?: StoredBlock[];
      /** The turn waited for the user's Continue after this compaction (mode `pause`). */
      paused?: boolean;
      tokensBefore?: number;
      tokensAfter?: number;
      costUsd?: number;
      /** An on-demand compaction's own usage and model, as billed (threshold ones bill in their answer). */
      usage?: UsageFigures;
      model?: string;
      /** The platform that made the summary (`SessionSettings.provider`); absent: the Anthropic API. */
      provider?: string;
    }
  | { v: 1; kind: 'error'; id: string; at: number; errorKind: ErrorKind; message: string; retryable: boolean }
  | { v: 1; kind: 'title'; at: number; title: string }
  | { v: 1; kind: 'settings'; at: number; compactionMode: CompactionMode };

export function isConversationRecord(value: unknown): value is ConversationRecord {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const record = value as { v?: unknown; kind?: unknown; at?: unknown };
  return (
    record.v === 1 &&
    typeof record.at === 'number' &&
    (record.kind === 'user' ||
      record.kind === 'assistant' ||
      record.kind === 'compaction' ||
      record.kind === 'error' ||
      record.kind === 'title' ||
      record.kind === 'settings')
  );
}

/** A user record that carries tool results rather than something the user typed. */
export function isToolResultRecord(record: ConversationRecord): boolean {
  return record.kind === 'user' && record.content.some((block) => block.type === 'tool_result');
}

/** The text of a tool_result block's content (a string, or text blocks). */
export function toolResultText(block: StoredBlock): string {
  const content = block.content;
  if (typeof content === 'string') {
    return content;
  }
  return Array.isArray(content) ? textOf(content.filter((inner): inner is StoredBlock => typeof inner === 'object' && inner !== null && 'type' in inner)) : '';
}

/** What the user typed: the last text block of a user message (attachments come before it). */
export function typedText(content: readonly StoredBlock[]): string {
  const last = content.at(-1);
  return last?.type === 'text' && typeof last.text === 'string' ? last.text : '';
}

/** Plain text of a list of blocks, for display, titles and search. */
export function textOf(content: readonly StoredBlock[]): string {
  return content
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('');
}
