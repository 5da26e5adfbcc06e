// Keeps a conversation's thinking valid from request to request: the system prompt stays what the
// thinking was made on until a compaction starts a new prefix, a refusal for a thinking block is never
// sent again as it was, and what the API did to the blocks (`input_transformations`) is logged.
// Rules: thinking-and-context-editing.md §3.2-3.4.
import type { ClassifiedError } from '../errors';
import type { RequestHistory } from '../requestHistory';
import type { Logger } from '../ports';
import type { TurnContext } from './context';
import type { ResolvedThinking } from './thinking';
import type { ApiAnswer, Recovery } from './transport';

/** The refusals of §3.4 that name a thinking or redacted_thinking block. */
const THINKING_REFUSAL = /`(?:signature|data)` in `(?:thinking|redacted_thinking)` block|`thinking` or `redacted_thinking` blocks in the latest assistant message|\.thinking\.(?:signature|thinking|data): Field required/;

export class ThinkingGuard {
  private system: string | undefined;
  private systemEpoch = -1;
  private rulesNoticeShown = false;
  private readonly noticesShown = new Set<string>();
  private pendingNotice: string | undefined;

  constructor(private readonly build: () => Promise<string>) {}

  /**
   * The system prompt of this request. Every thinking block is bound to it (§3.2: any `system` change
   * is a prefix edit), so it is read afresh only when a compaction has started a new prefix; a change
   * meanwhile (project rules edited) takes effect after the next compaction, and says so once.
   */
  async systemPrompt(history: RequestHistory, logger: Logger): Promise<string> {
    const current = await this.build();
    if (this.system === undefined || this.systemEpoch !== history.epoch) {
      this.system = current;
      this.systemEpoch = history.epoch;
      this.rulesNoticeShown = false;
      return current;
    }
    if (current !== this.system && !this.rulesNoticeShown) {
      this.rulesNoticeShown = true;
      logger.info('[Thinking] the system prompt changed (project rules); it is sent from the next compaction on');
      this.pendingNotice = 'The project rules changed. Claude sees them after the next compaction; until then the conversation keeps its reasoning and cache.';
    }
    return this.system;
  }

  /** At the start of a turn: the fallback notices of the thinking choice, once each, and a rules change. */
  beforeTurn(ctx: Pick<TurnContext, 'emit' | 'logger'>, resolved: ResolvedThinking | undefined): void {
    for (const notice of resolved?.notices ?? []) {
      // Each notice names its model, so a conversation hears it once per model, not on every turn.
      if (!this.noticesShown.has(notice)) {
        this.noticesShown.add(notice);
        ctx.logger.info(`[Thinking] ${notice} (capabilities from ${resolved?.source === 'models-api' ? 'the Models API' : "Marathon's model table"})`);
        ctx.emit({ type: 'notice', level: 'info', message: notice });
      }
    }
    this.flushNotice(ctx);
  }

  private flushNotice(ctx: Pick<TurnContext, 'emit'>): void {
    if (this.pendingNotice !== undefined) {
      ctx.emit({ type: 'notice', level: 'info', message: this.pendingNotice });
      this.pendingNotice = undefined;
    }
  }

  /**
   * Wraps a turn's recovery: a 400 for a thinking block is never sent again as it was. The request
   * already carries `drop_block` with its beta (§3.3), so such a refusal means the binding controls
   * did not apply (a gateway, a bad signature): every thinking block in the history is left out once.
   */
  recovery(ctx: Pick<TurnContext, 'history' | 'logger' | 'emit'>, next: (error: ClassifiedError, raw: unknown) => Promise<Recovery>): (error: ClassifiedError, raw: unknown) => Promise<Recovery> {
    let stripped = false;
    return async (error, raw) => {
      if (error.kind === 'invalidRequest' && THINKING_REFUSAL.test(error.message)) {
        if (stripped) {
          return 'fail';
        }
        stripped = true;
        ctx.history.unbindAll();
        ctx.logger.warn(`[Thinking] the API refused a thinking block (${error.message}); sending the conversation without its earlier thinking`);
        return 'retry';
      }
      this.flushNotice(ctx);
      return next(error, raw);
    };
  }

  /** Logs what the binding check did: a prefix mismatch is a bug in how Marathon built the history. */
  noteAnswer(ctx: Pick<TurnContext, 'logger'>, answer: ApiAnswer): void {
    for (const entry of answer.input_transformations ?? []) {
      const line = `[Thinking] ${entry.type} at ${entry.path ?? '?'} (${entry.reason ?? 'no reason given'})`;
      if (entry.reason === 'prefix_binding_mismatch') {
        ctx.logger.warn(`${line}: the history changed under a thinking block`);
      } else {
        ctx.logger.debug(line);
      }
    }
  }
}
