// Maps stored records to what the chat view shows. Records the user never sees map to nothing.
import type { TimelineItem, ToolStatus } from '../shared/protocol';
import { isToolResultRecord, textOf, toolResultText, typedText, type ConversationRecord, type StoredBlock } from './records';
import { thinkingView } from './thinkingBlocks';
import { clip, describeToolCall, isToolName, toolKind } from './agentTools';

export type ToolItem = Extract<TimelineItem, { kind: 'tool' }>;

/** Characters of a tool result shown in its card; the model gets the whole result. */
const TOOL_RESULT_DISPLAY_CHARS = 4000;

/** The card of one tool_use block, before anything is known of how it ran. */
export function toolItem(block: StoredBlock, messageId: string, at: number, status: ToolStatus): ToolItem {
  const name = typeof block.name === 'string' ? block.name : 'unknown';
  const { title, detail } = describeToolCall(name, block.input);
  const input = typeof block.input === 'object' && block.input !== null ? (block.input as Record<string, unknown>) : {};
  return {
    kind: 'tool',
    id: typeof block.id === 'string' ? block.id : '',
    at,
    messageId,
    name,
    toolKind: isToolName(name) ? toolKind(name) : name.includes('__') ? 'mcp' : 'read',
    title,
    detail,
    cwd: name === 'run_command' ? (typeof input.cwd === 'string' && input.cwd.trim() !== '' ? input.cwd : '.') : undefined,
    status,
  };
}

/** The result part of a card, from a tool_result block. */
export function withToolResult(item: ToolItem, block: StoredBlock, status: ToolStatus, durationMs?: number): ToolItem {
  return { ...item, status, result: clip(toolResultText(block), TOOL_RESULT_DISPLAY_CHARS), durationMs };
}

/** The answer's own item (its text), even when it holds only tool calls; the live view needs it. */
export function assistantItem(record: Extract<ConversationRecord, { kind: 'assistant' }>): Extract<TimelineItem, { kind: 'assistant' }> {
  const calls = toolUses(record.content).length;
  const thinking = thinkingOfRecord(record);
  return { kind: 'assistant', id: record.id, at: record.at, text: textOf(record.content), status: record.status, model: record.model, toolCalls: calls > 0 ? calls : undefined, ...(thinking ? { thinking } : {}) };
}

function thinkingOfRecord(record: Extract<ConversationRecord, { kind: 'assistant' }>): ReturnType<typeof thinkingView> {
  return thinkingView(record.content, record.usage?.thinkingTokens, record.thinkingMs);
}

/** Thinking worth a bubble of its own (readable, redacted or progress updates; hidden reasoning alone is not). */
function showsThinking(view: ReturnType<typeof thinkingView>): boolean {
  return view !== undefined && (view.text !== '' || view.redacted > 0 || view.updates.length > 0);
}

function toolUses(content: readonly StoredBlock[]): StoredBlock[] {
  return content.filter((block) => block.type === 'tool_use');
}

export function timelineItem(record: ConversationRecord): TimelineItem[] {
  switch (record.kind) {
    case 'user':
      if (isToolResultRecord(record)) {
        // Results update the cards of their calls (see timelineItems); alone they show nothing.
        return [];
      }
      return [{ kind: 'user', id: record.id, at: record.at, text: typedText(record.content), attachments: record.attachments }];
    case 'assistant': {
      const text = textOf(record.content);
      const calls = toolUses(record.content);
      const thinking = thinkingOfRecord(record);
      if (calls.length > 0) {
        const cards = calls.map((block) => toolItem(block, record.id, record.at, 'interrupted'));
        return text.trim().length === 0 && record.status === 'done' && !showsThinking(thinking)
          ? cards
          : [{ kind: 'assistant', id: record.id, at: record.at, text, status: record.status, model: record.model, toolCalls: calls.length, ...(thinking ? { thinking } : {}) }, ...cards];
      }
      // A paused compaction's response holds only the block; its marker record shows it.
      if (text.length === 0 && record.status === 'done' && record.content.every((block) => block.type === 'compaction')) {
        return [];
      }
      return [{ kind: 'assistant', id: record.id, at: record.at, text, status: record.status, model: record.model, ...(thinking ? { thinking } : {}) }];
    }
    case 'compaction':
      return [
        {
          kind: 'compaction',
          id: record.id,
          at: record.at,
          compactionKind: record.compactionKind,
          failed: record.failed,
          summary: record.summary,
          coveredMessages: record.coveredMessages,
          tokensBefore: record.tokensBefore,
          tokensAfter: record.tokensAfter,
          costUsd: record.costUsd,
          paused: record.paused,
          putBack: record.putBack !== undefined && record.putBack.length > 0 ? record.putBack : undefined,
          pinnedCount: record.pinned !== undefined && record.pinned.length > 0 ? record.pinned.length : undefined,
        },
      ];
    case 'error':
      return [{ kind: 'error', id: record.id, at: record.at, errorKind: record.errorKind, message: record.message, retryable: record.retryable }];
    case 'title':
    case 'settings':
      return [];
  }
}

/**
 * Timeline items of records, oldest first, leaving out messages replaced by an edit and their answers.
 * Tool results complete the cards of the calls they answer.
 */
export function timelineItems(records: readonly ConversationRecord[]): TimelineItem[] {
  const items: TimelineItem[] = [];
  for (const record of records) {
    if (record.kind === 'assistant' && record.status === 'done') {
      dropAnsweredErrors(items);
    }
    if (record.kind === 'user' && record.replaces) {
      const index = items.findIndex((item) => item.id === record.replaces);
      if (index >= 0) {
        items.length = index;
      }
    }
    if (record.kind === 'user' && isToolResultRecord(record)) {
      for (const block of record.content) {
        const index = block.type === 'tool_result' ? items.findIndex((item) => item.kind === 'tool' && item.id === block.tool_use_id) : -1;
        const card = items[index];
        if (card?.kind === 'tool') {
          const run = record.toolRuns?.find((candidate) => candidate.toolUseId === card.id);
          items[index] = withToolResult(card, block, run?.status ?? (block.is_error === true ? 'failed' : 'done'), run?.durationMs);
        }
      }
    }
    if (record.kind === 'assistant' && record.clearedToolResults) {
      // The server cleared these results from the model's context with this answer's request.
      for (const { toolUseId, tokens } of record.clearedToolResults) {
        const index = items.findIndex((item) => item.kind === 'tool' && item.id === toolUseId);
        const card = items[index];
        if (card?.kind === 'tool') {
          items[index] = { ...card, clearedTokens: tokens };
        }
      }
    }
    items.push(...timelineItem(record));
  }
  return items;
}

/** A Retry that got its answer settles the error cards of its turn (those after the last user message). */
function dropAnsweredErrors(items: TimelineItem[]): void {
  for (let index = items.length - 1; index >= 0; index--) {
    const item = items[index];
    if (item === undefined || item.kind === 'user') {
      return;
    }
    if (item.kind === 'error') {
      items.splice(index, 1);
    }
  }
}
