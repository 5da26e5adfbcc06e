// The names a button may carry in `data-action`, as unions the compiler checks: each is built by
// `button({ action })` and handled by one dispatcher (the timeline's or the chips').

/** Buttons inside the timeline: message (Copy, Show all), code block, compaction, error and tool card controls. */
export const TIMELINE_ACTIONS = [
  'code-copy',
  'code-insert',
  'code-apply',
  'retry',
  'continue',
  'set-api-key',
  'open-settings',
  'show-log',
  'use-summary',
  'compact-now',
  'tool-approve',
  'tool-refuse',
  'restore-here',
  'msg-copy',
  'msg-quote',
  'quote-item',
  'quote-file',
  'long-text-toggle',
] as const;
export type TimelineAction = (typeof TIMELINE_ACTIONS)[number];

/** Buttons of the attachment chips above the prompt. */
export type ChipAction = 'pin' | 'remove';

export type ButtonAction = TimelineAction | ChipAction;

const timelineActions: ReadonlySet<string> = new Set(TIMELINE_ACTIONS);

export function isTimelineAction(value: string | undefined): value is TimelineAction {
  return value !== undefined && timelineActions.has(value);
}
