// Agent mode's tool loop: runs the calls of an answer through the tool host and records their results,
// answering every call (run, refused or not run) so that the next request is valid; keeps the live cards.
import type { TimelineItem } from '../../shared/protocol';
import { hasToolUse } from '../messageRules';
import type { ToolCall, ToolOutcome } from '../ports';
import type { ConversationRecord, StoredBlock, ToolRun } from '../records';
import { toolItem, withToolResult, type ToolItem } from '../timeline';
import { isToolName, validateToolInput } from '../agentTools';
import { agentActive, newRecordId, type AssistantRecord, type TurnContext } from './context';
import { describeError, loggableError } from '../errorText';

export class ToolLoop {
  /** Cards of the tool calls of the running turn, as they change; records hold them once settled. */
  private readonly liveCards = new Map<string, ToolItem>();

  /** The view's items with the live state of the running turn's cards. */
  overlay(items: TimelineItem[]): TimelineItem[] {
    return items.map((item) => (item.kind === 'tool' ? (this.liveCards.get(item.id) ?? item) : item));
  }

  /** Forgets the live cards when a turn ends. */
  clear(): void {
    this.liveCards.clear();
  }

  update(ctx: Pick<TurnContext, 'emit'>, item: ToolItem): void {
    this.liveCards.set(item.id, item);
    ctx.emit({ type: 'tool', item });
  }

  /** Shows a card per call of a stored answer, before any of them runs. */
  showCalls(ctx: Pick<TurnContext, 'emit'>, record: AssistantRecord): void {
    for (const block of record.content) {
      if (block.type === 'tool_use' && typeof block.id === 'string') {
        this.update(ctx, toolItem(block, record.id, record.at, 'pending'));
      }
    }
  }

  /**
   * Runs the calls of one answer through the tool host and records their results as one user message
   * (tool_result blocks, in call order), so every call is answered before the next request.
   */
  async runStep(ctx: TurnContext, record: AssistantRecord): Promise<'continue' | 'stopped'> {
    const { signal } = ctx;
    const blocks = record.content.filter((block) => block.type === 'tool_use');
    const calls: ToolCall[] = blocks.map((block) => ({ id: String(block.id), name: String(block.name), input: block.input }));
    const cards = new Map(blocks.map((block) => [String(block.id), toolItem(block, record.id, record.at, 'pending')]));
    const outcomes = new Map<string, ToolOutcome>();
    const host = agentActive(ctx) ? ctx.tools : undefined;
    const runnable: ToolCall[] = [];
    const offered = host?.availableTools() ?? [];
    for (const call of calls) {
      const validated = validateToolInput(call.name, call.input);
      if (host === undefined) {
        outcomes.set(call.id, { status: 'refused', content: 'Tools are off: the conversation is in Ask mode. Answer without tools.' });
      } else if (!isToolName(call.name) && offered.includes(call.name)) {
        // Another tool the host offers (an MCP server's): the host checks its input and runs it.
        runnable.push(call);
      } else if (!isToolName(call.name) && (host.externalTools !== undefined || call.name.includes('__'))) {
        outcomes.set(call.id, {
          status: 'failed',
          content: `The tool ${call.name} is not available any more (its MCP server stopped or no longer offers it), so it was not run. Use the tools offered now.`,
        });
      } else if (!validated.ok) {
        outcomes.set(call.id, { status: 'failed', content: validated.message });
      } else if (!offered.includes(call.name)) {
        outcomes.set(call.id, { status: 'refused', content: `${call.name} is not available here (edits and commands are off in Restricted Mode).` });
      } else if (signal.aborted) {
        outcomes.set(call.id, { status: 'stopped', content: 'Not run: the user stopped the turn.' });
      } else {
        runnable.push(call);
      }
    }
    if (runnable.length > 0 && host !== undefined) {
      let results: ToolOutcome[];
      try {
        results = await host.run(runnable, {
          conversationId: ctx.conversationId,
          messageId: record.id,
          signal,
          report: (toolUseId, status, details) => {
            const card = this.liveCards.get(toolUseId) ?? cards.get(toolUseId);
            if (card) {
              this.update(ctx, { ...card, status, cwd: details?.cwd ?? card.cwd });
            }
          },
        });
      } catch (error) {
        ctx.logger.error(loggableError(error));
        results = runnable.map(() => ({ status: 'failed' as const, content: `The tool failed inside Marathon: ${describeError(error)}` }));
      }
      runnable.forEach((call, index) => outcomes.set(call.id, results[index] ?? { status: 'failed', content: 'The tool returned no result.' }));
    }
    const content: StoredBlock[] = calls.map((call) => {
      const outcome = outcomes.get(call.id)!;
      const block: StoredBlock = { type: 'tool_result', tool_use_id: call.id, content: outcome.content || '(no output)' };
      if (outcome.status !== 'done') {
        block.is_error = true;
      }
      return block;
    });
    const toolRuns: ToolRun[] = calls.map((call) => {
      const outcome = outcomes.get(call.id)!;
      return { toolUseId: call.id, status: outcome.status, durationMs: outcome.durationMs };
    });
    await this.recordResults(ctx, content, toolRuns, record, cards);
    return signal.aborted || toolRuns.some((run) => run.status === 'stopped') ? 'stopped' : 'continue';
  }

  /**
   * Answers the calls of `last` (the newest answer) if the history ends with them unanswered, marking
   * them not run, so that the next request is valid.
   */
  async closeDangling(ctx: TurnContext, last: AssistantRecord | undefined, reason: string): Promise<void> {
    if (!ctx.history.endsWithToolUse || !last || !hasToolUse(last.content)) {
      return;
    }
    const calls = last.content.filter((block) => block.type === 'tool_use');
    await this.recordResults(
      ctx,
      calls.map((block) => ({ type: 'tool_result', tool_use_id: block.id, content: reason, is_error: true })),
      calls.map((block) => ({ toolUseId: String(block.id), status: 'interrupted' })),
      last,
    );
  }

  private async recordResults(ctx: TurnContext, content: StoredBlock[], toolRuns: ToolRun[], call: AssistantRecord, cards?: Map<string, ToolItem>): Promise<void> {
    const record: ConversationRecord = { v: 1, kind: 'user', id: newRecordId('t'), at: Date.now(), content, toolRuns };
    await ctx.persist(record);
    ctx.history.push(record);
    for (const block of content) {
      const id = String(block.tool_use_id);
      const card = this.liveCards.get(id) ?? cards?.get(id) ?? toolItem(call.content.find((candidate) => candidate.id === id) ?? { type: 'tool_use', id }, call.id, call.at, 'pending');
      const run = toolRuns.find((candidate) => candidate.toolUseId === id);
      this.update(ctx, withToolResult(card, block, run?.status ?? 'done', run?.durationMs));
    }
  }
}
