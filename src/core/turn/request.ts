// Builds request bodies from the request history, a settings snapshot and the tools on offer: pure (no
// server, no clock), cache breakpoints and compaction fields included.
import { MIN_TRIGGER_TOKENS, ON_DEMAND_BETA, THRESHOLD_BETA } from '../betas';
import type { ApiMessage } from '../requestHistory';
import type { ExternalToolDefinition } from '../ports';
import type { StoredBlock } from '../records';
import { AGENT_COMPACTION_INSTRUCTIONS, TOOL_DEFINITIONS, isToolName, type ToolDefinition } from '../agentTools';
import type { SettingsSnapshot } from './settingsSnapshot';
import { MIN_BUDGET_TOKENS, applyThinking, fallbackCapabilities, resolveThinking, type ResolvedThinking, type ThinkingCapabilities } from './thinking';

export type RequestBody = Record<string, unknown>;

/** What every request of a conversation is built from. */
export interface RequestSource {
  settings: SettingsSnapshot;
  /** The system prompt's text. */
  system: string;
  /** The request history's messages, oldest first (the last compaction block and what follows it). */
  messages: readonly ApiMessage[];
  /** Tools Agent mode offers; undefined when Agent mode is off. */
  agentTools?: readonly string[];
  /** Definitions of the other tools Agent mode offers now (MCP servers' tools), sent after Marathon's own. */
  externalTools?: readonly ExternalToolDefinition[];
}

/** What the conversation's compaction state adds to a turn's request. */
export interface CompactionState {
  /** False once the server said this model or endpoint cannot compact. */
  supported: boolean;
  /** The history holds an on-demand (signed) block: threshold compaction is refused from then on. */
  signed: boolean;
  /** The history holds a threshold block, whose strategy every later request must declare. */
  hasThresholdBlock: boolean;
  /** A lower `max_tokens` for the next request, after the API said the prompt plus `max_tokens` does not fit. */
  maxTokensCap?: number;
  /** The turn's paused compaction failed: declare the strategy, but with a trigger that does not fire. */
  thresholdSuspended?: boolean;
  /** The platform that made the summary the history starts from; absent: the Anthropic API. */
  anchorProvider?: string;
}

/**
 * Whether the summary block the history starts from can be sent to this turn's platform and model as a
 * block; where it cannot, it goes as text and the platform makes its own next summary.
 * - Its strategy must be declarable here: a signed block needs the on-demand beta on every request that
 *   carries it (compaction reference §1.1), which Bedrock and Haiku lack (§1.6); a threshold block needs
 *   the threshold beta, which every platform has for the compaction models (§1.6).
 * - A signed block is checked against its `signature` by the server (`compaction_signature_invalid`,
 *   §2.7), and signatures are bound to the account that made them (thinking reference §3.1,
 *   `organization_binding_mismatch`); nothing documents one verifying under another platform's account,
 *   so it stays on the platform that signed it [INF]. Another model on that platform keeps it: the
 *   signature covers the summary and `tool_changes` (§2.1), not the model.
 * - A threshold block is unsigned plain text and crosses anywhere, unless it carries
 *   `encrypted_content`, opaque metadata that only its maker reads back (§2.1; replayed where it was not
 *   issued, a 400: anthropic-sdk-python#1828).
 */
export function summaryCrossesOver(messages: readonly ApiMessage[], compaction: CompactionState, settings: SettingsSnapshot): boolean {
  const block = messages[0]?.content.find((entry) => entry.type === 'compaction');
  if (!block) {
    return true;
  }
  const moved = (compaction.anchorProvider ?? 'anthropic') !== (settings.provider ?? 'anthropic');
  if (compaction.signed) {
    return settings.onDemandSupported !== false && !moved;
  }
  return !(moved && typeof block.encrypted_content === 'string');
}

/** The system prompt, with the breakpoint at its end that keeps it cached across compactions. */
export function systemBlocks(system: string): StoredBlock[] {
  return [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }];
}

/**
 * Tools the request carries: Agent mode's available tools; in Ask mode, when the conversation already
 * holds tool calls, the same definitions with `tool_choice: none` (the API needs them to read the calls).
 */
function requestTools(
  source: Pick<RequestSource, 'messages' | 'agentTools' | 'externalTools'>,
): { tools: Array<ToolDefinition | ExternalToolDefinition>; choiceNone: boolean } | undefined {
  if (source.agentTools !== undefined) {
    // The set can change between requests (servers start and stop); `tools` always carries the current one.
    const tools = [...source.agentTools.filter(isToolName).map((name) => TOOL_DEFINITIONS[name]), ...(source.externalTools ?? [])];
    return tools.length > 0 ? { tools, choiceNone: false } : undefined;
  }
  const hasTools = source.messages.some((message) => message.content.some((block) => block.type === 'tool_use' || block.type === 'tool_result'));
  return hasTools ? { tools: Object.values(TOOL_DEFINITIONS), choiceNone: true } : undefined;
}

/** Compaction instructions: the user's, else in Agent mode ones that forbid tool calls while summarizing. */
function compactionInstructions(source: Pick<RequestSource, 'settings' | 'messages' | 'agentTools' | 'externalTools'>): string {
  if (source.settings.instructions.trim()) {
    return source.settings.instructions;
  }
  return requestTools(source) !== undefined ? AGENT_COMPACTION_INSTRUCTIONS : '';
}

/** The thinking a conversation's requests carry; undefined when the settings leave it to the model. */
export function requestThinking(settings: SettingsSnapshot): ResolvedThinking | undefined {
  if (settings.thinking === undefined) {
    return undefined;
  }
  return resolveThinking(settings.model, { ...settings.thinking, maxTokens: settings.thinking.maxTokens ?? settings.maxTokens }, capabilitiesOf(settings));
}

/** The capabilities of the request's model: what the host learnt for it, else the fallback table. */
export function capabilitiesOf(settings: SettingsSnapshot): ThinkingCapabilities {
  const known = settings.thinkingCapabilities;
  // A platform serves its own id for the model (Bedrock, Vertex): capabilities read for another id do not apply.
  return known && (known.model === undefined || known.model === settings.model) ? known : fallbackCapabilities(settings.model);
}

/** The streamed request of one sampling step of a turn. */
export function buildTurnRequest(source: RequestSource, compaction: CompactionState): RequestBody {
  const { settings } = source;
  const body: RequestBody = {
    model: settings.model,
    max_tokens: Math.min(settings.maxTokens, compaction.maxTokensCap ?? settings.maxTokens),
    system: systemBlocks(source.system),
    messages: withCacheBreakpoints(source.messages),
  };
  const thinking = requestThinking(settings);
  if (thinking) {
    applyThinking(body, thinking);
  }
  if (compaction.maxTokensCap !== undefined) {
    body.max_tokens = Math.min(Number(body.max_tokens), compaction.maxTokensCap);
  }
  const tools = requestTools(source);
  if (tools) {
    body.tools = tools.tools;
    if (tools.choiceNone) {
      body.tool_choice = { type: 'none' };
    }
  }
  if (!compaction.supported || settings.compactionSupported === false) {
    // Without the betas a compaction block is refused ("Input tag 'compaction' ... is not one of the
    // expected content block types"): the summary goes as text, and the block comes back with them.
    body.messages = withCacheBreakpoints(withSummaryAsText(source.messages));
    return body;
  }
  const trigger = Math.max(settings.triggerTokens, MIN_TRIGGER_TOKENS);
  const betas = Array.isArray(body.betas) ? (body.betas as string[]) : [];
  let hasThresholdBlock = compaction.hasThresholdBlock;
  if (!summaryCrossesOver(source.messages, compaction, settings)) {
    // A summary that cannot cross over to this platform or model (see summaryCrossesOver) goes as text,
    // and threshold compaction takes over, so the next summary is one this platform made.
    body.messages = withCacheBreakpoints(withSummaryAsText(source.messages));
    hasThresholdBlock = false;
  } else if (compaction.signed) {
    body.betas = [ON_DEMAND_BETA, ...betas];
    return body;
  }
  body.betas = [THRESHOLD_BETA, ...betas];
  if (settings.mode === 'manual' || compaction.thresholdSuspended) {
    if (hasThresholdBlock) {
      // Threshold blocks must keep their strategy declared; a trigger past the window never fires.
      body.context_management = { edits: [{ type: 'compact_20260112', trigger: { type: 'input_tokens', value: Math.max(settings.contextWindow + 1, MIN_TRIGGER_TOKENS) } }] };
    }
    return body;
  }
  const edit: Record<string, unknown> = {
    type: 'compact_20260112',
    trigger: { type: 'input_tokens', value: trigger },
    // Marathon pauses after every compaction to put the current request back verbatim.
    pause_after_compaction: true,
  };
  const instructions = compactionInstructions(source);
  if (instructions.trim()) {
    edit.instructions = instructions;
  }
  body.context_management = { edits: [edit] };
  return body;
}

/** Opens the text that stands in for a summary block where compaction is off. */
const SUMMARY_PREAMBLE = 'Summary of the earlier conversation: ';

/**
 * The messages with the latest summary as plain text at the start of the first user message (a user
 * message of its own when the conversation resumes with an answer), and no compaction block left.
 */
function withSummaryAsText(messages: readonly ApiMessage[]): ApiMessage[] {
  let summary: string | undefined;
  const out: ApiMessage[] = [];
  for (const message of messages) {
    for (const block of message.content) {
      if (block.type === 'compaction' && typeof block.content === 'string' && block.content !== '') {
        summary = block.content;
      }
    }
    const content = message.content.filter((block) => block.type !== 'compaction');
    if (content.length > 0) {
      out.push({ role: message.role, content });
    }
  }
  if (summary === undefined) {
    return out;
  }
  const preamble: StoredBlock = { type: 'text', text: SUMMARY_PREAMBLE + summary };
  const first = out[0];
  if (first?.role === 'user') {
    // Tool results stay first in their message, as the API wants them.
    const results = first.content.filter((block) => block.type === 'tool_result');
    out[0] = { role: 'user', content: [...results, preamble, ...first.content.filter((block) => block.type !== 'tool_result')] };
  } else {
    out.unshift({ role: 'user', content: [preamble] });
  }
  return out;
}

/** The summary's room: several thousand tokens, as the docs advise (reference §1.4). */
export const MIN_SUMMARY_TOKENS = 4096;

/**
 * The on-demand compaction request of `messages` (the history without the messages kept after the
 * signed block). The summarizer reads the same tools the conversation used (never runs them).
 * `maxTokens` replaces the usual room when the API said it does not fit the window.
 */
export function buildOnDemandRequest(
  source: RequestSource,
  messages: readonly ApiMessage[],
  compaction: Pick<CompactionState, 'hasThresholdBlock'> = { hasThresholdBlock: false },
  maxTokens?: number,
): RequestBody {
  const { settings } = source;
  const instructions = compactionInstructions(source);
  const body: RequestBody = {
    model: settings.model,
    max_tokens: maxTokens ?? Math.max(settings.maxTokens, MIN_SUMMARY_TOKENS),
    system: systemBlocks(source.system),
    messages: withoutTrailingWhitespace(messages),
    compaction: instructions.trim() ? { type: 'summarize', instructions } : { type: 'summarize' },
    // A threshold block in the history keeps its strategy declared: "the API rejects compaction blocks
    // whose strategy is undeclared" (reference §1.1), and the on-demand beta alone does not declare it.
    betas: compaction.hasThresholdBlock ? [THRESHOLD_BETA, ON_DEMAND_BETA] : [ON_DEMAND_BETA],
  };
  // The request's thinking applies to the summary too, and max_tokens caps both (thinking §4): the
  // conversation's output cap leaves room for the reasoning and a summary of several thousand tokens.
  const thinking = requestThinking(settings);
  if (thinking) {
    applyThinking(body, { ...thinking, maxTokens: Math.max(thinking.maxTokens, 4096 + (thinking.mode === 'off' ? 0 : 16_000)) });
  }
  if (maxTokens !== undefined) {
    body.max_tokens = maxTokens;
  }
  keepBudgetBelow(body, MIN_SUMMARY_TOKENS);
  const tools = requestTools(source);
  if (tools) {
    body.tools = tools.tools;
  }
  return body;
}

/**
 * Keeps a thinking budget below `max_tokens` (the API's rule, §1.3) with `reserve` tokens left for the
 * text after it (a summary, an answer); where no budget of 1,024 fits, the request goes without thinking.
 */
export function keepBudgetBelow(body: RequestBody, reserve: number): void {
  const thinking = body.thinking as { type?: string; budget_tokens?: number } | undefined;
  const maxTokens = Number(body.max_tokens);
  if (thinking?.type !== 'enabled' || typeof thinking.budget_tokens !== 'number' || thinking.budget_tokens <= maxTokens - reserve) {
    return;
  }
  if (maxTokens <= MIN_BUDGET_TOKENS) {
    delete body.thinking;
    return;
  }
  body.thinking = { ...thinking, budget_tokens: Math.min(maxTokens - 1, Math.max(MIN_BUDGET_TOKENS, maxTokens - reserve)) };
}

/**
 * The API refuses messages whose final assistant content ends in whitespace ("final assistant content
 * cannot end with trailing whitespace"); an on-demand request can end on an answer. The copy sent is
 * trimmed at its end (a block left empty goes, and a message left empty too); the record stays as received.
 */
function withoutTrailingWhitespace(messages: readonly ApiMessage[]): ApiMessage[] {
  const last = messages.at(-1);
  if (last?.role !== 'assistant') {
    return [...messages];
  }
  const content = [...last.content];
  for (let block = content.at(-1); block?.type === 'text' && typeof block.text === 'string' && /\s$/.test(block.text); block = content.at(-1)) {
    const text = block.text.trimEnd();
    if (text === '') {
      content.pop();
    } else {
      content[content.length - 1] = { ...block, text };
    }
  }
  return content.length > 0 ? [...messages.slice(0, -1), { role: 'assistant', content }] : messages.slice(0, -1);
}

/**
 * Marks the last block of the latest two messages as cache breakpoints (plus the system prompt, three in
 * all): the previous request's breakpoint is read from cache, the new one written for the next turn.
 * Blocks are copied, so the stored blocks stay exactly as received.
 */
export function withCacheBreakpoints(messages: readonly ApiMessage[]): ApiMessage[] {
  return messages.map((message, index) => {
    if (index < messages.length - 2 || message.content.length === 0) {
      return message;
    }
    const content = [...message.content];
    // Thinking blocks take no `cache_control` ("…thinking.cache_control: Extra inputs are not permitted",
    // reference §2): an answer that ends on one (its blank text left out) is marked at the block before it.
    let lastIndex = content.length - 1;
    while (lastIndex >= 0 && (content[lastIndex]!.type === 'thinking' || content[lastIndex]!.type === 'redacted_thinking')) {
      lastIndex--;
    }
    const last = content[lastIndex];
    if (!last || (last.type === 'compaction' && last.content === null)) {
      return message;
    }
    content[lastIndex] = { ...last, cache_control: { type: 'ephemeral' } };
    return { role: message.role, content };
  });
}
