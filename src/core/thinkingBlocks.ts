// Thinking blocks in stored answers: what the view shows of them, and the rules by which they are sent
// back (thinking-and-context-editing.md §3-4). Records keep every block exactly as received; only the
// request built from them leaves blocks out, where the API's prefix rules say they can no longer verify.
import type { ThinkingView } from '../shared/protocol';
import type { StoredBlock } from './records';

export function isThinkingBlock(block: StoredBlock): boolean {
  return block.type === 'thinking' || block.type === 'redacted_thinking';
}

export function hasThinking(content: readonly StoredBlock[]): boolean {
  return content.some(isThinkingBlock);
}

/** `content` without its thinking and redacted_thinking blocks (the same array when it has none). */
export function withoutThinking(content: StoredBlock[]): StoredBlock[] {
  return hasThinking(content) ? content.filter((block) => !isThinkingBlock(block)) : content;
}

/**
 * What the view shows of an answer's thinking. Blocks that open the answer (after a compaction block)
 * are its reasoning; a thinking block after text or a tool call is a progress update (display
 * "updates" puts one right before each tool call, reference §2). Empty reasoning text means the API
 * left it out (display "omitted"): the signature carries it, the view shows a quiet indicator.
 */
export function thinkingView(content: readonly StoredBlock[], thinkingTokens?: number, durationMs?: number): ThinkingView | undefined {
  if (!hasThinking(content)) {
    return undefined;
  }
  const reasoning: string[] = [];
  const updates: string[] = [];
  let redacted = 0;
  let hidden = false;
  let leading = true;
  for (const block of content) {
    if (block.type === 'compaction') {
      continue;
    }
    if (block.type === 'redacted_thinking') {
      redacted++;
      continue;
    }
    if (block.type !== 'thinking') {
      leading = false;
      continue;
    }
    const text = typeof block.thinking === 'string' ? block.thinking : '';
    if (!leading && text.trim() !== '') {
      updates.push(text.trim());
    } else if (text.trim() === '') {
      hidden = true;
    } else {
      reasoning.push(text);
    }
  }
  return {
    text: reasoning.join('\n\n'),
    hidden,
    redacted,
    updates,
    ...(thinkingTokens !== undefined && thinkingTokens > 0 ? { tokens: thinkingTokens } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
  };
}

/** The readable thinking of an answer, for search and an export that asks for it. */
export function thinkingText(content: readonly StoredBlock[]): string {
  const view = thinkingView(content);
  return view ? [view.text, ...view.updates].filter((part) => part !== '').join('\n') : '';
}
