// Fans the host's messages out to every connected chat view (the sidebar and the editor tab), so
// all of them show the same conversation and stream together.
import * as vscode from 'vscode';
import type { SessionEvent } from '../core/session';
import { assertNever, type ToWebview } from '../shared/protocol';

export type NoticeLevel = Extract<ToWebview, { type: 'notice/show' }>['level'];

/** Sends one message to one view. */
export type Post = (message: ToWebview) => void;

export class ViewHub {
  private readonly views = new Set<Post>();

  /** Connects a chat view; disposing the result disconnects it. */
  attach(post: Post): vscode.Disposable {
    this.views.add(post);
    return new vscode.Disposable(() => this.views.delete(post));
  }

  has(post: Post): boolean {
    return this.views.has(post);
  }

  get isEmpty(): boolean {
    return this.views.size === 0;
  }

  broadcast(message: ToWebview): void {
    for (const post of this.views) {
      post(message);
    }
  }

  notice(level: NoticeLevel, message: string, topic?: 'retry'): void {
    this.broadcast({ type: 'notice/show', level, message, ...(topic ? { topic } : {}) });
  }

  /** Turns an event of the active session into the message the views show; `requestId` is the request it answers. */
  forward(event: SessionEvent, requestId: string): void {
    switch (event.type) {
      case 'turnStarted':
        this.broadcast({ type: 'chat/started', requestId, user: event.user, assistantId: event.assistantId, replacesId: event.replacesId });
        return;
      case 'textDelta':
        this.broadcast({ type: 'chat/delta', requestId, assistantId: event.assistantId, text: event.text });
        return;
      case 'thinkingDelta':
        this.broadcast({ type: 'chat/thinking', requestId, assistantId: event.assistantId, part: event.part, text: event.text, ...(event.start ? { start: true } : {}) });
        return;
      case 'item':
        this.broadcast({ type: 'chat/item', item: event.item });
        return;
      case 'turnFinished':
        this.broadcast({ type: 'chat/done', requestId, item: event.item });
        return;
      case 'turnFailed':
        this.broadcast({ type: 'chat/failed', requestId, error: event.error, draft: event.draft });
        return;
      case 'usage':
        this.broadcast({ type: 'meter/didChange', meter: event.meter });
        return;
      case 'generating':
        void vscode.commands.executeCommand('setContext', 'marathon.generating', event.generating);
        this.broadcast({ type: 'generating/didChange', generating: event.generating, requestId: event.generating ? requestId : undefined });
        return;
      case 'notice':
        this.notice(event.level, event.message);
        return;
      case 'tool':
        this.broadcast({ type: 'tool/didChange', item: event.item });
        return;
      case 'toolsCleared':
        this.broadcast({ type: 'tool/didClear', cleared: event.cleared.map((entry) => ({ id: entry.toolUseId, tokens: entry.tokens })) });
        return;
      case 'retrying':
        this.notice('info', `${event.reason} Retrying in ${Math.max(1, Math.round(event.delayMs / 1000))} s (attempt ${event.attempt}).`, 'retry');
        return;
      default:
        assertNever(event);
    }
  }
}
