// Which of the timeline's items are rendered: the range that covers the viewport plus overscan, and the
// heights the spacers stand in for the rest, from each item's measured or estimated height. Arithmetic
// only: the virtual window (timelineWindow.ts) measures and mounts.

/** Upper bound on item elements in the DOM, whatever the viewport. */
export const MAX_RENDERED = 200;
/** How far beyond the viewport (in viewport heights) items stay rendered. */
export const OVERSCAN = 1.5;

/** The height of item `index` (measured, else estimated). */
export type HeightOf = (index: number) => number;

/** The range [from, to) that ends the list and fills the viewport and overscan above it (following the end). */
export function rangeAtEnd(count: number, heightOf: HeightOf, viewport: number): [number, number] {
  const overscan = viewport * OVERSCAN;
  const to = count;
  let from = count;
  let height = 0;
  while (from > 0 && height < viewport + overscan && to - from < MAX_RENDERED) {
    from--;
    height += heightOf(from);
  }
  return [from, to];
}

/** The range [from, to) for a viewport whose top is `viewTop` pixels below the first item's top. */
export function rangeAtScroll(count: number, heightOf: HeightOf, viewTop: number, viewport: number): [number, number] {
  const overscan = viewport * OVERSCAN;
  let y = 0;
  let i = 0;
  while (i < count - 1 && y + heightOf(i) < viewTop - overscan) {
    y += heightOf(i);
    i++;
  }
  const from = i;
  while (i < count && y < viewTop + viewport + overscan) {
    y += heightOf(i);
    i++;
  }
  return [from, Math.min(Math.max(i, from + 1), from + MAX_RENDERED)];
}

/** Indices covering `before` pixels above item `index` and `after` pixels from its top. */
export function rangeAround(count: number, heightOf: HeightOf, index: number, before: number, after: number): [number, number] {
  let from = index;
  let above = 0;
  while (from > 0 && above < before) {
    from--;
    above += heightOf(from);
  }
  let to = index;
  let below = 0;
  while (to < count && below < after) {
    below += heightOf(to);
    to++;
  }
  return [from, Math.min(to, from + MAX_RENDERED)];
}

/** The heights of the items above `start` and from `end` on: what the two spacers stand in for. */
export function spacerHeights(count: number, heightOf: HeightOf, start: number, end: number): { top: number; bottom: number } {
  let top = 0;
  for (let i = 0; i < start; i++) {
    top += heightOf(i);
  }
  let bottom = 0;
  for (let i = end; i < count; i++) {
    bottom += heightOf(i);
  }
  return { top, bottom };
}
