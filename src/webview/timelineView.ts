// The conversation timeline as the rest of the page sees it: the scroll container with its
// virtual window (`timelineWindow.ts`), the streaming answers (`timelineStream.ts`), the clicks on
// its buttons (`timelineActions.ts`), pages of older items loaded on scroll, search-hit focus and
// the banner over summarized segments. Work is coalesced into one animation frame.
import type { TimelineItem, ToHost } from '../shared/protocol';
import { h } from './dom';
import type { ChatRequests } from './chatRequests';
import type { AssistantItem, ItemContext } from './items';
import { handleTimelineClick } from './timelineActions';
import { TimelineStreams } from './timelineStream';
import { setMessageTextExpanded } from './longTextView';
import { longText } from './longText';
import { TimelineWindow } from './timelineWindow';
import type { ScrollMemory } from './vscode';

const LOAD_OLDER_TIMEOUT_MS = 15_000;
/** How long a focused item (a search hit) stays highlighted. */
const FLASH_MS = 2500;

export interface TimelineHost {
  post(message: ToHost): void;
  requests: ChatRequests;
  insertIntoPrompt(text: string): void;
  announce(text: string): void;
  isTrusted(): boolean;
  onScrollMemory(memory: ScrollMemory): void;
  onEmptyChange(empty: boolean): void;
}

export class TimelineView {
  /** The scroll container, `role="log"`. */
  readonly element: HTMLElement;
  /** Overlay shown while the top of the viewport lies in an earlier (summarized) segment. */
  readonly segmentBanner: HTMLElement;

  private readonly loadingEl: HTMLElement;
  private readonly window: TimelineWindow;
  private readonly streams = new TimelineStreams();
  private conversationId = '';
  private hasOlder = false;
  private loadingOlder = false;
  private loadingTimer: ReturnType<typeof setTimeout> | undefined;
  private framePending = false;
  private windowDirty = false;
  private wasEmpty: boolean | undefined;
  /** An item to show once older pages bring it in (a search hit further back than the tail). */
  private pendingFocus: string | undefined;

  constructor(private readonly host: TimelineHost) {
    this.loadingEl = h('div', { class: 'timeline-loading', text: 'Loading earlier messages…', hidden: true });
    const topSpacer = h('div', { class: 'spacer' });
    const list = h('div', { class: 'timeline-list' });
    const bottomSpacer = h('div', { class: 'spacer' });
    this.element = h(
      'div',
      {
        class: 'timeline',
        testid: 'timeline',
        // The dedicated live region announces finished answers; the log itself stays quiet so
        // a screen reader does not read every streamed delta.
        attrs: { role: 'log', 'aria-label': 'Conversation', 'aria-live': 'off', tabindex: '0' },
      },
      this.loadingEl,
      topSpacer,
      list,
      bottomSpacer,
    );
    this.segmentBanner = h(
      'div',
      { class: 'segment-banner', hidden: true, attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'codicon codicon-history' }),
      h('span', { text: 'Earlier — the model sees this part as a summary' }),
    );
    const itemContext: ItemContext = {
      find: (id) => this.window.get(id)?.item,
      segmentBefore: (id) => this.window.segmentBefore(id, this.hasOlder),
    };
    this.window = new TimelineWindow({
      scroller: this.element,
      topSpacer,
      list,
      bottomSpacer,
      itemContext,
      streams: this.streams,
      onStructureChange: () => this.reportEmpty(),
      schedule: (windowChanged) => this.schedule(windowChanged),
    });
    this.element.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.element.addEventListener('click', (event) =>
      handleTimelineClick(event, {
        post: (message) => this.host.post(message),
        requests: this.host.requests,
        insertIntoPrompt: (text) => this.host.insertIntoPrompt(text),
        announce: (text) => this.host.announce(text),
        isTrusted: () => this.host.isTrusted(),
        find: (id) => this.window.get(id)?.item,
        toggleLongText: (id, control) => this.toggleLongText(id, control),
      }),
    );
    this.element.addEventListener('auxclick', (event) => {
      if (event.target instanceof Element && event.target.closest('a') !== null) {
        event.preventDefault();
      }
    });
    new ResizeObserver(() => {
      if (this.window.stick) {
        this.window.scrollToEnd();
      }
      this.schedule(true);
    }).observe(this.element);
  }

  // ---------------------------------------------------------------- whole-list changes

  /** Shows a conversation from scratch (bootstrap or switch). */
  reset(conversationId: string, items: TimelineItem[], hasOlder: boolean, memory?: ScrollMemory): void {
    this.pendingFocus = undefined;
    this.conversationId = conversationId;
    this.hasOlder = hasOlder;
    this.setLoadingOlder(false);
    this.window.reset(items, memory);
  }

  /** Prepends items the host loaded from disk, keeping what the user looks at in place. */
  prependOlder(conversationId: string, items: TimelineItem[], hasOlder: boolean): void {
    if (conversationId !== this.conversationId) {
      return;
    }
    const anchor = this.window.findAnchor();
    this.setLoadingOlder(false);
    this.hasOlder = hasOlder;
    this.window.prepend(items, anchor);
    this.continueFocus();
  }

  /**
   * Scrolls to an item and highlights it (a search hit). An item older than what is loaded is
   * fetched page by page, as if the user scrolled up, so the host never sends the whole history.
   */
  focusItem(id: string): void {
    const index = this.window.indexOf(id);
    if (index < 0) {
      if (this.hasOlder) {
        this.pendingFocus = id;
        this.requestOlder();
      } else {
        this.pendingFocus = undefined;
        this.host.announce('That message is no longer shown in this conversation: it was replaced by an edit.');
      }
      return;
    }
    this.pendingFocus = undefined;
    const target = this.window.at(index);
    if (target?.item.kind === 'user' && !target.expanded && longText(target.item.text).long) {
      // A search hit can lie in the hidden part of a long message: it opens whole.
      target.expanded = true;
      if (target.el) {
        setMessageTextExpanded(target.el, target.item.text, true);
      }
    }
    const element = this.window.reveal(index);
    if (element) {
      element.classList.add('flash');
      setTimeout(() => element.classList.remove('flash'), FLASH_MS);
      element.tabIndex = -1;
      element.focus({ preventScroll: true });
    }
    this.window.afterStructureChange();
    this.schedule(true);
    this.host.onScrollMemory(this.scrollMemory());
  }

  private continueFocus(): void {
    if (this.pendingFocus !== undefined) {
      this.focusItem(this.pendingFocus);
    }
  }

  // ---------------------------------------------------------------- single items

  append(item: TimelineItem): void {
    this.window.append(item);
  }

  /** Adds or updates an item that arrives on its own (`chat/item`). */
  upsert(item: TimelineItem): void {
    if (this.window.get(item.id) !== undefined) {
      this.replace(item);
      return;
    }
    // A compaction arrives before the answer it precedes: keep it above an answer still empty.
    const last = this.window.at(this.window.length - 1);
    if (item.kind === 'compaction' && last !== undefined && last.stream !== null && last.item.kind === 'assistant' && last.item.text === '') {
      this.window.insertAt(this.window.length - 1, this.window.createEntry(item));
      return;
    }
    this.append(item);
  }

  replace(item: TimelineItem): void {
    this.window.replace(item);
  }

  /** Marks tool cards whose result the server cleared from the model's context (cards not loaded are skipped). */
  markCleared(cleared: ReadonlyArray<{ id: string; tokens: number }>): void {
    for (const { id, tokens } of cleared) {
      const item = this.window.get(id)?.item;
      if (item?.kind === 'tool') {
        this.replace({ ...item, clearedTokens: tokens });
      }
    }
  }

  /** Removes one item (an answer that held only tool calls, shown as their cards). */
  remove(id: string): void {
    const entry = this.window.get(id);
    if (entry !== undefined) {
      this.window.removeEntry(entry);
      this.schedule(true);
    }
  }

  /** Removes the error cards after the last user message (their turn has been answered since). */
  dropAnsweredErrors(): void {
    for (let index = this.window.length - 1; index >= 0; index--) {
      const entry = this.window.at(index);
      if (entry === undefined || entry.item.kind === 'user') {
        break;
      }
      if (entry.item.kind === 'error') {
        this.remove(entry.item.id);
      }
    }
  }

  /** Removes an item and everything after it (a user message that was edited and re-sent). */
  removeFrom(id: string): void {
    const index = this.window.indexOf(id);
    if (index >= 0) {
      this.window.truncate(index);
    }
  }

  /**
   * Closes answers still streaming that will get no `chat/done` (the turn ended or moved on):
   * an empty one is dropped, one with text is kept and marked interrupted.
   */
  settleStreams(): void {
    for (const entry of this.streams.entries()) {
      if (entry.item.kind !== 'assistant') {
        continue;
      }
      if (entry.item.text.trim() === '') {
        this.window.removeEntry(entry);
      } else {
        this.finishStream({ ...entry.item, status: 'interrupted' });
      }
    }
  }

  // ---------------------------------------------------------------- streaming

  startStream(item: AssistantItem): void {
    const entry = this.window.createEntry(item);
    this.streams.start(entry);
    this.window.stick = true;
    this.window.insertAt(this.window.length, entry);
    this.window.scrollToEnd();
  }

  appendDelta(id: string, text: string): void {
    const entry = this.window.get(id);
    if (entry !== undefined && this.streams.append(entry, text)) {
      this.schedule(false);
    }
  }

  appendThinking(id: string, part: 'reasoning' | 'update' | 'redacted', text: string, start: boolean): void {
    const entry = this.window.get(id);
    if (entry !== undefined && this.streams.think(entry, part, text, start)) {
      this.schedule(false);
    }
  }

  /** Replaces a streaming answer by its final form without re-rendering finished blocks. */
  finishStream(item: TimelineItem): void {
    const entry = this.window.get(item.id);
    if (entry === undefined) {
      this.append(item);
      return;
    }
    if (!this.streams.finish(entry, item)) {
      this.replace(item); // not streaming, or the final text differs from what streamed: render it afresh
      return;
    }
    this.window.afterStructureChange();
    this.schedule(true);
  }

  /**
   * Expands or collapses a long message in place. What the user looks at stays put: the start of
   * the text when expanding, the toggle under the pointer when collapsing; the end is not followed.
   */
  private toggleLongText(id: string, control: HTMLElement): void {
    const entry = this.window.get(id);
    const element = entry?.el;
    if (entry === undefined || !element || entry.item.kind !== 'user') {
      return;
    }
    entry.expanded = !entry.expanded;
    const still = (entry.expanded ? element.querySelector<HTMLElement>('.long-text') : null) ?? control;
    const anchor = { el: still, top: still.getBoundingClientRect().top };
    this.window.stick = false;
    setMessageTextExpanded(element, entry.item.text, entry.expanded);
    this.window.remeasure(entry, anchor);
    this.host.onScrollMemory(this.scrollMemory());
  }

  // ---------------------------------------------------------------- queries

  isEmpty(): boolean {
    return this.window.length === 0 && !this.hasOlder;
  }

  lastUserText(): string | undefined {
    const entry = this.window.at(this.window.lastIndexOf('user'));
    return entry?.item.kind === 'user' ? entry.item.text : undefined;
  }

  scrollToEnd(): void {
    this.window.scrollToEnd();
  }

  scrollMemory(): ScrollMemory {
    return this.window.scrollMemory();
  }

  // ---------------------------------------------------------------- internals

  private reportEmpty(): void {
    const empty = this.isEmpty();
    if (empty !== this.wasEmpty) {
      this.wasEmpty = empty;
      this.host.onEmptyChange(empty);
    }
  }

  /** Coalesces work into one animation frame: stream rendering and window maintenance. */
  private schedule(windowChanged: boolean): void {
    this.windowDirty ||= windowChanged;
    if (this.framePending) {
      return;
    }
    this.framePending = true;
    requestAnimationFrame(() => {
      this.framePending = false;
      this.onFrame();
    });
  }

  private onFrame(): void {
    const follow = this.window.stick;
    const grew = this.streams.flush();
    if (this.windowDirty || grew) {
      this.windowDirty = false;
      this.window.updateWindow();
    }
    if (follow) {
      this.window.scrollToEnd();
    }
    this.segmentBanner.hidden = !this.window.showsEarlierSegment();
    this.maybeLoadOlder();
  }

  private onScroll(): void {
    this.window.onScroll();
    this.schedule(true);
    this.host.onScrollMemory(this.scrollMemory());
  }

  private maybeLoadOlder(): void {
    if (!this.hasOlder || this.loadingOlder || this.window.firstRendered !== 0) {
      return;
    }
    const first = this.window.at(0);
    if (first === undefined || this.element.scrollTop > this.window.viewportHeight()) {
      return;
    }
    this.requestOlder();
  }

  private requestOlder(): void {
    const first = this.window.at(0);
    if (this.loadingOlder || first === undefined) {
      return;
    }
    this.setLoadingOlder(true);
    this.host.post({ type: 'timeline/loadOlder', conversationId: this.conversationId, beforeId: first.item.id });
  }

  private setLoadingOlder(loading: boolean): void {
    this.loadingOlder = loading;
    this.loadingEl.hidden = !loading;
    clearTimeout(this.loadingTimer);
    this.loadingTimer = loading ? setTimeout(() => this.setLoadingOlder(false), LOAD_OLDER_TIMEOUT_MS) : undefined;
  }
}
