// The `@` picker: a listbox above the prompt, driven from the prompt's keyboard (the prompt keeps the
// focus, `aria-activedescendant` points at the active option). Results stream in from the host with
// the id of the query they answer; stale answers are dropped, so typing is never held up.
import type { ContextItem, ToHost, ToWebview } from '../shared/protocol';
import { KIND_ICONS } from './chips';
import { h, icon } from './dom';

export interface PickerHost {
  post(message: ToHost): void;
  /** The user chose an item. */
  onPick(item: ContextItem): void;
  /** The picker opened or closed, or its active option changed (for the prompt's ARIA attributes). */
  onStateChange(open: boolean, activeOptionId: string | undefined): void;
}


export class Picker {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private items: ContextItem[] = [];
  private active = 0;
  private queryId = 0;
  private open = false;
  private lastQuery: string | undefined;

  constructor(private readonly host: PickerHost) {
    this.list = h('div', { class: 'picker-list', attrs: { role: 'listbox', id: 'context-picker', 'aria-label': 'Attach context' } });
    this.status = h('div', { class: 'picker-status', attrs: { 'aria-live': 'polite' } });
    this.element = h('div', { class: 'picker', testid: 'picker', hidden: true }, this.list, this.status);
    // Keep the prompt focused while the mouse picks.
    this.element.addEventListener('mousedown', (event) => event.preventDefault());
    this.list.addEventListener('click', (event) => {
      const option = (event.target as HTMLElement).closest<HTMLElement>('[data-index]');
      const item = option ? this.items[Number(option.dataset.index)] : undefined;
      if (item) {
        this.host.onPick(item);
      }
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Opens the picker (if closed) and asks the host for `query`. */
  search(query: string): void {
    if (this.open && query === this.lastQuery) {
      return;
    }
    this.lastQuery = query;
    if (!this.open) {
      this.open = true;
      this.element.hidden = false;
      this.items = [];
      this.render();
      this.status.textContent = 'Searching…';
    }
    this.queryId++;
    this.host.post({ type: 'context/query', queryId: this.queryId, query });
  }

  close(): void {
    if (!this.open) {
      return;
    }
    this.open = false;
    this.lastQuery = undefined;
    this.element.hidden = true;
    this.items = [];
    this.list.replaceChildren();
    this.host.onStateChange(false, undefined);
  }

  /** A batch of results; each replaces the list for its query. */
  showResults(message: Extract<ToWebview, { type: 'context/results' }>): void {
    if (!this.open || message.queryId !== this.queryId) {
      return;
    }
    const activeId = this.items[this.active]?.id;
    this.items = message.items;
    const kept = activeId === undefined ? -1 : this.items.findIndex((item) => item.id === activeId);
    // While results stream in, the first (best) one stays active unless the user moved.
    this.active = kept > 0 ? kept : 0;
    this.render();
    this.status.textContent =
      message.status ?? (this.items.length === 0 ? 'Nothing matches. Keep typing, or press Escape.' : `${this.items.length} ${this.items.length === 1 ? 'result' : 'results'}`);
  }

  /** Keys for the picker while it is open; returns whether the key was used. */
  handleKey(event: KeyboardEvent): boolean {
    if (!this.open) {
      return false;
    }
    switch (event.key) {
      case 'ArrowDown':
        this.move(1);
        break;
      case 'ArrowUp':
        this.move(-1);
        break;
      case 'PageDown':
        this.move(8);
        break;
      case 'PageUp':
        this.move(-8);
        break;
      case 'Enter':
      case 'Tab': {
        if (event.shiftKey) {
          return false;
        }
        const item = this.items[this.active];
        if (!item) {
          // Nothing to pick yet: swallow Enter so a half-typed `@` is not sent.
          event.preventDefault();
          return true;
        }
        this.host.onPick(item);
        break;
      }
      case 'Escape':
        this.close();
        break;
      default:
        return false;
    }
    event.preventDefault();
    event.stopPropagation();
    return true;
  }

  private move(delta: number): void {
    if (this.items.length === 0) {
      return;
    }
    this.active = Math.max(0, Math.min(this.items.length - 1, this.active + delta));
    this.render();
  }

  private render(): void {
    const options = this.items.map((item, index) => {
      const option = h(
        'div',
        { class: 'picker-item', testid: 'picker-item', attrs: { role: 'option', id: `context-option-${index}`, 'aria-selected': String(index === this.active) } },
        icon(item.kind === 'mcpPrompt' ? 'symbol-event' : (KIND_ICONS[item.kind] ?? 'file')),
        labelElement(item),
      );
      option.dataset.index = String(index);
      option.dataset.kind = item.kind;
      if (item.detail) {
        option.append(h('span', { class: 'picker-detail', text: item.detail }));
      }
      return option;
    });
    this.list.replaceChildren(...options);
    const active = options[this.active];
    active?.scrollIntoView({ block: 'nearest' });
    this.host.onStateChange(true, active?.id);
  }
}

/** A file shows its name first, then its folder; matched characters are highlighted in both. */
function labelElement(item: ContextItem): HTMLElement {
  const matches = new Set(item.matches ?? []);
  if (item.kind !== 'file' && item.kind !== 'folder') {
    return h('span', { class: 'picker-label' }, h('span', { class: 'picker-name' }, ...highlight(item.label, 0, matches)));
  }
  const slash = item.label.lastIndexOf('/');
  const name = item.label.slice(slash + 1);
  const folder = slash > 0 ? item.label.slice(0, slash) : '';
  const label = h('span', { class: 'picker-label' }, h('span', { class: 'picker-name' }, ...highlight(name, slash + 1, matches)));
  if (folder !== '') {
    label.append(h('span', { class: 'picker-path' }, ...highlight(folder, 0, matches)));
  }
  return label;
}

function highlight(text: string, offset: number, matches: ReadonlySet<number>): Array<Node | string> {
  const parts: Array<Node | string> = [];
  let run = '';
  let marked = false;
  const flush = () => {
    if (run !== '') {
      parts.push(marked ? h('mark', { text: run }) : run);
      run = '';
    }
  };
  for (let i = 0; i < text.length; i++) {
    const isMatch = matches.has(offset + i);
    if (isMatch !== marked) {
      flush();
      marked = isMatch;
    }
    run += text[i];
  }
  flush();
  return parts;
}

/**
 * The `@` word the caret is in: its start and the query after `@`, or undefined. An `@` counts only at
 * the start or after whitespace, so e-mail addresses do not open the picker.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  // A `/` command (an MCP server's prompt) is the first word of the message; its query keeps the slash.
  const slash = /^\/([^\s/]*)$/.exec(before);
  if (slash) {
    return { start: 0, query: before };
  }
  const match = /(^|\s)@([^\s@]*)$/.exec(before);
  if (!match) {
    return undefined;
  }
  const query = match[2] ?? '';
  return { start: caret - query.length - 1, query };
}
