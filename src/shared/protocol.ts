// The only contract between the extension host and the chat webview.
// Commands are imperative (`chat/send`), notifications past tense (`conversation/didChange`).
// Both sides switch on `type` and end with `assertNever`, so a new message breaks the build until handled.

export type ErrorKind =
  | 'auth'
  | 'noApiKey'
  | 'rateLimit'
  | 'overloaded'
  | 'server'
  | 'connection'
  | 'invalidRequest'
  | 'contextWindow'
  | 'compaction'
  | 'interrupted'
  | 'unknown';

export type CompactionMode = 'auto' | 'pause' | 'manual';

/** How hard the model thinks (`output_config.effort`); `default` leaves it to the model. */
export type EffortLevel = 'low' | 'medium' | 'high' | 'xhigh' | 'max';
export type EffortChoice = EffortLevel | 'default';

/** The effort switch above the prompt: the user's `marathon.effort` and what the current model takes. */
export interface EffortSetting {
  choice: EffortChoice;
  /** Levels the model takes (Models API, else the fallback table); empty: the model takes none. */
  offered: EffortLevel[];
  /** The level the model uses when none is named, when known. */
  modelDefault?: EffortLevel;
}

/** What the user sees of an attachment: never its content, which only the request carries. */
export interface AttachmentSummary {
  kind: 'file' | 'selection' | 'folder' | 'problems' | 'editors' | 'terminal' | 'gitChanges' | 'mcpResource';
  /** Workspace-relative path or a short description ("Problems in src/a.ts"). */
  label: string;
  tokens: number;
  pinned?: boolean;
  truncated?: boolean;
}

/** An attachment waiting above the prompt, or a pinned file of the conversation. */
export interface AttachmentChip extends AttachmentSummary {
  id: string;
  /** Sent with the next message; false for a pinned file that was sent already and stays pinned. */
  pending: boolean;
  /** Files can be pinned (re-read and re-sent after each compaction); other kinds cannot. */
  pinnable: boolean;
}

/** One entry of the `@` picker. `id` is opaque to the webview; the host validates it again on attach. */
export interface ContextItem {
  id: string;
  /** `mcpPrompt`: a `/` command (an MCP server's prompt), which fills the prompt box instead of attaching. */
  kind: AttachmentSummary['kind'] | 'mcpPrompt';
  label: string;
  /** Secondary text: the folder of a file, the number of problems. */
  detail?: string;
  /** Indexes of `label` characters matching the query, for highlighting. */
  matches?: number[];
}

export type BackendKind = 'api' | 'demo' | 'none';

export type ProviderKind = 'anthropic' | 'bedrock' | 'vertex' | 'foundry';

/** Which platform serves the conversation, for the header: "Amazon Bedrock · us-east-1". */
export interface ProviderInfo {
  id: ProviderKind;
  label: string;
  /** The region, location or resource; absent for the Anthropic API. */
  region?: string;
  /** How the platform signs in, in words ("AWS credentials", "a Foundry key"); never a secret. */
  credentials?: string;
}

export interface BackendInfo {
  kind: BackendKind;
  /** Where the key comes from, for the empty state; never the key itself. */
  keySource?: 'secretStorage' | 'environment';
  baseUrl?: string;
  provider?: ProviderInfo;
  /** Set when Compact Now cannot run here (the platform or model has no on-demand compaction): why. */
  compactNowUnavailable?: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  messageCount: number;
}

export interface ContextMeter {
  /** Tokens the model saw on the last turn (input + cache read + cache write + output). */
  contextTokens: number;
  triggerTokens: number;
  contextWindow: number;
  totalInputTokens: number;
  totalOutputTokens: number;
  totalCacheReadTokens: number;
  totalCacheWriteTokens: number;
  compactionTokens: number;
  costUsd: number;
  /** Reasoning tokens among the output tokens (billed as output), and what they cost. */
  totalThinkingTokens?: number;
  thinkingCostUsd?: number;
}

/** An answer's thinking as the view shows it; the blocks themselves stay in the record, as received. */
export interface ThinkingView {
  /** Readable reasoning (display `summarized`); empty when the API left it out. */
  text: string;
  /** Reasoning the API left out (display `omitted`): shown as a quiet indicator. */
  hidden: boolean;
  /** Blocks the API redacted for safety (encrypted, unreadable). */
  redacted: number;
  /** Progress updates (display `updates`): short lines written before tool calls. */
  updates: string[];
  /** Reasoning tokens of the answer (`output_tokens_details.thinking_tokens`). */
  tokens?: number;
  durationMs?: number;
}

export type AssistantStatus = 'done' | 'streaming' | 'stopped' | 'interrupted' | 'cut' | 'refused';

/** `ask`: chat only (no tools). `agent`: Claude may read, search, edit and run, with approval. */
export type ChatMode = 'ask' | 'agent';

/** What a tool does, for approval rules: reads may be auto-approved; edits and commands ask. */
export type ToolKind = 'read' | 'edit' | 'command' | 'mcp';

/**
 * A tool call's card: `pending` while the model writes it, `awaitingApproval` until the user decides,
 * then `running` and one of the ends. `interrupted`: the call never ran (reload or stop before it started).
 */
export type ToolStatus = 'pending' | 'awaitingApproval' | 'running' | 'done' | 'refused' | 'failed' | 'stopped' | 'interrupted';

/** Agent mode as the view shows it. */
export interface AgentState {
  mode: ChatMode;
  /** False in Restricted Mode: only read-only tools are offered. */
  editsAllowed: boolean;
  autoApproveReadOnly: boolean;
  /** Edits and commands run without asking, for the active conversation only; shown while on. */
  autoApproveConversation: boolean;
}

export type TimelineItem =
  | { kind: 'user'; id: string; at: number; text: string; attachments?: AttachmentSummary[] }
  | {
      kind: 'assistant';
      id: string;
      at: number;
      text: string;
      status: AssistantStatus;
      model?: string;
      /** Tool calls of this answer, shown as their own cards; an answer of calls only has no bubble. */
      toolCalls?: number;
      thinking?: ThinkingView;
    }
  | {
      kind: 'compaction';
      id: string;
      at: number;
      /** `trim`: compaction was unavailable, so the oldest turns were dropped to fit. */
      compactionKind: 'threshold' | 'onDemand' | 'trim';
      failed: boolean;
      summary: string | null;
      coveredMessages: number;
      tokensBefore?: number;
      tokensAfter?: number;
      costUsd?: number;
      /** The turn waits for the user's Continue (compaction mode `pause`). */
      paused?: boolean;
      /** Ids of the messages put back verbatim after the summary (the current request, recent turns). */
      putBack?: string[];
      /** How many pinned files were re-sent fresh after the summary. */
      pinnedCount?: number;
    }
  | { kind: 'error'; id: string; at: number; errorKind: ErrorKind; message: string; retryable: boolean }
  | {
      /** One tool call; `id` is the tool_use id. Every string here is untrusted text. */
      kind: 'tool';
      id: string;
      at: number;
      /** The assistant message that made the call. */
      messageId: string;
      name: string;
      toolKind: ToolKind;
      title: string;
      /** The call's input as the user reviews it (the command line, the replaced text). */
      detail?: string;
      /** Working folder of a command, shown before it runs. */
      cwd?: string;
      status: ToolStatus;
      /** What went back to the model (cut for display). */
      result?: string;
      durationMs?: number;
      /** The server cleared this result from the model's context (context editing): the input tokens that freed. */
      clearedTokens?: number;
    };

export interface ConversationView {
  id: string;
  title: string;
  items: TimelineItem[];
  /** True when older items exist on disk beyond `items`. */
  hasOlder: boolean;
}

export interface ViewState {
  backend: BackendInfo;
  conversations: ConversationSummary[];
  active: ConversationView;
  generating: boolean;
  /** The request being answered while `generating`, so a view that loads mid-answer can stop it. */
  requestId?: string;
  meter: ContextMeter;
  compactionMode: CompactionMode;
  model: string;
  /** The effort switch; absent, it offers every level, with `default` chosen. */
  effort?: EffortSetting;
  /** False in Restricted Mode: Apply and other edits are unavailable. */
  workspaceTrusted: boolean;
  agent?: AgentState;
  /** The active conversation's chips (its pending attachments and pinned files), so a view that loads shows them. */
  chips: AttachmentChip[];
}

export type HostCommand = 'setApiKey' | 'selectProvider' | 'openSettings' | 'showLog' | 'openInEditor';

export interface SearchHit {
  conversationId: string;
  conversationTitle: string;
  itemId: string;
  /** Plain text around the match; the webview escapes it. */
  snippet: string;
  /** True when the hit lies in a segment the model now sees only as a summary. */
  compacted: boolean;
}

/**
 * What every request that starts a turn carries: a fresh id (echoed by the messages that answer it)
 * and the conversation it is about (the host refuses it if another one is active by then).
 */
export interface TurnRequest {
  requestId: string;
  conversationId: string;
}

export type ToHost =
  | { type: 'webview/ready' }
  /**
   * `attachmentIds`: the pending chips the view showed, which are exactly what the message carries
   * (absent: every pending attachment, for sends that do not come from a view).
   */
  | ({ type: 'chat/send'; text: string; attachmentIds?: string[] } & TurnRequest)
  /** Stop the request with this id; a stale stop (that request has ended) is ignored. */
  | { type: 'chat/cancel'; requestId: string }
  | ({ type: 'chat/retry' } & TurnRequest)
  /** Continue a cut answer, or resume after a paused compaction. */
  | ({ type: 'chat/continue' } & TurnRequest)
  /** Replace the last user message with `text` and answer it again. */
  | ({ type: 'chat/editLast'; text: string } & TurnRequest)
  | { type: 'conversation/new' }
  /** `focusItemId`: scroll to and highlight that item once shown (a search hit). */
  | { type: 'conversation/switch'; id: string; focusItemId?: string }
  | { type: 'conversation/rename'; id: string; title: string }
  | { type: 'conversation/delete'; id: string }
  | ({ type: 'conversation/compact' } & TurnRequest)
  | { type: 'conversation/export' }
  | { type: 'timeline/loadOlder'; conversationId: string; beforeId: string }
  | { type: 'search/query'; query: string }
  | { type: 'settings/setCompactionMode'; mode: CompactionMode }
  /** `marathon.effort`, from the switch above the prompt; applies from the next turn. */
  | { type: 'settings/setEffort'; effort: EffortChoice }
  | { type: 'command/run'; command: HostCommand }
  | { type: 'link/open'; href: string }
  | { type: 'code/copy'; code: string }
  | { type: 'code/insert'; code: string }
  /** The `@` picker's text changed; answered by `context/results` with the same `queryId`. */
  | { type: 'context/query'; queryId: number; query: string }
  /** Attach a picker item to the next message; `truncate` accepts the first part of a file over the limit. */
  | { type: 'context/attach'; itemId: string; truncate?: boolean }
  | { type: 'attachments/remove'; id: string }
  | { type: 'attachments/togglePin'; id: string }
  /** `path`: the target file named in the code fence (```ts src/a.ts), workspace-relative. */
  | { type: 'code/apply'; code: string; language?: string; path?: string }
  | { type: 'settings/setMode'; mode: ChatMode }
  /** Decide a tool call waiting for approval (`all`: every call of the turn waiting now). */
  /** `scope` (MCP calls): also allow the tool or its server for this conversation, or the tool always. */
  | { type: 'tool/approve'; toolUseId: string; all?: boolean; scope?: 'once' | 'toolConversation' | 'serverConversation' | 'toolAlways' }
  | { type: 'tool/refuse'; toolUseId: string }
  /** `readOnly`: the setting for read-only tools; `conversation`: edits and commands, this conversation only. */
  | { type: 'tools/setAutoApprove'; scope: 'readOnly' | 'conversation'; on: boolean }
  /** Revert the workspace files Marathon changed after this timeline item (after a confirmation). */
  | { type: 'checkpoint/restore'; itemId: string };

export type ToWebview =
  /** `focusItemId`: the item to scroll to and highlight (a search hit), loading older pages if needed. */
  | { type: 'state/bootstrap'; state: ViewState; focusItemId?: string }
  /**
   * `replacesId` (optional): the turn replaces that user item (`chat/editLast`); the webview drops
   * it and every item after it before showing `user`.
   */
  | { type: 'chat/started'; requestId: string; user?: TimelineItem; assistantId: string; replacesId?: string }
  | { type: 'chat/delta'; requestId: string; assistantId: string; text: string }
  /** Thinking streaming into an answer: `start` opens a block of that part, then its text follows. */
  | { type: 'chat/thinking'; requestId: string; assistantId: string; part: 'reasoning' | 'update' | 'redacted'; text: string; start?: boolean }
  | { type: 'chat/item'; item: TimelineItem }
  | { type: 'chat/done'; requestId: string; item: TimelineItem }
  | { type: 'chat/failed'; requestId: string; error: TimelineItem; draft?: string }
  /** The host did not start the request (its conversation is no longer the active one); `draft` goes back to the prompt. */
  | { type: 'chat/refused'; requestId: string; message: string; draft?: string }
  | { type: 'meter/didChange'; meter: ContextMeter }
  | { type: 'backend/didChange'; backend: BackendInfo }
  /** `requestId`: the request being answered, while `generating`. */
  | { type: 'generating/didChange'; generating: boolean; requestId?: string }
  /** A notice with a `topic` replaces the one before it on that topic; `retry` notices leave when the turn settles. */
  | { type: 'notice/show'; level: 'info' | 'warning'; message: string; topic?: 'retry' }
  | { type: 'conversations/didChange'; conversations: ConversationSummary[]; activeTitle: string }
  | { type: 'timeline/older'; conversationId: string; items: TimelineItem[]; hasOlder: boolean }
  | { type: 'search/results'; query: string; hits: SearchHit[] }
  /**
   * Picker results for `queryId`, streamed: each message replaces the list shown for that query, and
   * `done` is false while the file index is still being built (`status` says how far it got).
   */
  | { type: 'context/results'; queryId: number; items: ContextItem[]; done: boolean; status?: string }
  /** The attachments of the active conversation's next message, and its pinned files. */
  | { type: 'attachments/didChange'; conversationId: string; chips: AttachmentChip[] }
  /** An attach was refused; with `canTruncate` the webview offers to attach the first part. */
  | { type: 'context/attachFailed'; itemId: string; message: string; canTruncate: boolean }
  /** The refusal shown for `itemId` no longer holds (problems appeared where there were none): it leaves. */
  | { type: 'context/attachProblemResolved'; itemId: string }
  /** A `/` command's text (an MCP server's prompt), put into the prompt box for the user to review and send. */
  | { type: 'prompt/insert'; text: string }
  | { type: 'settings/didChange'; compactionMode: CompactionMode; model: string; effort?: EffortSetting }
  /** A tool card changed (status, input, result); the webview adds or replaces it by id. */
  | { type: 'tool/didChange'; item: Extract<TimelineItem, { kind: 'tool' }> }
  /** The server cleared these tool results from the model's context; their cards are marked so. */
  | { type: 'tool/didClear'; cleared: Array<{ id: string; tokens: number }> }
  | { type: 'agent/didChange'; agent: AgentState };

export function assertNever(value: never): never {
  throw new Error(`Unhandled message: ${JSON.stringify(value)}`);
}

const toHostTypes: ReadonlySet<string> = new Set<ToHost['type']>([
  'webview/ready',
  'chat/send',
  'chat/cancel',
  'chat/retry',
  'chat/continue',
  'chat/editLast',
  'conversation/new',
  'conversation/switch',
  'conversation/rename',
  'conversation/delete',
  'conversation/compact',
  'conversation/export',
  'timeline/loadOlder',
  'search/query',
  'settings/setCompactionMode',
  'settings/setEffort',
  'command/run',
  'link/open',
  'code/copy',
  'code/insert',
  'code/apply',
  'context/query',
  'context/attach',
  'attachments/remove',
  'attachments/togglePin',
  'settings/setMode',
  'tool/approve',
  'tool/refuse',
  'tools/setAutoApprove',
  'checkpoint/restore',
]);

export const EFFORT_CHOICES: readonly EffortChoice[] = ['default', 'low', 'medium', 'high', 'xhigh', 'max'];

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256;
}

function isIdList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= 1000 && value.every(isId);
}

function isTurnRequest(message: Record<string, unknown>): boolean {
  return isId(message.requestId) && typeof message.conversationId === 'string' && message.conversationId.length <= 256;
}

/** Guards inbound messages at the host edge: the webview is not trusted to send well-formed data. */
export function isToHost(value: unknown): value is ToHost {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const message = value as Record<string, unknown>;
  if (typeof message.type !== 'string' || !toHostTypes.has(message.type)) {
    return false;
  }
  switch (message.type) {
    case 'chat/send':
      return isTurnRequest(message) && typeof message.text === 'string' && (message.attachmentIds === undefined || isIdList(message.attachmentIds));
    case 'chat/editLast':
      return isTurnRequest(message) && typeof message.text === 'string';
    case 'chat/retry':
    case 'chat/continue':
    case 'conversation/compact':
      return isTurnRequest(message);
    case 'chat/cancel':
      return isId(message.requestId);
    case 'conversation/switch':
      return typeof message.id === 'string' && (message.focusItemId === undefined || typeof message.focusItemId === 'string');
    case 'conversation/delete':
      return typeof message.id === 'string';
    case 'conversation/rename':
      return typeof message.id === 'string' && typeof message.title === 'string';
    case 'timeline/loadOlder':
      return typeof message.conversationId === 'string' && typeof message.beforeId === 'string';
    case 'search/query':
      return typeof message.query === 'string';
    case 'settings/setCompactionMode':
      return message.mode === 'auto' || message.mode === 'pause' || message.mode === 'manual';
    case 'settings/setEffort':
      return typeof message.effort === 'string' && (EFFORT_CHOICES as readonly string[]).includes(message.effort);
    case 'command/run':
      return (
        message.command === 'setApiKey' ||
        message.command === 'selectProvider' ||
        message.command === 'openSettings' ||
        message.command === 'showLog' ||
        message.command === 'openInEditor'
      );
    case 'link/open':
      return typeof message.href === 'string';
    case 'code/copy':
    case 'code/insert':
      return typeof message.code === 'string';
    case 'code/apply':
      return (
        typeof message.code === 'string' &&
        (message.language === undefined || typeof message.language === 'string') &&
        (message.path === undefined || typeof message.path === 'string')
      );
    case 'context/query':
      return typeof message.queryId === 'number' && Number.isFinite(message.queryId) && typeof message.query === 'string' && message.query.length <= 1000;
    case 'context/attach':
      return typeof message.itemId === 'string' && message.itemId.length <= 4096 && (message.truncate === undefined || typeof message.truncate === 'boolean');
    case 'attachments/remove':
    case 'attachments/togglePin':
      return typeof message.id === 'string';
    case 'settings/setMode':
      return message.mode === 'ask' || message.mode === 'agent';
    case 'tool/approve':
      return (
        typeof message.toolUseId === 'string' &&
        message.toolUseId.length <= 256 &&
        (message.all === undefined || typeof message.all === 'boolean') &&
        (message.scope === undefined || (typeof message.scope === 'string' && ['once', 'toolConversation', 'serverConversation', 'toolAlways'].includes(message.scope)))
      );
    case 'tool/refuse':
      return typeof message.toolUseId === 'string' && message.toolUseId.length <= 256;
    case 'tools/setAutoApprove':
      return (message.scope === 'readOnly' || message.scope === 'conversation') && typeof message.on === 'boolean';
    case 'checkpoint/restore':
      return typeof message.itemId === 'string' && message.itemId.length <= 256;
    default:
      return true;
  }
}
