// Builds the DOM of one timeline item. Buttons carry `data-action`; the timeline handles every
// click by delegation, so an element rebuilt from the HTML cache needs no listeners re-attached.
import type { AssistantStatus, ErrorKind, TimelineItem } from '../shared/protocol';
import { button, h, icon } from './dom';
import { formatCost, formatTime, formatTokens } from './format';
import { fragmentHtml, fromCachedHtml, renderMarkdown } from './markdown';
import { BlockSplitter, splitBlocks } from './streaming';

export type UserItem = Extract<TimelineItem, { kind: 'user' }>;
export type AssistantItem = Extract<TimelineItem, { kind: 'assistant' }>;
export type CompactionItem = Extract<TimelineItem, { kind: 'compaction' }>;
export type ErrorItem = Extract<TimelineItem, { kind: 'error' }>;

/** A streaming answer: finished blocks are rendered once, the open block on every frame. */
export interface StreamState {
  splitter: BlockSplitter;
  finishedHtml: string[];
  dirty: boolean;
  /** Present while the item is in the DOM. */
  finishedEl: HTMLElement | null;
  openEl: HTMLElement | null;
}

export interface Entry {
  item: TimelineItem;
  el: HTMLElement | null;
  /** Last measured height, reused while the item is windowed out. */
  height: number | null;
  /** Rendered markdown (answer text or compaction summary), so re-showing never re-parses. */
  html: string | null;
  stream: StreamState | null;
}

export function newEntry(item: TimelineItem): Entry {
  return { item, el: null, height: null, html: null, stream: null };
}

export function newStream(): StreamState {
  return { splitter: new BlockSplitter(), finishedHtml: [], dirty: false, finishedEl: null, openEl: null };
}

/** Renders blocks the splitter has finished, once each, into the cache (and the DOM if mounted). */
export function drainStream(stream: StreamState): void {
  for (const block of stream.splitter.takeFinished()) {
    const fragment = renderMarkdown(block);
    stream.finishedHtml.push(fragmentHtml(fragment));
    stream.finishedEl?.append(fragment);
  }
}

/** Renders markdown block by block, exactly as the streaming path does, so both look the same. */
export function renderMarkdownHtml(text: string): string {
  return splitBlocks(text)
    .map((block) => fragmentHtml(renderMarkdown(block)))
    .join('');
}

function timeElement(at: number): HTMLTimeElement {
  const element = h('time', { class: 'msg-time', text: formatTime(at) });
  element.dateTime = new Date(at).toISOString();
  element.title = new Date(at).toLocaleString();
  return element;
}

function head(iconName: string, who: string, at: number): HTMLElement {
  return h('div', { class: 'msg-head' }, icon(iconName), h('span', { class: 'msg-who', text: who }), timeElement(at));
}

function baseElement(tag: 'article' | 'section', kind: string, testid: string, item: TimelineItem): HTMLElement {
  const element = h(tag, { class: `entry ${kind}`, testid });
  element.dataset.id = item.id;
  return element;
}

function createUser(item: UserItem): HTMLElement {
  const element = baseElement('article', 'msg msg-user', 'msg-user', item);
  element.setAttribute('aria-label', 'You said');
  element.append(head('account', 'You', item.at), h('div', { class: 'user-text', text: item.text }));
  return element;
}

const statusLabels: Record<AssistantStatus, string | null> = {
  done: null,
  streaming: null,
  stopped: 'Stopped',
  interrupted: 'Interrupted',
  cut: 'Cut off at the output limit',
  refused: 'Declined',
};

/** The parts of an answer that depend on its status; rebuilt in place when the status changes. */
export function renderAssistantChrome(element: HTMLElement, item: AssistantItem): void {
  element.dataset.status = item.status;
  element.setAttribute('aria-busy', item.status === 'streaming' ? 'true' : 'false');
  const statusSlot = element.querySelector('.msg-status');
  const actionsSlot = element.querySelector('.msg-actions');
  const typing = element.querySelector('.typing');
  if (statusSlot === null || actionsSlot === null || typing === null) {
    return;
  }
  const label = statusLabels[item.status];
  statusSlot.textContent = label ?? '';
  statusSlot.toggleAttribute('hidden', label === null);
  typing.toggleAttribute('hidden', item.status !== 'streaming');
  actionsSlot.replaceChildren();
  if (item.status === 'cut') {
    actionsSlot.append(
      button({ label: 'Continue the answer', text: 'Continue', icon: 'debug-continue', action: 'continue', testid: 'continue' }),
    );
  } else if (item.status === 'interrupted') {
    actionsSlot.append(button({ label: 'Retry the answer', text: 'Retry', icon: 'refresh', action: 'retry', testid: 'retry' }));
  }
  actionsSlot.toggleAttribute('hidden', actionsSlot.childElementCount === 0);
}

function createAssistant(entry: Entry, item: AssistantItem): HTMLElement {
  const element = baseElement('article', 'msg msg-assistant', 'msg-assistant', item);
  element.setAttribute('aria-label', 'Claude answered');
  const headEl = head('sparkle', 'Claude', item.at);
  const status = h('span', { class: 'msg-status', hidden: true });
  headEl.append(status);
  const body = h('div', { class: 'md' });
  const stream = entry.stream;
  if (stream !== null) {
    drainStream(stream);
    const finished = h('div', { class: 'md-part' });
    finished.append(fromCachedHtml(stream.finishedHtml.join('')));
    const open = h('div', { class: 'md-part' });
    open.append(renderMarkdown(stream.splitter.renderableOpenBlock()));
    stream.finishedEl = finished;
    stream.openEl = open;
    body.append(finished, open);
  } else {
    entry.html ??= renderMarkdownHtml(item.text);
    body.append(fromCachedHtml(entry.html));
  }
  const typing = h('div', { class: 'typing', hidden: true }, h('span'), h('span'), h('span'));
  typing.setAttribute('aria-hidden', 'true');
  const actions = h('div', { class: 'msg-actions latest-only', hidden: true });
  element.append(headEl, body, typing, actions);
  renderAssistantChrome(element, item);
  return element;
}

function compactionLine(item: CompactionItem): string {
  const parts = [item.compactionKind === 'onDemand' ? 'on demand' : 'automatic'];
  if (item.tokensBefore !== undefined && item.tokensAfter !== undefined) {
    parts.push(`${formatTokens(item.tokensBefore)} → ${formatTokens(item.tokensAfter)} tokens`);
  }
  if (item.costUsd !== undefined) {
    parts.push(formatCost(item.costUsd));
  }
  parts.push(formatTime(item.at));
  return parts.join(' · ');
}

function createCompaction(entry: Entry, item: CompactionItem): HTMLElement {
  const element = baseElement('section', `compaction${item.failed ? ' compaction-failed' : ''}`, 'msg-compaction', item);
  const title = item.failed ? 'Compaction failed — conversation continues uncompacted' : 'Context compacted';
  element.setAttribute('aria-label', title);
  const label = h(
    'span',
    { class: 'compaction-label' },
    icon(item.summary === null ? (item.failed ? 'warning' : 'fold') : 'chevron-right', 'compaction-chevron'),
    h('strong', { text: title }),
    h('span', { class: 'compaction-meta', text: compactionLine(item) }),
  );
  if (item.summary === null) {
    element.append(h('div', { class: 'compaction-line' }, h('span', { class: 'rule' }), label, h('span', { class: 'rule' })));
  } else {
    const details = h('details', { class: 'compaction-details' });
    const summary = h('summary', { class: 'compaction-line' }, h('span', { class: 'rule' }), label, h('span', { class: 'rule' }));
    summary.title = 'Show the summary the model now sees instead of the earlier messages';
    entry.html ??= renderMarkdownHtml(item.summary);
    const covered =
      item.coveredMessages === 1 ? 'Summary of 1 earlier message' : `Summary of ${item.coveredMessages} earlier messages`;
    const inspector = h(
      'div',
      { class: 'inspector' },
      h('p', { class: 'inspector-note', text: `${covered}. From here on the model sees this summary instead of them.` }),
      h('div', { class: 'md summary-text' }),
      h(
        'div',
        { class: 'inspector-actions' },
        button({ label: 'Insert the summary into the prompt box', text: 'Use in prompt', icon: 'insert', action: 'use-summary' }),
      ),
    );
    inspector.querySelector('.summary-text')?.append(fromCachedHtml(entry.html));
    details.append(summary, inspector);
    element.append(details);
  }
  if (item.paused === true) {
    element.append(
      h(
        'div',
        { class: 'paused-row' },
        h('span', { text: 'Paused after compacting. Review the summary, then continue.' }),
        button({ label: 'Continue after compaction', text: 'Continue', icon: 'debug-continue', action: 'continue', testid: 'continue' }),
      ),
    );
  }
  return element;
}

/** The buttons an error offers, by kind; Show Log is always there. */
export function errorActions(errorKind: ErrorKind, retryable: boolean): Array<'setApiKey' | 'retry' | 'openSettings' | 'showLog'> {
  const actions: Array<'setApiKey' | 'retry' | 'openSettings' | 'showLog'> = [];
  if (errorKind === 'noApiKey' || errorKind === 'auth') {
    actions.push('setApiKey');
  }
  if (retryable) {
    actions.push('retry');
  }
  if (errorKind === 'invalidRequest' || errorKind === 'contextWindow') {
    actions.push('openSettings');
  }
  actions.push('showLog');
  return actions;
}

function createError(item: ErrorItem): HTMLElement {
  const element = baseElement('article', 'error-card', 'error-card', item);
  element.dataset.errorKind = item.errorKind;
  element.setAttribute('aria-label', 'Error');
  const actions = h('div', { class: 'error-actions' });
  for (const action of errorActions(item.errorKind, item.retryable)) {
    switch (action) {
      case 'setApiKey':
        actions.append(button({ label: 'Set API Key', text: 'Set API Key', icon: 'key', action: 'set-api-key', testid: 'set-api-key', class: 'primary' }));
        break;
      case 'retry':
        actions.append(button({ label: 'Retry', text: 'Retry', icon: 'refresh', action: 'retry', testid: 'retry', class: 'primary latest-only' }));
        break;
      case 'openSettings':
        actions.append(button({ label: 'Open Settings', text: 'Open Settings', icon: 'settings-gear', action: 'open-settings' }));
        break;
      case 'showLog':
        actions.append(button({ label: 'Show Log', text: 'Show Log', icon: 'output', action: 'show-log' }));
        break;
    }
  }
  element.append(
    h('div', { class: 'error-body' }, icon('error'), h('p', { class: 'error-message', text: item.message })),
    actions,
  );
  return element;
}

export function createItemElement(entry: Entry): HTMLElement {
  const item = entry.item;
  switch (item.kind) {
    case 'user':
      return createUser(item);
    case 'assistant':
      return createAssistant(entry, item);
    case 'compaction':
      return createCompaction(entry, item);
    case 'error':
      return createError(item);
  }
}

/** A first guess at an item's height before it has been rendered and measured. */
export function estimateHeight(item: TimelineItem, width: number): number {
  const charsPerLine = Math.max(20, Math.floor(width / 7.5));
  const lines = (text: string): number =>
    text.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / charsPerLine)), 0);
  switch (item.kind) {
    case 'user':
      return 52 + 19 * lines(item.text);
    case 'assistant':
      return 52 + 20 * lines(item.text);
    case 'compaction':
      return item.paused === true ? 84 : 44;
    case 'error':
      return 96;
  }
}
