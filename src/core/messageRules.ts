// The wire rules of a message list, whatever its source: one role per message (consecutive ones merge,
// tool results first) and every tool call answered by the next message.
import type { StoredBlock } from './records';
import type { ApiMessage } from './requestHistory';

export function isToolResult(block: StoredBlock): boolean {
  return block.type === 'tool_result';
}

export function isToolUse(block: StoredBlock): boolean {
  return block.type === 'tool_use';
}

/** True when `content` holds tool calls that a following user message must answer. */
export function hasToolUse(content: readonly StoredBlock[]): boolean {
  return content.some(isToolUse);
}

/**
 * Consecutive messages of one role are merged into one, as the API would. In a user message the API
 * wants tool results first, so pinned files or a typed message that join them go after.
 */
export function mergeRoles(messages: readonly ApiMessage[]): ApiMessage[] {
  const out: ApiMessage[] = [];
  for (const message of messages) {
    const previous = out.at(-1);
    if (previous && previous.role === message.role) {
      const content = [...previous.content, ...message.content];
      const ordered = message.role === 'user' && content.some(isToolResult) ? [...content.filter(isToolResult), ...content.filter((block) => !isToolResult(block))] : content;
      out[out.length - 1] = { role: previous.role, content: ordered };
    } else {
      out.push(message);
    }
  }
  return out;
}

/**
 * Keeps every tool_use answered and every tool_result answering: in a selection of entries (after a
 * compaction, a trim, or a put-back), a call whose result is not in the next user message loses the
 * call, and a result whose call is not in the previous assistant message is dropped. Entries left
 * empty disappear. Consecutive entries of one role count as one message, as the API merges them.
 */
export function repairToolPairs<T extends { message: ApiMessage }>(entries: readonly T[], leadingRole?: 'user' | 'assistant'): T[] {
  let current = [...entries];
  for (let pass = 0; pass < 4; pass++) {
    const runs: Array<{ role: ApiMessage['role']; indexes: number[] }> = [];
    if (leadingRole !== undefined) {
      runs.push({ role: leadingRole, indexes: [] });
    }
    current.forEach((entry, index) => {
      const last = runs.at(-1);
      if (last && last.role === entry.message.role) {
        last.indexes.push(index);
      } else {
        runs.push({ role: entry.message.role, indexes: [index] });
      }
    });
    const idsIn = (run: (typeof runs)[number] | undefined, type: 'tool_use' | 'tool_result'): Set<unknown> =>
      new Set(
        (run?.indexes ?? []).flatMap((index) =>
          current[index]!.message.content.filter((block) => block.type === type).map((block) => (type === 'tool_use' ? block.id : block.tool_use_id)),
        ),
      );
    let changed = false;
    const next: T[] = [];
    runs.forEach((run, r) => {
      const keep =
        run.role === 'assistant'
          ? (() => {
              const answered = idsIn(runs[r + 1], 'tool_result');
              return (block: StoredBlock) => !isToolUse(block) || answered.has(block.id);
            })()
          : (() => {
              const called = idsIn(runs[r - 1], 'tool_use');
              return (block: StoredBlock) => !isToolResult(block) || called.has(block.tool_use_id);
            })();
      for (const index of run.indexes) {
        const entry = current[index]!;
        const content = entry.message.content.filter(keep);
        if (content.length !== entry.message.content.length) {
          changed = true;
        }
        if (content.length > 0) {
          next.push(content.length === entry.message.content.length ? entry : { ...entry, message: { role: entry.message.role, content } });
        }
      }
    });
    current = next;
    if (!changed) {
      break;
    }
  }
  return current;
}
