// Handles every click inside the timeline by delegation: links go to the host, and a button's
// `data-action` becomes a message to the host or a change of the prompt.
import { assertNever, type TimelineItem, type ToHost } from '../shared/protocol';
import { isTimelineAction, type TimelineAction } from './actions';
import type { ChatRequests } from './chatRequests';

export interface TimelineActionHost {
  post(message: ToHost): void;
  requests: ChatRequests;
  insertIntoPrompt(text: string): void;
  announce(text: string): void;
  isTrusted(): boolean;
  /** A loaded item by id. */
  find(id: string): TimelineItem | undefined;
  /** Shows all of a long message, or its first lines again (the item changes height in place). */
  toggleLongText(id: string, control: HTMLElement): void;
}

export function handleTimelineClick(event: MouseEvent, host: TimelineActionHost): void {
  if (!(event.target instanceof Element)) {
    return;
  }
  const link = event.target.closest('a');
  if (link !== null) {
    // Never navigate inside the webview: the host opens links (after its own checks).
    event.preventDefault();
    const href = link.getAttribute('href');
    if (href !== null && /^(?:https?|mailto):/i.test(href)) {
      host.post({ type: 'link/open', href });
    }
    return;
  }
  const control = event.target.closest<HTMLElement>('[data-action]');
  const action = control?.dataset.action;
  if (control !== null && isTimelineAction(action)) {
    runTimelineAction(action, control, host);
  }
}

function runTimelineAction(action: TimelineAction, control: HTMLElement, host: TimelineActionHost): void {
  switch (action) {
    case 'code-copy':
    case 'code-insert':
    case 'code-apply':
      codeAction(action, control, host);
      return;
    case 'retry':
      host.requests.retry();
      return;
    case 'continue':
      host.requests.continue();
      return;
    case 'set-api-key':
      host.post({ type: 'command/run', command: 'setApiKey' });
      return;
    case 'open-settings':
      host.post({ type: 'command/run', command: 'openSettings' });
      return;
    case 'show-log':
      host.post({ type: 'command/run', command: 'showLog' });
      return;
    case 'use-summary': {
      const item = itemOf(control, host);
      if (item?.kind === 'compaction' && item.summary !== null) {
        host.insertIntoPrompt(item.summary);
      }
      return;
    }
    case 'compact-now':
      host.requests.compact();
      return;
    case 'tool-approve':
    case 'tool-refuse': {
      const item = itemOf(control, host);
      if (item?.kind === 'tool') {
        // An MCP call's approval may reach further (`data-scope`); the host checks the value.
        const scope = control.dataset.scope as Extract<ToHost, { type: 'tool/approve' }>['scope'];
        host.post(action === 'tool-approve' ? { type: 'tool/approve', toolUseId: item.id, scope } : { type: 'tool/refuse', toolUseId: item.id });
      }
      return;
    }
    case 'restore-here': {
      const item = itemOf(control, host);
      if (item !== undefined) {
        host.post({ type: 'checkpoint/restore', itemId: item.id });
      }
      return;
    }
    case 'msg-copy': {
      const item = itemOf(control, host);
      if (item?.kind === 'user' || item?.kind === 'assistant') {
        host.post({ type: 'code/copy', code: item.text });
        flashIcon(control, 'check');
        host.announce('Message copied');
      }
      return;
    }
    case 'msg-quote': {
      const item = itemOf(control, host);
      if (item?.kind === 'user' || item?.kind === 'assistant') {
        host.insertIntoPrompt(quote(item.text));
      }
      return;
    }
    case 'quote-item': {
      const item = control.dataset.itemId === undefined ? undefined : host.find(control.dataset.itemId);
      if (item?.kind === 'user' || item?.kind === 'assistant') {
        host.insertIntoPrompt(quote(item.text));
      }
      return;
    }
    case 'quote-file':
      if (control.dataset.label !== undefined) {
        host.insertIntoPrompt(`\`${control.dataset.label}\``);
      }
      return;
    case 'long-text-toggle': {
      const item = itemOf(control, host);
      if (item !== undefined) {
        host.toggleLongText(item.id, control);
      }
      return;
    }
    default:
      assertNever(action);
  }
}

/** The item a control belongs to. */
function itemOf(control: HTMLElement, host: TimelineActionHost): TimelineItem | undefined {
  const id = control.closest<HTMLElement>('.entry[data-id]')?.dataset.id;
  return id === undefined ? undefined : host.find(id);
}

function codeAction(action: 'code-copy' | 'code-insert' | 'code-apply', control: HTMLElement, host: TimelineActionHost): void {
  const code = control.closest('.code-block')?.querySelector('pre code');
  if (!code) {
    return;
  }
  const text = code.textContent ?? '';
  const language = Array.from(code.classList)
    .find((name) => name.startsWith('language-'))
    ?.slice('language-'.length);
  const path = control.closest<HTMLElement>('.code-block')?.dataset.path;
  switch (action) {
    case 'code-copy':
      host.post({ type: 'code/copy', code: text });
      flashIcon(control, 'check');
      host.announce('Code copied');
      return;
    case 'code-insert':
      host.post({ type: 'code/insert', code: text });
      return;
    case 'code-apply':
      if (host.isTrusted()) {
        host.post({ type: 'code/apply', code: text, language, path });
      }
      return;
    default:
      assertNever(action);
  }
}

/** Markdown quote of a message, to bring it back into the prompt. */
function quote(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');
}

/** Briefly swaps a button's icon as feedback (e.g. a check after Copy). */
function flashIcon(control: HTMLElement, name: string): void {
  const iconEl = control.querySelector('.codicon');
  if (iconEl === null) {
    return;
  }
  const original = iconEl.className;
  iconEl.className = `codicon codicon-${name}`;
  setTimeout(() => {
    iconEl.className = original;
  }, 1500);
}
