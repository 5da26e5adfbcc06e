// The leaf context handed to every piece of a turn (settings snapshot, abort signal, history, emit,
// persist), so that no piece calls back into the session.
import type Anthropic from '@anthropic-ai/sdk';
import type { ContextMeter, TimelineItem } from '../../shared/protocol';
import type { ApiMessage, RequestHistory } from '../requestHistory';
import type { Logger, ToolHost } from '../ports';
import type { ClearedToolResult, ConversationRecord } from '../records';
import type { ToolItem } from '../timeline';
import { requestThinking, type RequestSource } from './request';
import type { SettingsSnapshot } from './settingsSnapshot';
import type { UsageTotals } from './totals';

export type MessagesClient = Pick<Anthropic, 'beta'>;

export type SessionEvent =
  | { type: 'turnStarted'; user?: TimelineItem; assistantId: string; replacesId?: string }
  | { type: 'textDelta'; assistantId: string; text: string }
  | { type: 'thinkingDelta'; assistantId: string; part: 'reasoning' | 'update' | 'redacted'; text: string; start: boolean }
  | { type: 'item'; item: TimelineItem }
  | { type: 'turnFinished'; item: TimelineItem }
  | { type: 'turnFailed'; error: TimelineItem; draft?: string }
  | { type: 'usage'; meter: ContextMeter }
  | { type: 'generating'; generating: boolean }
  | { type: 'notice'; level: 'info' | 'warning'; message: string }
  | { type: 'retrying'; attempt: number; delayMs: number; reason: string }
  | { type: 'tool'; item: ToolItem }
  /** The server cleared these tool results from the model's context (the full history keeps them). */
  | { type: 'toolsCleared'; cleared: ClearedToolResult[] };

export type AssistantRecord = Extract<ConversationRecord, { kind: 'assistant' }>;
export type CompactionRecord = Extract<ConversationRecord, { kind: 'compaction' }>;

export interface TurnContext {
  readonly conversationId: string;
  readonly settings: SettingsSnapshot;
  readonly signal: AbortSignal;
  /** The request state; loaded before the context is made, and changed only through its methods. */
  readonly history: RequestHistory;
  readonly usage: UsageTotals;
  readonly logger: Logger;
  /** Runs Agent mode's tools; absent, every mode is plain chat. */
  readonly tools?: ToolHost;
  systemPrompt(): Promise<string>;
  emit(event: SessionEvent): void;
  /** Appends a record to the conversation file (and the view's tail) before anything acts on it. */
  persist(record: ConversationRecord): Promise<void>;
}

/** The `usage` event for the meter as it stands now. */
export function usageEvent(ctx: Pick<TurnContext, 'usage' | 'settings'>): SessionEvent {
  return { type: 'usage', meter: ctx.usage.meter(ctx.settings) };
}

/** Tools Agent mode offers now; undefined when Agent mode is off (Ask mode, or no tool host). */
export function agentTools(ctx: Pick<TurnContext, 'settings' | 'tools'>): string[] | undefined {
  return agentActive(ctx) ? ctx.tools.availableTools() : undefined;
}

/** Agent mode is on and a tool host runs its calls. */
export function agentActive(ctx: Pick<TurnContext, 'settings' | 'tools'>): ctx is Pick<TurnContext, 'settings'> & { tools: NonNullable<TurnContext['tools']> } {
  return ctx.settings.chatMode === 'agent' && ctx.tools !== undefined;
}

/** What every request of the turn is built from, read now. */
export async function requestSource(ctx: TurnContext): Promise<RequestSource> {
  const external = agentActive(ctx) ? ctx.tools.externalTools?.() : undefined;
  return { settings: ctx.settings, system: await ctx.systemPrompt(), messages: sentMessages(ctx), agentTools: agentTools(ctx), externalTools: external };
}

/**
 * Manual (budget) thinking runs on models without the prefix check, whose last tool round must open
 * with its thinking: blocks that no longer verify stay in there (thinking reference §3.4).
 */
export function keepsUnboundThinking(settings: SettingsSnapshot): boolean {
  return requestThinking(settings)?.mode === 'budget';
}

/** The history's messages as the next request carries them (what every estimate must measure). */
export function sentMessages(ctx: Pick<TurnContext, 'history' | 'settings'>): ApiMessage[] {
  return ctx.history.toMessages(keepsUnboundThinking(ctx.settings));
}

let idCounter = 0;
export function newRecordId(prefix: string): string {
  idCounter = (idCounter + 1) % 1_000_000;
  return `${prefix}-${Date.now().toString(36)}-${idCounter.toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}
