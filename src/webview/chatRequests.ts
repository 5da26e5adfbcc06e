// The webview's requests about turns: each new one gets a fresh id and names the conversation the
// view shows; a stop names the request the view shows being answered.
import type { ToHost } from '../shared/protocol';

let counter = 0;

/** Unique enough across the views of one window: a per-page prefix and a counter. */
const pagePrefix = Math.random().toString(36).slice(2, 8);

export function newRequestId(): string {
  counter++;
  return `w-${pagePrefix}-${counter}`;
}

export interface ChatRequestState {
  /** The conversation the view shows (undefined before the first bootstrap). */
  conversationId(): string | undefined;
  /** The request being answered, while one is. */
  requestId(): string | undefined;
}

export class ChatRequests {
  constructor(
    private readonly post: (message: ToHost) => void,
    private readonly state: ChatRequestState,
  ) {}

  /** `attachmentIds`: the pending chips shown above the prompt, which the message carries. */
  send(text: string, attachmentIds: string[] = []): void {
    this.post({ type: 'chat/send', text, attachmentIds, ...this.turn() });
  }

  editLast(text: string): void {
    this.post({ type: 'chat/editLast', text, ...this.turn() });
  }

  retry(): void {
    this.post({ type: 'chat/retry', ...this.turn() });
  }

  continue(): void {
    this.post({ type: 'chat/continue', ...this.turn() });
  }

  compact(): void {
    this.post({ type: 'conversation/compact', ...this.turn() });
  }

  /** Stops the answer the view shows; nothing to stop without one. */
  cancel(): void {
    const requestId = this.state.requestId();
    if (requestId !== undefined) {
      this.post({ type: 'chat/cancel', requestId });
    }
  }

  private turn(): { requestId: string; conversationId: string } {
    return { requestId: newRequestId(), conversationId: this.state.conversationId() ?? '' };
  }
}
