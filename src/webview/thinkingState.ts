// The state of an answer's thinking as it streams and as stored, and its one-line label; DOM-free,
// so that the view's rules are unit-tested (the section's DOM is in thinking.ts).
import type { ThinkingView } from '../shared/protocol';
import { formatTokens } from './format';

/** Live state of an answer's thinking, kept on its timeline entry (also while windowed out). */
export interface ThinkingState {
  view: ThinkingView;
  /** The section is expanded. */
  open: boolean;
  /** When this view saw the first thinking, and the first visible answer after it. */
  startedAt?: number;
  endedAt?: number;
  /** Text streamed since the last frame, appended to the mounted body then. */
  pending: string;
  dirty: boolean;
}

export function emptyThinkingView(): ThinkingView {
  return { text: '', hidden: false, redacted: 0, updates: [] };
}

export function thinkingState(view: ThinkingView | undefined, open = false): ThinkingState | null {
  return view ? { view, open, pending: '', dirty: false } : null;
}

/** Adds streamed thinking to the state; the DOM catches up at the next frame. */
export function appendThinking(state: ThinkingState, part: 'reasoning' | 'update' | 'redacted', text: string, start: boolean, now: number): void {
  const view = state.view;
  state.startedAt ??= now;
  if (part === 'redacted') {
    state.view = { ...view, redacted: view.redacted + (start ? 1 : 0) };
  } else if (part === 'update') {
    const updates = start ? [...view.updates, text] : [...view.updates.slice(0, -1), (view.updates.at(-1) ?? '') + text];
    state.view = { ...view, updates };
  } else {
    const joiner = start && view.text !== '' ? '\n\n' : '';
    state.view = { ...view, text: view.text + joiner + text, hidden: view.hidden || (start && text === '') };
    state.pending += joiner + text;
  }
  state.dirty = true;
}

/** The first visible answer ends the thinking time, as the user sees it. */
export function endThinking(state: ThinkingState, now: number): void {
  if (state.startedAt !== undefined && state.endedAt === undefined) {
    state.endedAt = now;
    state.dirty = true;
  }
}

function seconds(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${s % 60}s`;
}

/** The one-line label: "Thinking…" while it streams, then how long and how many tokens. */
export function thinkingLabel(view: ThinkingView, streaming: boolean, measuredMs?: number): string {
  if (streaming) {
    return 'Thinking…';
  }
  const ms = view.durationMs ?? measuredMs;
  const parts = [ms !== undefined ? `Thought for ${seconds(ms)}` : 'Thought'];
  if (view.tokens !== undefined) {
    parts.push(`${formatTokens(view.tokens)} tokens`);
  }
  return parts.join(' · ');
}
