// The DOM of a message's text: shown whole, or, when long, as its first lines with a Show all / Show less button.
import { button, h, icon } from './dom';
import { longText, SHOW_LESS_LABEL, showAllLabel, type LongText } from './longText';

/**
 * The text block (with class `className`) and, for a long text, its toggle, collapsed unless
 * `expanded`. The toggle carries `data-action`: the timeline handles its clicks by delegation.
 */
export function messageTextElements(text: string, className: string, expanded: boolean, id: string): HTMLElement[] {
  const info = longText(text);
  const body = h('div', { class: className });
  if (!info.long) {
    body.textContent = text;
    return [body];
  }
  body.classList.add('long-text');
  body.id = `long-text-${id}`;
  // A text button whose icon, words and state render() fills in.
  const toggle = button({ label: '', text: '', action: 'long-text-toggle', testid: 'long-text-toggle', class: 'long-text-toggle' });
  toggle.setAttribute('aria-controls', body.id);
  render(body, toggle, text, info, expanded);
  return [body, toggle];
}

/** Expands or collapses the long text inside `element` (a message), in place: the toggle keeps its focus. */
export function setMessageTextExpanded(element: HTMLElement, text: string, expanded: boolean): void {
  const body = element.querySelector<HTMLElement>('.long-text');
  const toggle = element.querySelector<HTMLButtonElement>('.long-text-toggle');
  if (body !== null && toggle !== null) {
    render(body, toggle, text, longText(text), expanded);
  }
}

function render(body: HTMLElement, toggle: HTMLButtonElement, text: string, info: LongText, expanded: boolean): void {
  body.dataset.expanded = String(expanded);
  if (expanded) {
    body.textContent = text;
  } else {
    const more = h('span', { class: 'long-text-more', text: '…' });
    more.setAttribute('aria-hidden', 'true');
    body.replaceChildren(info.preview, more);
  }
  const label = expanded ? SHOW_LESS_LABEL : showAllLabel(info);
  toggle.setAttribute('aria-expanded', String(expanded));
  toggle.setAttribute('aria-label', label);
  toggle.title = expanded ? 'Show only the first lines' : 'Show the whole message';
  toggle.replaceChildren(icon(expanded ? 'chevron-up' : 'chevron-down'), h('span', { text: label }));
}
