// The answers still streaming in the timeline: a delta re-renders only the open markdown block of
// its answer (at most once per frame), and the final answer replaces the stream without
// re-rendering the blocks that were finished already.
import type { TimelineItem } from '../shared/protocol';
import { drainStream, newStream, renderAssistantChrome, type Entry } from './items';
import { fragmentHtml, renderMarkdown } from './markdown';
import { appendThinking, createThinkingSection, emptyThinkingView, endThinking, flushThinking, thinkingSectionOf, thinkingState } from './thinking';

/** Puts an answer's thinking section in its element (above the text), or brings it up to date. */
function syncThinking(entry: Entry): void {
  const state = entry.thinking;
  if (state === null || entry.el === null) {
    return;
  }
  const streaming = entry.stream !== null && state.endedAt === undefined;
  const section = thinkingSectionOf(state);
  if (section === null || !entry.el.contains(section)) {
    // A new state (the stored view replacing the streamed one at the end) takes the old section's place:
    // an answer shows one thinking section, never the streamed one and the stored one.
    const fresh = createThinkingSection(state, streaming);
    const previous = entry.el.querySelector(':scope > .thinking');
    if (previous !== null) {
      previous.replaceWith(fresh);
    } else {
      entry.el.querySelector('.msg-head')?.after(fresh);
    }
  } else {
    flushThinking(state, streaming);
  }
}

export class TimelineStreams {
  private readonly open = new Set<Entry>();

  /** Continues the stream of an item that arrives mid-answer (a bootstrap during a turn). */
  adopt(entry: Entry): void {
    const item = entry.item;
    if (item.kind === 'assistant' && item.status === 'streaming') {
      entry.stream = newStream();
      entry.stream.splitter.append(item.text);
      this.open.add(entry);
    }
  }

  /** Starts the stream of a new, empty answer. */
  start(entry: Entry): void {
    entry.stream ??= newStream();
    this.open.add(entry);
  }

  /** Adds text to a streaming answer; false if `entry` is not one. */
  append(entry: Entry, text: string): boolean {
    if (entry.stream === null || entry.item.kind !== 'assistant') {
      return false;
    }
    entry.item = { ...entry.item, text: entry.item.text + text };
    entry.stream.splitter.append(text);
    entry.stream.dirty = true;
    if (entry.thinking !== null) {
      endThinking(entry.thinking, Date.now());
    }
    return true;
  }

  /** Adds streamed thinking to an answer; false if `entry` is not a streaming answer. */
  think(entry: Entry, part: 'reasoning' | 'update' | 'redacted', text: string, start: boolean): boolean {
    if (entry.stream === null || entry.item.kind !== 'assistant') {
      return false;
    }
    entry.thinking ??= thinkingState(emptyThinkingView());
    if (entry.thinking === null) {
      return false;
    }
    // Text before a progress update ends the thinking time; the update itself is not reasoning.
    if (part === 'update') {
      endThinking(entry.thinking, Date.now());
    }
    appendThinking(entry.thinking, part, text, start, Date.now());
    entry.stream.dirty = true;
    return true;
  }

  /**
   * Turns a streaming answer into its final form in place, when the final text continues what
   * streamed; false when the entry must be rendered afresh instead.
   */
  finish(entry: Entry, item: TimelineItem): boolean {
    const stream = entry.stream;
    if (stream === null || entry.item.kind !== 'assistant' || item.kind !== 'assistant') {
      return false;
    }
    const streamed = entry.item.text;
    if (!item.text.startsWith(streamed)) {
      return false;
    }
    stream.splitter.append(item.text.slice(streamed.length));
    const finals = stream.splitter.finish().map((block) => renderMarkdown(block));
    const finalHtml = finals.map(fragmentHtml);
    entry.html = [...stream.finishedHtml, ...finalHtml].join('');
    if (entry.el !== null && stream.finishedEl !== null) {
      // Unwrap the streaming parts: the rendered blocks move as they are, nothing is re-parsed.
      stream.finishedEl.append(...finals);
      stream.finishedEl.parentElement?.replaceChildren(...Array.from(stream.finishedEl.childNodes));
      renderAssistantChrome(entry.el, item);
    }
    this.forget(entry);
    entry.item = item;
    if (item.thinking !== undefined) {
      // The stored view (tokens, the engine's measured time) replaces the streamed one; open stays open.
      const open = entry.thinking?.open ?? false;
      const measured = entry.thinking?.startedAt !== undefined ? entry.thinking : null;
      entry.thinking = thinkingState(item.thinking, open);
      if (entry.thinking !== null && measured !== null) {
        entry.thinking.startedAt = measured.startedAt;
        entry.thinking.endedAt = measured.endedAt ?? Date.now();
      }
      syncThinking(entry);
    }
    return true;
  }

  /** Stops tracking an entry (finished, replaced or removed). */
  forget(entry: Entry): void {
    entry.stream = null;
    this.open.delete(entry);
  }

  clear(): void {
    this.open.clear();
  }

  /** The answers still streaming, oldest first. */
  entries(): Entry[] {
    return Array.from(this.open);
  }

  /** Renders what arrived since the last frame; true if a mounted answer grew. */
  flush(): boolean {
    let grew = false;
    for (const entry of this.open) {
      const stream = entry.stream;
      if (stream === null || !stream.dirty) {
        continue;
      }
      stream.dirty = false;
      syncThinking(entry);
      drainStream(stream);
      stream.openEl?.replaceChildren(renderMarkdown(stream.splitter.renderableOpenBlock()));
      grew = entry.el !== null || grew;
    }
    return grew;
  }
}
