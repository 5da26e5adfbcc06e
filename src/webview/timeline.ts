// The conversation timeline: a windowed list that stays fast for thousands of items.
//
// All items live in `entries`; only a contiguous range [start, end) is in the DOM, between two
// spacers whose heights stand in for the rest (measured heights where known, estimates
// otherwise). Appending mounts one element and never re-renders the list; a streamed delta
// re-renders only the open markdown block of its answer, at most once per animation frame.
import type { TimelineItem, ToHost } from '../shared/protocol';
import { h, isScrolledToBottom } from './dom';
import {
  createItemElement,
  drainStream,
  estimateHeight,
  newEntry,
  newStream,
  renderAssistantChrome,
  type AssistantItem,
  type Entry,
  type ItemContext,
} from './items';
import { fragmentHtml, renderMarkdown } from './markdown';
import type { ScrollMemory } from './vscode';

/** Upper bound on item elements in the DOM, whatever the viewport. */
const MAX_RENDERED = 200;
/** How far beyond the viewport (in viewport heights) items stay rendered. */
const OVERSCAN = 1.5;
const LOAD_OLDER_TIMEOUT_MS = 15_000;
/** How long a focused item (a search hit) stays highlighted. */
const FLASH_MS = 2500;

export interface TimelineHost {
  post(message: ToHost): void;
  insertIntoPrompt(text: string): void;
  announce(text: string): void;
  isTrusted(): boolean;
  onScrollMemory(memory: ScrollMemory): void;
  onEmptyChange(empty: boolean): void;
}

interface Anchor {
  el: HTMLElement;
  top: number;
}

export class Timeline {
  /** The scroll container, `role="log"`. */
  readonly element: HTMLElement;
  /** Overlay shown while the top of the viewport lies in an earlier (summarized) segment. */
  readonly segmentBanner: HTMLElement;

  private readonly loadingEl: HTMLElement;
  private readonly topSpacer: HTMLElement;
  private readonly list: HTMLElement;
  private readonly bottomSpacer: HTMLElement;

  private entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private readonly streams = new Set<Entry>();
  private start = 0;
  private end = 0;
  private conversationId = '';
  private hasOlder = false;
  private loadingOlder = false;
  private loadingTimer: ReturnType<typeof setTimeout> | undefined;
  /** Follow the end of the list (the user is at the bottom). */
  private stick = true;
  /** Index of the last successful compaction; items before it are an earlier segment. */
  private lastCompaction = -1;
  private framePending = false;
  private windowDirty = false;
  private wasEmpty: boolean | undefined;
  /** An item to show once older pages bring it in (a search hit further back than the tail). */
  private pendingFocus: string | undefined;
  private readonly itemContext: ItemContext = {
    find: (id) => this.byId.get(id)?.item,
    segmentBefore: (id) => this.segmentBefore(id),
  };

  constructor(private readonly host: TimelineHost) {
    this.loadingEl = h('div', { class: 'timeline-loading', text: 'Loading earlier messages…', hidden: true });
    this.topSpacer = h('div', { class: 'spacer' });
    this.list = h('div', { class: 'timeline-list' });
    this.bottomSpacer = h('div', { class: 'spacer' });
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
      this.topSpacer,
      this.list,
      this.bottomSpacer,
    );
    this.segmentBanner = h(
      'div',
      { class: 'segment-banner', hidden: true, attrs: { 'aria-hidden': 'true' } },
      h('span', { class: 'codicon codicon-history' }),
      h('span', { text: 'Earlier — the model sees this part as a summary' }),
    );
    this.element.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.element.addEventListener('click', (event) => this.onClick(event));
    this.element.addEventListener('auxclick', (event) => {
      if (event.target instanceof Element && event.target.closest('a') !== null) {
        event.preventDefault();
      }
    });
    new ResizeObserver(() => {
      if (this.stick) {
        this.scrollToEnd();
      }
      this.schedule(true);
    }).observe(this.element);
  }

  // ---------------------------------------------------------------- whole-list changes

  /** Shows a conversation from scratch (bootstrap or switch). */
  reset(conversationId: string, items: TimelineItem[], hasOlder: boolean, memory?: ScrollMemory): void {
    for (const entry of this.entries) {
      this.unmount(entry);
    }
    this.list.replaceChildren();
    this.byId.clear();
    this.streams.clear();
    this.pendingFocus = undefined;
    this.conversationId = conversationId;
    this.hasOlder = hasOlder;
    this.setLoadingOlder(false);
    this.entries = items.map((item) => this.createEntry(item));
    this.start = 0;
    this.end = 0;
    this.recomputeSegments();
    const anchorIndex = memory?.anchorId === undefined ? -1 : this.indexOf(memory.anchorId);
    if (memory !== undefined && !memory.atBottom && anchorIndex >= 0) {
      this.stick = false;
      const viewport = this.viewportHeight();
      const [from, to] = this.rangeAround(anchorIndex, viewport * OVERSCAN, viewport * (1 + OVERSCAN));
      this.reconcile(from, to, false);
      const anchorEl = this.entries[anchorIndex]?.el;
      if (anchorEl) {
        this.element.scrollTop = anchorEl.offsetTop - (memory.offset ?? 0);
      }
    } else {
      this.stick = true;
      this.updateWindow();
      this.scrollToEnd();
    }
    this.afterStructureChange();
  }

  /** Prepends items the host loaded from disk, keeping what the user looks at in place. */
  prependOlder(conversationId: string, items: TimelineItem[], hasOlder: boolean): void {
    if (conversationId !== this.conversationId) {
      return;
    }
    const anchor = this.findAnchor();
    this.setLoadingOlder(false);
    this.hasOlder = hasOlder;
    const fresh = items.filter((item) => !this.byId.has(item.id)).map((item) => this.createEntry(item));
    if (fresh.length === 0) {
      this.restoreAnchor(anchor);
      this.continueFocus();
      return;
    }
    this.entries = [...fresh, ...this.entries];
    this.start += fresh.length;
    this.end += fresh.length;
    this.setSpacers();
    this.restoreAnchor(anchor);
    this.recomputeSegments();
    this.afterStructureChange();
    this.schedule(true);
    this.continueFocus();
  }

  /**
   * Scrolls to an item and highlights it (a search hit). An item older than what is loaded is
   * fetched page by page, as if the user scrolled up, so the host never sends the whole history.
   */
  focusItem(id: string): void {
    const index = this.indexOf(id);
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
    this.stick = false;
    const viewport = this.viewportHeight();
    const [from, to] = this.rangeAround(index, viewport * OVERSCAN, viewport * (1 + OVERSCAN));
    this.reconcile(from, to, false);
    const element = this.entries[index]?.el;
    if (element) {
      this.element.scrollTop = Math.max(0, element.offsetTop - viewport / 4);
      element.classList.add('flash');
      setTimeout(() => element.classList.remove('flash'), FLASH_MS);
      element.tabIndex = -1;
      element.focus({ preventScroll: true });
    }
    this.afterStructureChange();
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
    this.insertAt(this.entries.length, this.createEntry(item));
  }

  /** Adds or updates an item that arrives on its own (`chat/item`). */
  upsert(item: TimelineItem): void {
    if (this.byId.has(item.id)) {
      this.replace(item);
      return;
    }
    // A compaction arrives before the answer it precedes: keep it above an answer still empty.
    const last = this.entries[this.entries.length - 1];
    if (item.kind === 'compaction' && last !== undefined && last.stream !== null && last.item.kind === 'assistant' && last.item.text === '') {
      this.insertAt(this.entries.length - 1, this.createEntry(item));
      return;
    }
    this.append(item);
  }

  replace(item: TimelineItem): void {
    const entry = this.byId.get(item.id);
    if (entry === undefined) {
      this.append(item);
      return;
    }
    entry.item = item;
    entry.html = null;
    if (entry.stream !== null && !(item.kind === 'assistant' && item.status === 'streaming')) {
      entry.stream = null;
      this.streams.delete(entry);
    }
    const old = entry.el;
    if (old !== null) {
      const anchor = this.findAnchor(old);
      old.replaceWith(this.mount(entry, this.entries.indexOf(entry)));
      this.restoreAnchor(anchor);
    }
    this.recomputeSegments();
    this.afterStructureChange();
  }

  /** Removes one item (an answer that held only tool calls, shown as their cards). */
  remove(id: string): void {
    const entry = this.byId.get(id);
    if (entry !== undefined) {
      this.removeEntry(entry);
      this.schedule(true);
    }
  }

  /** Removes an item and everything after it (a user message that was edited and re-sent). */
  removeFrom(id: string): void {
    const index = this.indexOf(id);
    if (index < 0) {
      return;
    }
    for (const entry of this.entries.slice(index)) {
      this.unmount(entry);
      this.byId.delete(entry.item.id);
      this.streams.delete(entry);
    }
    this.entries.length = index;
    this.end = Math.min(this.end, index);
    this.start = Math.min(this.start, this.end);
    this.recomputeSegments();
    this.afterStructureChange();
    this.schedule(true);
  }

  /**
   * Closes answers still streaming that will get no `chat/done` (the turn ended or moved on):
   * an empty one is dropped, one with text is kept and marked interrupted.
   */
  settleStreams(): void {
    for (const entry of Array.from(this.streams)) {
      if (entry.item.kind !== 'assistant') {
        continue;
      }
      if (entry.item.text.trim() === '') {
        this.removeEntry(entry);
      } else {
        this.finishStream({ ...entry.item, status: 'interrupted' });
      }
    }
  }

  // ---------------------------------------------------------------- streaming

  startStream(item: AssistantItem): void {
    const entry = this.createEntry(item);
    entry.stream ??= newStream();
    this.streams.add(entry);
    this.stick = true;
    this.insertAt(this.entries.length, entry);
    this.scrollToEnd();
  }

  appendDelta(id: string, text: string): void {
    const entry = this.byId.get(id);
    if (entry === undefined || entry.stream === null || entry.item.kind !== 'assistant') {
      return;
    }
    entry.item = { ...entry.item, text: entry.item.text + text };
    entry.stream.splitter.append(text);
    entry.stream.dirty = true;
    this.schedule(false);
  }

  /** Replaces a streaming answer by its final form without re-rendering finished blocks. */
  finishStream(item: TimelineItem): void {
    const entry = this.byId.get(item.id);
    const stream = entry?.stream;
    if (entry === undefined || stream === undefined || stream === null || entry.item.kind !== 'assistant' || item.kind !== 'assistant') {
      if (entry !== undefined) {
        this.replace(item);
      } else {
        this.append(item);
      }
      return;
    }
    const streamed = entry.item.text;
    if (!item.text.startsWith(streamed)) {
      this.replace(item); // the final text differs from what streamed: render it afresh
      return;
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
    entry.stream = null;
    this.streams.delete(entry);
    entry.item = item;
    this.afterStructureChange();
    this.schedule(true);
  }

  // ---------------------------------------------------------------- queries

  isEmpty(): boolean {
    return this.entries.length === 0 && !this.hasOlder;
  }

  lastUserText(): string | undefined {
    const entry = this.entries[this.lastIndexOf('user')];
    return entry?.item.kind === 'user' ? entry.item.text : undefined;
  }

  scrollToEnd(): void {
    this.stick = true;
    this.element.scrollTop = this.element.scrollHeight;
  }

  scrollMemory(): ScrollMemory {
    if (this.stick) {
      return { atBottom: true };
    }
    const anchor = this.firstVisible();
    if (anchor === null) {
      return { atBottom: false };
    }
    return {
      atBottom: false,
      anchorId: anchor.el.dataset.id,
      offset: anchor.top - this.element.getBoundingClientRect().top,
    };
  }

  // ---------------------------------------------------------------- internals: entries

  private createEntry(item: TimelineItem): Entry {
    const entry = newEntry(item);
    if (item.kind === 'assistant' && item.status === 'streaming') {
      // A bootstrap can arrive mid-answer; later deltas continue this stream.
      entry.stream = newStream();
      entry.stream.splitter.append(item.text);
      this.streams.add(entry);
    }
    this.byId.set(item.id, entry);
    return entry;
  }

  private insertAt(index: number, entry: Entry): void {
    const renderedThrough = this.end;
    this.entries.splice(index, 0, entry);
    if (index < this.start) {
      this.start++;
      this.end++;
    } else if (index <= renderedThrough) {
      // Inside or right after the rendered range: mount just this one element.
      const element = this.mount(entry, index);
      const next = this.entries[index + 1];
      if (index < renderedThrough && next?.el) {
        this.list.insertBefore(element, next.el);
      } else {
        this.list.append(element);
      }
      this.end++;
    }
    this.setSpacers();
    if (entry.item.kind === 'compaction') {
      this.recomputeSegments();
    }
    this.afterStructureChange();
    if (this.stick) {
      this.scrollToEnd();
    }
    this.schedule(true);
  }

  private removeEntry(entry: Entry): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) {
      return;
    }
    this.unmount(entry);
    this.entries.splice(index, 1);
    this.byId.delete(entry.item.id);
    this.streams.delete(entry);
    if (index < this.start) {
      this.start--;
    }
    if (index < this.end) {
      this.end--;
    }
    this.setSpacers();
    this.afterStructureChange();
  }

  private mount(entry: Entry, index: number): HTMLElement {
    const element = createItemElement(entry, this.itemContext);
    entry.el = element;
    this.applyFlags(entry, index);
    return element;
  }

  private unmount(entry: Entry): void {
    if (entry.el === null) {
      return;
    }
    if (entry.el.isConnected) {
      entry.height = entry.el.offsetHeight;
    }
    entry.el.remove();
    entry.el = null;
    if (entry.stream !== null) {
      entry.stream.finishedEl = null;
      entry.stream.openEl = null;
    }
  }

  private applyFlags(entry: Entry, index: number): void {
    entry.el?.classList.toggle('earlier', index < this.lastCompaction);
    entry.el?.classList.toggle('is-latest', index === this.entries.length - 1);
  }

  private recomputeSegments(): void {
    this.lastCompaction = -1;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const item = this.entries[i]?.item;
      if (item?.kind === 'compaction' && !item.failed && item.compactionKind !== 'trim') {
        this.lastCompaction = i;
        break;
      }
    }
    // Room for the segment banner, so it never covers the first item.
    this.element.classList.toggle('has-earlier', this.lastCompaction > 0);
  }

  private afterStructureChange(): void {
    for (let i = this.start; i < this.end; i++) {
      const entry = this.entries[i];
      if (entry !== undefined) {
        this.applyFlags(entry, i);
      }
    }
    const empty = this.isEmpty();
    if (empty !== this.wasEmpty) {
      this.wasEmpty = empty;
      this.host.onEmptyChange(empty);
    }
  }

  /** The loaded items a compaction summarized: back to the previous summary, or the start. */
  private segmentBefore(id: string): { items: TimelineItem[]; complete: boolean } {
    const index = this.indexOf(id);
    const items: TimelineItem[] = [];
    for (let i = index - 1; i >= 0; i--) {
      const item = this.entries[i]?.item;
      if (item === undefined || (item.kind === 'compaction' && !item.failed && item.compactionKind !== 'trim')) {
        return { items: items.reverse(), complete: true };
      }
      items.push(item);
    }
    return { items: items.reverse(), complete: !this.hasOlder };
  }

  private indexOf(id: string): number {
    const entry = this.byId.get(id);
    return entry === undefined ? -1 : this.entries.indexOf(entry);
  }

  private lastIndexOf(kind: TimelineItem['kind']): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]?.item.kind === kind) {
        return i;
      }
    }
    return -1;
  }

  // ---------------------------------------------------------------- internals: frames

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
    const follow = this.stick;
    let grew = false;
    for (const entry of this.streams) {
      grew = this.flushStream(entry) || grew;
    }
    if (this.windowDirty || grew) {
      this.windowDirty = false;
      this.updateWindow();
    }
    if (follow) {
      this.scrollToEnd();
    }
    this.updateBanner();
    this.maybeLoadOlder();
  }

  private flushStream(entry: Entry): boolean {
    const stream = entry.stream;
    if (stream === null || !stream.dirty) {
      return false;
    }
    stream.dirty = false;
    drainStream(stream);
    stream.openEl?.replaceChildren(renderMarkdown(stream.splitter.renderableOpenBlock()));
    return entry.el !== null;
  }

  // ---------------------------------------------------------------- internals: windowing

  private viewportHeight(): number {
    return this.element.clientHeight > 0 ? this.element.clientHeight : 800;
  }

  private heightOf(entry: Entry): number {
    entry.height ??= estimateHeight(entry.item, this.element.clientWidth || 320);
    return entry.height;
  }

  /** Indices covering `before` pixels above item `index` and `after` pixels from its top. */
  private rangeAround(index: number, before: number, after: number): [number, number] {
    let from = index;
    let above = 0;
    while (from > 0 && above < before) {
      from--;
      above += this.heightOf(this.entries[from] as Entry);
    }
    let to = index;
    let below = 0;
    while (to < this.entries.length && below < after) {
      below += this.heightOf(this.entries[to] as Entry);
      to++;
    }
    return [from, Math.min(to, from + MAX_RENDERED)];
  }

  private updateWindow(): void {
    const count = this.entries.length;
    if (count === 0) {
      this.reconcile(0, 0, false);
      return;
    }
    for (let i = this.start; i < this.end; i++) {
      const entry = this.entries[i];
      if (entry?.el) {
        entry.height = entry.el.offsetHeight;
      }
    }
    const viewport = this.viewportHeight();
    const overscan = viewport * OVERSCAN;
    let from: number;
    let to: number;
    if (this.stick) {
      to = count;
      from = count;
      let height = 0;
      while (from > 0 && height < viewport + overscan && to - from < MAX_RENDERED) {
        from--;
        height += this.heightOf(this.entries[from] as Entry);
      }
    } else {
      const viewTop = this.element.scrollTop - this.topSpacer.offsetTop;
      let y = 0;
      let i = 0;
      while (i < count - 1 && y + this.heightOf(this.entries[i] as Entry) < viewTop - overscan) {
        y += this.heightOf(this.entries[i] as Entry);
        i++;
      }
      from = i;
      while (i < count && y < viewTop + viewport + overscan) {
        y += this.heightOf(this.entries[i] as Entry);
        i++;
      }
      to = Math.min(Math.max(i, from + 1), from + MAX_RENDERED);
    }
    this.reconcile(from, to, !this.stick);
  }

  /** Mounts [from, to), unmounts the rest, and keeps the visible item where it was. */
  private reconcile(from: number, to: number, keepAnchor: boolean): void {
    if (from === this.start && to === this.end) {
      this.setSpacers();
      return;
    }
    const overlap = from < this.end && to > this.start;
    const anchor = keepAnchor && overlap ? this.findAnchor(undefined, from, to) : null;
    for (let i = this.start; i < this.end; i++) {
      if (i < from || i >= to || !overlap) {
        const entry = this.entries[i];
        if (entry !== undefined) {
          this.unmount(entry);
        }
      }
    }
    const keptFrom = overlap ? Math.max(from, this.start) : to;
    const keptTo = overlap ? Math.min(to, this.end) : to;
    const before = document.createDocumentFragment();
    for (let i = from; i < keptFrom; i++) {
      before.append(this.mount(this.entries[i] as Entry, i));
    }
    const after = document.createDocumentFragment();
    for (let i = keptTo; i < to; i++) {
      after.append(this.mount(this.entries[i] as Entry, i));
    }
    this.list.prepend(before);
    this.list.append(after);
    this.start = from;
    this.end = to;
    this.setSpacers();
    this.restoreAnchor(anchor);
  }

  private setSpacers(): void {
    let top = 0;
    for (let i = 0; i < this.start; i++) {
      top += this.heightOf(this.entries[i] as Entry);
    }
    let bottom = 0;
    for (let i = this.end; i < this.entries.length; i++) {
      bottom += this.heightOf(this.entries[i] as Entry);
    }
    // CSSOM writes are allowed under the page's CSP (only inline style attributes are not).
    this.topSpacer.style.height = `${top}px`;
    this.bottomSpacer.style.height = `${bottom}px`;
  }

  /** The item to keep in place across DOM changes; none while following the end. */
  private findAnchor(skip?: HTMLElement, from = this.start, to = this.end): Anchor | null {
    return this.stick ? null : this.firstVisible(skip, from, to);
  }

  /** The first rendered item whose bottom is below the top of the viewport. */
  private firstVisible(skip?: HTMLElement, from = this.start, to = this.end): Anchor | null {
    const viewTop = this.element.getBoundingClientRect().top;
    for (let i = Math.max(from, this.start); i < Math.min(to, this.end); i++) {
      const el = this.entries[i]?.el;
      if (el && el !== skip) {
        const rect = el.getBoundingClientRect();
        if (rect.bottom > viewTop) {
          return { el, top: rect.top };
        }
      }
    }
    return null;
  }

  private restoreAnchor(anchor: Anchor | null): void {
    if (anchor === null || !anchor.el.isConnected) {
      if (this.stick) {
        this.scrollToEnd();
      }
      return;
    }
    const shift = anchor.el.getBoundingClientRect().top - anchor.top;
    if (Math.abs(shift) >= 1) {
      this.element.scrollTop += shift;
    }
  }

  // ---------------------------------------------------------------- internals: scrolling

  private onScroll(): void {
    this.stick = isScrolledToBottom(this.element);
    this.schedule(true);
    this.host.onScrollMemory(this.scrollMemory());
  }

  private updateBanner(): void {
    let show = false;
    if (this.lastCompaction > 0) {
      const anchor = this.firstVisible();
      const index = anchor === null ? -1 : this.indexOf(anchor.el.dataset.id ?? '');
      show = index >= 0 && index < this.lastCompaction;
    }
    this.segmentBanner.hidden = !show;
  }

  private maybeLoadOlder(): void {
    if (!this.hasOlder || this.loadingOlder || this.start !== 0) {
      return;
    }
    const first = this.entries[0];
    if (first === undefined || this.element.scrollTop > this.viewportHeight()) {
      return;
    }
    this.requestOlder();
  }

  private requestOlder(): void {
    const first = this.entries[0];
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

  // ---------------------------------------------------------------- internals: actions

  private onClick(event: MouseEvent): void {
    if (!(event.target instanceof Element)) {
      return;
    }
    const link = event.target.closest('a');
    if (link !== null) {
      // Never navigate inside the webview: the host opens links (after its own checks).
      event.preventDefault();
      const href = link.getAttribute('href');
      if (href !== null && /^(?:https?|mailto):/i.test(href)) {
        this.host.post({ type: 'link/open', href });
      }
      return;
    }
    const control = event.target.closest<HTMLElement>('[data-action]');
    if (control === null) {
      return;
    }
    switch (control.dataset.action) {
      case 'code-copy':
      case 'code-insert':
      case 'code-apply':
        this.codeAction(control);
        break;
      case 'retry':
        this.host.post({ type: 'chat/retry' });
        break;
      case 'continue':
        this.host.post({ type: 'chat/continue' });
        break;
      case 'set-api-key':
        this.host.post({ type: 'command/run', command: 'setApiKey' });
        break;
      case 'open-settings':
        this.host.post({ type: 'command/run', command: 'openSettings' });
        break;
      case 'show-log':
        this.host.post({ type: 'command/run', command: 'showLog' });
        break;
      case 'use-summary': {
        const item = this.itemOf(control);
        if (item?.kind === 'compaction' && item.summary !== null) {
          this.host.insertIntoPrompt(item.summary);
        }
        break;
      }
      case 'compact-now':
        this.host.post({ type: 'conversation/compact' });
        break;
      case 'tool-approve':
      case 'tool-refuse': {
        const item = this.itemOf(control);
        if (item?.kind === 'tool') {
          this.host.post({ type: control.dataset.action === 'tool-approve' ? 'tool/approve' : 'tool/refuse', toolUseId: item.id });
        }
        break;
      }
      case 'restore-here': {
        const item = this.itemOf(control);
        if (item !== undefined) {
          this.host.post({ type: 'checkpoint/restore', itemId: item.id });
        }
        break;
      }
      case 'msg-copy': {
        const item = this.itemOf(control);
        if (item?.kind === 'user' || item?.kind === 'assistant') {
          this.host.post({ type: 'code/copy', code: item.text });
          flashIcon(control, 'check');
          this.host.announce('Message copied');
        }
        break;
      }
      case 'msg-quote': {
        const item = this.itemOf(control);
        if (item?.kind === 'user' || item?.kind === 'assistant') {
          this.host.insertIntoPrompt(quote(item.text));
        }
        break;
      }
      case 'quote-item': {
        const item = control.dataset.itemId === undefined ? undefined : this.byId.get(control.dataset.itemId)?.item;
        if (item?.kind === 'user' || item?.kind === 'assistant') {
          this.host.insertIntoPrompt(quote(item.text));
        }
        break;
      }
      case 'quote-file':
        if (control.dataset.label !== undefined) {
          this.host.insertIntoPrompt(`\`${control.dataset.label}\``);
        }
        break;
    }
  }

  /** The item a control belongs to. */
  private itemOf(control: HTMLElement): TimelineItem | undefined {
    const id = control.closest<HTMLElement>('.entry[data-id]')?.dataset.id;
    return id === undefined ? undefined : this.byId.get(id)?.item;
  }

  private codeAction(control: HTMLElement): void {
    const code = control.closest('.code-block')?.querySelector('pre code');
    if (!code) {
      return;
    }
    const text = code.textContent ?? '';
    const language = Array.from(code.classList)
      .find((name) => name.startsWith('language-'))
      ?.slice('language-'.length);
    const path = control.closest<HTMLElement>('.code-block')?.dataset.path;
    switch (control.dataset.action) {
      case 'code-copy':
        this.host.post({ type: 'code/copy', code: text });
        flashIcon(control, 'check');
        this.host.announce('Code copied');
        break;
      case 'code-insert':
        this.host.post({ type: 'code/insert', code: text });
        break;
      case 'code-apply':
        if (this.host.isTrusted()) {
          this.host.post({ type: 'code/apply', code: text, language, path });
        }
        break;
    }
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
