// Small DOM helpers. Text always goes in through `textContent`; nothing here parses HTML.
import type { ButtonAction } from './actions';

export interface ElementProps {
  class?: string;
  testid?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
  hidden?: boolean;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class !== undefined) {
    element.className = props.class;
  }
  if (props.testid !== undefined) {
    element.dataset.testid = props.testid;
  }
  if (props.title !== undefined) {
    element.title = props.title;
  }
  if (props.hidden === true) {
    element.hidden = true;
  }
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    element.setAttribute(name, value);
  }
  if (props.text !== undefined) {
    element.textContent = props.text;
  }
  for (const child of children) {
    element.append(child);
  }
  return element;
}

/** A decorative codicon; the surrounding control carries the accessible name. */
export function icon(name: string, extraClass = ''): HTMLSpanElement {
  const span = h('span', { class: `codicon codicon-${name}${extraClass ? ` ${extraClass}` : ''}` });
  span.setAttribute('aria-hidden', 'true');
  return span;
}

export interface ButtonOptions {
  label: string;
  icon?: string;
  /** Visible text; without it the button is icon-only and `label` is its accessible name. */
  text?: string;
  testid?: string;
  action?: ButtonAction;
  class?: string;
  title?: string;
}

export function button(options: ButtonOptions): HTMLButtonElement {
  const kind = options.text === undefined ? 'icon-button' : 'text-button';
  const element = h('button', {
    class: `${kind}${options.class ? ` ${options.class}` : ''}`,
    testid: options.testid,
    title: options.title ?? options.label,
    attrs: { type: 'button', 'aria-label': options.label },
  });
  if (options.action !== undefined) {
    element.dataset.action = options.action;
  }
  if (options.icon !== undefined) {
    element.append(icon(options.icon));
  }
  if (options.text !== undefined) {
    element.append(h('span', { text: options.text }));
  }
  return element;
}

/**
 * Plain text whose `code` spans become code elements, for notices and error cards: their sentences come
 * from the host and from the API's own messages (which quote field names so), never as Markdown.
 */
export function textWithCode(text: string): Array<Node | string> {
  const parts: Array<Node | string> = [];
  let last = 0;
  for (const match of text.matchAll(/`([^`\n]+)`/g)) {
    parts.push(text.slice(last, match.index));
    parts.push(h('code', { text: match[1] }));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts.filter((part) => part !== '');
}

/** Whether the scroller shows its end (within a small tolerance for fractional pixels). */
export function isScrolledToBottom(scroller: HTMLElement, tolerance = 24): boolean {
  return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight <= tolerance;
}
