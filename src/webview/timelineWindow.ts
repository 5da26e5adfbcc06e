// The timeline's virtual window: all items live in `entries`, only a contiguous range [start, end)
// is in the DOM, between two spacers whose heights stand in for the rest (measured heights where
// known, estimates otherwise). Appending mounts one element and never re-renders the list, and
// the item the user looks at stays in place while the range moves (which range: windowRange.ts).
import type { TimelineItem } from '../shared/protocol';
import { isScrolledToBottom } from './dom';
import { createItemElement, estimateHeight, newEntry, type Entry, type ItemContext } from './items';
import type { TimelineStreams } from './timelineStream';
import type { ScrollMemory } from './vscode';
import { OVERSCAN, rangeAround, rangeAtEnd, rangeAtScroll, spacerHeights } from './windowRange';


export interface Anchor {
  el: HTMLElement;
  top: number;
}

export interface TimelineWindowDeps {
  /** The scroll container. */
  scroller: HTMLElement;
  topSpacer: HTMLElement;
  list: HTMLElement;
  bottomSpacer: HTMLElement;
  itemContext: ItemContext;
  streams: TimelineStreams;
  /** Items were added, removed or replaced. */
  onStructureChange(): void;
  /** Asks for a frame: stream rendering, and window maintenance if `windowChanged`. */
  schedule(windowChanged: boolean): void;
}

export class TimelineWindow {
  /** Follow the end of the list (the user is at the bottom). */
  stick = true;
  private entries: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private start = 0;
  private end = 0;
  /** Index of the last successful compaction; items before it are an earlier segment. */
  private lastCompaction = -1;

  constructor(private readonly deps: TimelineWindowDeps) {}

  // ---------------------------------------------------------------- queries

  get length(): number {
    return this.entries.length;
  }

  /** The index of the first rendered item (0 when the top of the list is in the DOM). */
  get firstRendered(): number {
    return this.start;
  }

  get(id: string): Entry | undefined {
    return this.byId.get(id);
  }

  at(index: number): Entry | undefined {
    return this.entries[index];
  }

  indexOf(id: string): number {
    const entry = this.byId.get(id);
    return entry === undefined ? -1 : this.entries.indexOf(entry);
  }

  lastIndexOf(kind: TimelineItem['kind']): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]?.item.kind === kind) {
        return i;
      }
    }
    return -1;
  }

  viewportHeight(): number {
    const scroller = this.deps.scroller;
    return scroller.clientHeight > 0 ? scroller.clientHeight : 800;
  }

  /** The loaded items a compaction summarized: back to the previous summary, or the start. */
  segmentBefore(id: string, hasOlder: boolean): { items: TimelineItem[]; complete: boolean } {
    const index = this.indexOf(id);
    const items: TimelineItem[] = [];
    for (let i = index - 1; i >= 0; i--) {
      const item = this.entries[i]?.item;
      if (item === undefined || isSegmentStart(item)) {
        return { items: items.reverse(), complete: true };
      }
      items.push(item);
    }
    return { items: items.reverse(), complete: !hasOlder };
  }

  /** Whether the top of the viewport lies in an earlier (summarized) segment. */
  showsEarlierSegment(): boolean {
    if (this.lastCompaction <= 0) {
      return false;
    }
    const anchor = this.firstVisible();
    const index = anchor === null ? -1 : this.indexOf(anchor.el.dataset.id ?? '');
    return index >= 0 && index < this.lastCompaction;
  }

  // ---------------------------------------------------------------- whole-list changes

  /** Shows new items from scratch, at the end or where `memory` says the user was. */
  reset(items: TimelineItem[], memory?: ScrollMemory): void {
    for (const entry of this.entries) {
      this.unmount(entry);
    }
    this.deps.list.replaceChildren();
    this.byId.clear();
    this.deps.streams.clear();
    this.entries = items.map((item) => this.createEntry(item));
    this.start = 0;
    this.end = 0;
    this.recomputeSegments();
    const anchorIndex = memory?.anchorId === undefined ? -1 : this.indexOf(memory.anchorId);
    if (memory !== undefined && !memory.atBottom && anchorIndex >= 0) {
      this.stick = false;
      const anchorEl = this.renderAround(anchorIndex);
      if (anchorEl) {
        this.deps.scroller.scrollTop = anchorEl.offsetTop - (memory.offset ?? 0);
      }
    } else {
      this.stick = true;
      this.updateWindow();
      this.scrollToEnd();
    }
    this.afterStructureChange();
  }

  /** Prepends items loaded from disk; `anchor` (taken before the page changed) stays in place. */
  prepend(items: TimelineItem[], anchor: Anchor | null): void {
    const fresh = items.filter((item) => !this.byId.has(item.id)).map((item) => this.createEntry(item));
    if (fresh.length === 0) {
      this.restoreAnchor(anchor);
      return;
    }
    this.entries = [...fresh, ...this.entries];
    this.start += fresh.length;
    this.end += fresh.length;
    this.setSpacers();
    this.restoreAnchor(anchor);
    this.recomputeSegments();
    this.afterStructureChange();
    this.deps.schedule(true);
  }

  /** Renders the items around `index` and scrolls it to a quarter of the viewport; returns its element. */
  reveal(index: number): HTMLElement | undefined {
    this.stick = false;
    const element = this.renderAround(index);
    if (element) {
      this.deps.scroller.scrollTop = Math.max(0, element.offsetTop - this.viewportHeight() / 4);
    }
    return element;
  }

  // ---------------------------------------------------------------- single items

  createEntry(item: TimelineItem): Entry {
    const entry = newEntry(item);
    // A bootstrap can arrive mid-answer; later deltas continue this stream.
    this.deps.streams.adopt(entry);
    this.byId.set(item.id, entry);
    return entry;
  }

  append(item: TimelineItem): void {
    this.insertAt(this.entries.length, this.createEntry(item));
  }

  insertAt(index: number, entry: Entry): void {
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
        this.deps.list.insertBefore(element, next.el);
      } else {
        this.deps.list.append(element);
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
    this.deps.schedule(true);
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
      this.deps.streams.forget(entry);
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

  removeEntry(entry: Entry): void {
    const index = this.entries.indexOf(entry);
    if (index < 0) {
      return;
    }
    this.unmount(entry);
    this.entries.splice(index, 1);
    this.byId.delete(entry.item.id);
    this.deps.streams.forget(entry);
    if (index < this.start) {
      this.start--;
    }
    if (index < this.end) {
      this.end--;
    }
    this.setSpacers();
    this.afterStructureChange();
  }

  /** Removes the item at `index` and everything after it. */
  truncate(index: number): void {
    for (const entry of this.entries.slice(index)) {
      this.unmount(entry);
      this.byId.delete(entry.item.id);
      this.deps.streams.forget(entry);
    }
    this.entries.length = index;
    this.end = Math.min(this.end, index);
    this.start = Math.min(this.start, this.end);
    this.recomputeSegments();
    this.afterStructureChange();
    this.deps.schedule(true);
  }

  /** An item changed height in place (a long message expanded or collapsed): measure it again, keeping `anchor` still. */
  remeasure(entry: Entry, anchor: Anchor): void {
    if (entry.el?.isConnected === true) {
      entry.height = entry.el.offsetHeight;
    }
    this.setSpacers();
    this.restoreAnchor(anchor);
    // The range may need more items (collapsing frees room) or fewer (expanding fills it).
    this.deps.schedule(true);
  }

  /** Re-applies the flags of the rendered items and reports the change. */
  afterStructureChange(): void {
    for (let i = this.start; i < this.end; i++) {
      const entry = this.entries[i];
      if (entry !== undefined) {
        this.applyFlags(entry, i);
      }
    }
    this.deps.onStructureChange();
  }

  // ---------------------------------------------------------------- scrolling

  scrollToEnd(): void {
    this.stick = true;
    this.deps.scroller.scrollTop = this.deps.scroller.scrollHeight;
  }

  /** The user scrolled: follow the end again only if they are at the bottom. */
  onScroll(): void {
    this.stick = isScrolledToBottom(this.deps.scroller);
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
      offset: anchor.top - this.deps.scroller.getBoundingClientRect().top,
    };
  }

  /** The item to keep in place across DOM changes; none while following the end. */
  findAnchor(skip?: HTMLElement, from = this.start, to = this.end): Anchor | null {
    return this.stick ? null : this.firstVisible(skip, from, to);
  }

  /** Moves the rendered range to what the viewport shows (plus overscan), measuring what was rendered. */
  updateWindow(): void {
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
    const [from, to] = this.stick
      ? rangeAtEnd(count, this.heightAt, viewport)
      : rangeAtScroll(count, this.heightAt, this.deps.scroller.scrollTop - this.deps.topSpacer.offsetTop, viewport);
    this.reconcile(from, to, !this.stick);
  }

  /** Scrolls so that `anchor` is where it was (or to the end, while following it). */
  restoreAnchor(anchor: Anchor | null): void {
    if (anchor === null || !anchor.el.isConnected) {
      if (this.stick) {
        this.scrollToEnd();
      }
      return;
    }
    const shift = anchor.el.getBoundingClientRect().top - anchor.top;
    if (Math.abs(shift) >= 1) {
      this.deps.scroller.scrollTop += shift;
    }
  }

  // ---------------------------------------------------------------- internals

  private mount(entry: Entry, index: number): HTMLElement {
    const element = createItemElement(entry, this.deps.itemContext);
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
      if (item !== undefined && isSegmentStart(item)) {
        this.lastCompaction = i;
        break;
      }
    }
    // Room for the segment banner, so it never covers the first item.
    this.deps.scroller.classList.toggle('has-earlier', this.lastCompaction > 0);
  }

  /** Renders the items around `index` (one viewport and overscan below, overscan above); returns its element. */
  private renderAround(index: number): HTMLElement | undefined {
    const viewport = this.viewportHeight();
    const [from, to] = rangeAround(this.entries.length, this.heightAt, index, viewport * OVERSCAN, viewport * (1 + OVERSCAN));
    this.reconcile(from, to, false);
    return this.entries[index]?.el ?? undefined;
  }

  /** The height of item `index`: measured when it was last rendered, else estimated. */
  private readonly heightAt = (index: number): number => {
    const entry = this.entries[index] as Entry;
    entry.height ??= estimateHeight(entry.item, this.deps.scroller.clientWidth || 320);
    return entry.height;
  };

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
    this.deps.list.prepend(before);
    this.deps.list.append(after);
    this.start = from;
    this.end = to;
    this.setSpacers();
    this.restoreAnchor(anchor);
  }

  private setSpacers(): void {
    const { top, bottom } = spacerHeights(this.entries.length, this.heightAt, this.start, this.end);
    // CSSOM writes are allowed under the page's CSP (only inline style attributes are not).
    this.deps.topSpacer.style.height = `${top}px`;
    this.deps.bottomSpacer.style.height = `${bottom}px`;
  }

  /** The first rendered item whose bottom is below the top of the viewport. */
  private firstVisible(skip?: HTMLElement, from = this.start, to = this.end): Anchor | null {
    const viewTop = this.deps.scroller.getBoundingClientRect().top;
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
}

/** A successful summary starts a new segment; a failed compaction or a trim does not. */
function isSegmentStart(item: TimelineItem): boolean {
  return item.kind === 'compaction' && !item.failed && item.compactionKind !== 'trim';
}
