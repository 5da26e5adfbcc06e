// The thinking section of an answer: a collapsed "Thinking…" line above the text that streams the
// reasoning into a bounded, expandable body, then reads "Thought for 4s · 1.2k tokens". Redacted
// reasoning is named as such, reasoning the API left out (display "omitted") is a quiet line, and
// progress updates are short lines of their own. All thinking text reaches the DOM as textContent.
import type { ThinkingView } from '../shared/protocol';
import { h, icon } from './dom';
import { thinkingLabel, type ThinkingState } from './thinkingState';

export { appendThinking, emptyThinkingView, endThinking, thinkingState, type ThinkingState } from './thinkingState';

/** The mounted section of each state (an answer windowed out has none until it is shown again). */
const sections = new WeakMap<ThinkingState, HTMLElement>();

export function thinkingSectionOf(state: ThinkingState): HTMLElement | null {
  return sections.get(state) ?? null;
}

function readable(view: ThinkingView): boolean {
  return view.text.trim() !== '' || view.redacted > 0;
}

function measured(state: ThinkingState): number | undefined {
  return state.startedAt !== undefined && state.endedAt !== undefined ? state.endedAt - state.startedAt : undefined;
}

function renderInto(section: HTMLElement, state: ThinkingState, streaming: boolean): void {
  const view = state.view;
  const label = thinkingLabel(view, streaming, measured(state));
  section.dataset.streaming = streaming ? 'true' : 'false';
  section.replaceChildren();
  if (readable(view)) {
    const details = h('details', { class: 'thinking-details' });
    details.open = state.open;
    const preview = streaming && !state.open ? view.text.slice(-160).replace(/\s+/g, ' ').trim() : '';
    const summary = h(
      'summary',
      { class: 'thinking-summary', testid: 'thinking-toggle', title: state.open ? 'Hide the reasoning' : 'Show the reasoning' },
      icon('chevron-right', 'thinking-chevron'),
      icon('lightbulb', 'thinking-icon'),
      h('span', { class: 'thinking-label', text: label }),
      h('span', { class: 'thinking-preview', text: preview }),
    );
    const body = h('div', { class: 'thinking-body', testid: 'thinking-body', text: view.text });
    details.append(summary, body);
    if (view.redacted > 0) {
      details.append(
        h('p', {
          class: 'thinking-redacted',
          testid: 'thinking-redacted',
          text: view.redacted === 1 ? 'Part of the reasoning was redacted for safety; it is kept, encrypted, and sent back as received.' : `${view.redacted} parts of the reasoning were redacted for safety; they are kept, encrypted, and sent back as received.`,
        }),
      );
    }
    details.addEventListener('toggle', () => {
      state.open = details.open;
      const previewEl = summary.querySelector('.thinking-preview');
      if (previewEl) {
        previewEl.textContent = '';
      }
    });
    section.append(details);
  } else if (view.hidden || streaming) {
    // Reasoning the API left out: nothing to expand, only that it happened.
    const quiet = h('div', { class: 'thinking-quiet', testid: 'thinking-quiet', title: 'Claude reasoned before answering; the API did not return the text (display: omitted).' }, icon('lightbulb', 'thinking-icon'), h('span', { class: 'thinking-label', text: label }));
    section.append(quiet);
  }
  if (view.updates.length > 0) {
    section.append(h('ul', { class: 'thinking-updates', testid: 'thinking-updates', attrs: { 'aria-label': 'Progress updates' } }, ...view.updates.map((update) => h('li', { text: update }))));
  }
}

/** The section's element; `streaming` while the answer is still thinking. */
export function createThinkingSection(state: ThinkingState, streaming: boolean): HTMLElement {
  const section = h('div', { class: 'thinking', testid: 'thinking' });
  renderInto(section, state, streaming);
  sections.set(state, section);
  state.pending = '';
  state.dirty = false;
  return section;
}

/** Brings a mounted section up to date: streamed text is appended, the label and updates redrawn. */
export function flushThinking(state: ThinkingState, streaming: boolean): void {
  const section = sections.get(state);
  if (!state.dirty || section === undefined) {
    return;
  }
  state.dirty = false;
  const body = section.querySelector('.thinking-body');
  const label = section.querySelector('.thinking-label');
  const preview = section.querySelector('.thinking-preview');
  const sameShape = body !== null && label !== null && section.querySelectorAll('.thinking-updates li').length === state.view.updates.length && section.querySelector('.thinking-redacted') === null && state.view.redacted === 0;
  if (sameShape && state.pending !== '') {
    body.append(document.createTextNode(state.pending));
    label.textContent = thinkingLabel(state.view, streaming, measured(state));
    if (preview !== null && !state.open) {
      preview.textContent = streaming ? state.view.text.slice(-160).replace(/\s+/g, ' ').trim() : '';
    }
  } else {
    renderInto(section, state, streaming);
  }
  state.pending = '';
}

/** Height of a collapsed section, for the timeline's first guess before measuring. */
export function estimateThinkingHeight(view: ThinkingView | undefined): number {
  if (view === undefined || !(readable(view) || view.hidden || view.updates.length > 0)) {
    return 0;
  }
  return (readable(view) || view.hidden ? 26 : 0) + 18 * view.updates.length;
}
