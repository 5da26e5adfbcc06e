// Builds the DOM of one timeline item. Buttons carry `data-action`; the timeline handles every
// click by delegation, so an element rebuilt from the HTML cache needs no listeners re-attached.
import type { AssistantStatus, ErrorKind, TimelineItem } from '../shared/protocol';
import type { TimelineAction } from './actions';
import { createToolCard, estimateToolHeight } from './agentView';
import { button, h, icon, textWithCode } from './dom';
import { formatCost, formatTime, formatTokens } from './format';
import { fragmentHtml, fromCachedHtml, renderMarkdown } from './markdown';
import { BlockSplitter, splitBlocks } from './blockSplitter';
import { longText } from './longText';
import { messageTextElements } from './longTextView';
import { createThinkingSection, estimateThinkingHeight, thinkingState, type ThinkingState } from './thinking';

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
  /** A compaction marker's inspector, a tool card or a long message is open; kept while the item is windowed out. */
  expanded: boolean;
  /** An answer's thinking section (streamed or stored). */
  thinking: ThinkingState | null;
}

export function newEntry(item: TimelineItem): Entry {
  return { item, el: null, height: null, html: null, stream: null, expanded: false, thinking: thinkingState(item.kind === 'assistant' ? item.thinking : undefined) };
}

/** What an item needs to know about its neighbours (the compaction inspector lists what it covered). */
export interface ItemContext {
  find(id: string): TimelineItem | undefined;
  /** Loaded items between the previous successful compaction (or the start) and this one, oldest first. */
  segmentBefore(id: string): { items: TimelineItem[]; complete: boolean };
}

const noContext: ItemContext = {
  find: () => undefined,
  segmentBefore: () => ({ items: [], complete: false }),
};

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

/** The answerer's name: Claude, or the demo backend (body.backend-demo shows the second name instead). */
function assistantHead(at: number): HTMLElement {
  return h(
    'div',
    { class: 'msg-head' },
    icon('sparkle'),
    h('span', { class: 'msg-who msg-who-claude', text: 'Claude' }),
    h('span', { class: 'msg-who msg-who-demo', text: 'Demo backend' }),
    timeElement(at),
  );
}

/** Copy and Use in prompt, on every message; shown on hover and keyboard focus. */
function messageTools(who: string): HTMLElement {
  return h(
    'span',
    { class: 'msg-tools' },
    button({ label: `Copy ${who} message`, icon: 'copy', action: 'msg-copy', testid: 'msg-copy', title: 'Copy message' }),
    button({ label: `Quote ${who} message in the prompt`, icon: 'quote', action: 'msg-quote', testid: 'msg-quote', title: 'Use in prompt' }),
    // Agent mode: revert the files Claude changed after this message (shown in Agent mode only).
    button({ label: `Restore the workspace files to before ${who} message`, icon: 'discard', action: 'restore-here', testid: 'restore-here', title: 'Restore to here', class: 'restore-here' }),
  );
}

function baseElement(tag: 'article' | 'section', kind: string, testid: string, item: TimelineItem): HTMLElement {
  const element = h(tag, { class: `entry ${kind}`, testid });
  element.dataset.id = item.id;
  return element;
}

function createUser(entry: Entry, item: UserItem): HTMLElement {
  const element = baseElement('article', 'msg msg-user', 'msg-user', item);
  element.setAttribute('aria-label', 'You said');
  const headEl = head('account', 'You', item.at);
  headEl.append(messageTools('your'));
  element.append(headEl);
  if (item.attachments !== undefined && item.attachments.length > 0) {
    element.append(
      h(
        'ul',
        { class: 'msg-attachments', attrs: { 'aria-label': 'Attached' } },
        ...item.attachments.map((attachment) =>
          h('li', { class: 'msg-attachment', title: attachment.label }, icon(attachment.pinned === true ? 'pinned' : 'file'), h('span', { text: attachment.label })),
        ),
      ),
    );
  }
  // A long paste shows its first lines; Copy and Use in prompt still take item.text, the whole of it.
  element.append(...messageTextElements(item.text, 'user-text', entry.expanded, item.id));
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
  const headEl = assistantHead(item.at);
  const status = h('span', { class: 'msg-status', hidden: true });
  headEl.append(status, messageTools("Claude's"));
  const body = h('div', { class: 'md' });
  // Above the answer, collapsed: the answer never moves out of view for it.
  const thinkingEl = entry.thinking !== null ? createThinkingSection(entry.thinking, entry.stream !== null && entry.thinking.endedAt === undefined) : null;
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
  element.append(headEl, ...(thinkingEl !== null ? [thinkingEl] : []), body, typing, actions);
  renderAssistantChrome(element, item);
  return element;
}

const kindLabels: Record<CompactionItem['compactionKind'], string> = {
  threshold: 'automatic',
  onDemand: 'on demand',
  trim: 'fallback trim',
};

function compactionTitle(item: CompactionItem): string {
  if (item.failed) {
    return 'Compaction failed — conversation continues uncompacted';
  }
  return item.compactionKind === 'trim' ? 'Oldest messages trimmed' : 'Context compacted';
}

export function compactionLine(item: CompactionItem): string {
  const parts = [kindLabels[item.compactionKind]];
  if (item.compactionKind === 'trim') {
    parts.push(item.coveredMessages === 1 ? '1 message no longer sent' : `${item.coveredMessages} messages no longer sent`);
  }
  if (item.tokensBefore !== undefined && item.tokensAfter !== undefined) {
    parts.push(`${formatTokens(item.tokensBefore)} → ${formatTokens(item.tokensAfter)} tokens`);
  }
  if (item.costUsd !== undefined && item.compactionKind !== 'trim') {
    parts.push(formatCost(item.costUsd));
  }
  parts.push(formatTime(item.at));
  return parts.join(' · ');
}

function compactionIcon(item: CompactionItem): string {
  if (item.failed) {
    return 'warning';
  }
  return item.compactionKind === 'trim' ? 'clear-all' : 'fold';
}

function createCompaction(entry: Entry, item: CompactionItem, context: ItemContext): HTMLElement {
  const variant = item.failed ? ' compaction-failed' : item.compactionKind === 'trim' ? ' compaction-trim' : '';
  const element = baseElement('section', `compaction${variant}`, 'msg-compaction', item);
  element.dataset.kind = item.failed ? 'failed' : item.compactionKind;
  const title = compactionTitle(item);
  element.setAttribute('aria-label', title);
  const label = h(
    'span',
    { class: 'compaction-label' },
    icon('chevron-right', 'compaction-chevron'),
    icon(compactionIcon(item), 'compaction-icon'),
    h('strong', { text: title }),
    h('span', { class: 'compaction-meta', text: compactionLine(item) }),
  );
  const details = h('details', { class: 'compaction-details' });
  const summary = h('summary', { class: 'compaction-line', testid: 'compaction-toggle' }, h('span', { class: 'rule' }), label, h('span', { class: 'rule' }));
  summary.title = item.failed
    ? 'What happened, and what to do'
    : item.compactionKind === 'trim'
      ? 'What was trimmed'
      : 'Inspect the compaction: the summary the model now sees, what it covered, and what was put back';
  details.append(summary);
  let built = false;
  const build = () => {
    if (!built) {
      built = true;
      details.append(buildInspector(entry, item, context));
    }
  };
  if (entry.expanded) {
    details.open = true;
    build();
  }
  // Built on first open: the inspector lists neighbours, which may have loaded since the marker was drawn.
  details.addEventListener('toggle', () => {
    entry.expanded = details.open;
    if (details.open) {
      build();
    }
  });
  element.append(details);
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

function inspectorSection(title: string, ...children: Node[]): HTMLElement {
  return h('section', { class: 'inspector-section' }, h('h4', { class: 'inspector-heading', text: title }), ...children);
}

function useInPrompt(label: string, action: TimelineAction, data: Record<string, string>): HTMLButtonElement {
  const control = button({ label, icon: 'insert', action, title: 'Use in prompt', class: 'inspector-use' });
  for (const [key, value] of Object.entries(data)) {
    control.dataset[key] = value;
  }
  return control;
}

function oneLine(text: string, max = 140): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Labels of the files attached in `items` (pinned only, when asked), first occurrence order. */
function attachedLabels(items: readonly TimelineItem[], pinnedOnly: boolean): string[] {
  const labels = new Set<string>();
  for (const item of items) {
    if (item.kind === 'user') {
      for (const attachment of item.attachments ?? []) {
        if ((!pinnedOnly || attachment.pinned === true) && attachment.kind !== 'problems' && attachment.kind !== 'terminal') {
          labels.add(attachment.label);
        }
      }
    }
  }
  return Array.from(labels);
}

function fileList(labels: readonly string[], testid: string): HTMLElement {
  return h(
    'ul',
    { class: 'inspector-list', testid },
    ...labels.map((label) =>
      h('li', { class: 'inspector-row' }, icon('file'), h('span', { class: 'inspector-text', text: label, title: label }), useInPrompt(`Use ${label} in the prompt`, 'quote-file', { label })),
    ),
  );
}

function buildInspector(entry: Entry, item: CompactionItem, context: ItemContext): HTMLElement {
  const inspector = h('div', { class: 'inspector', testid: 'compaction-inspector' });
  if (item.failed) {
    inspector.append(
      h('p', {
        class: 'inspector-note',
        text: 'The server could not summarize the conversation, so nothing was replaced: the model still sees every message. Compaction is tried again at the next trigger, or now with Compact now.',
      }),
      h('div', { class: 'inspector-actions' }, button({ label: 'Compact the conversation now', text: 'Compact now', icon: 'fold', action: 'compact-now' })),
    );
    return inspector;
  }
  if (item.compactionKind === 'trim') {
    inspector.append(
      h('p', {
        class: 'inspector-note',
        text: `Compaction was not available, so the ${item.coveredMessages === 1 ? 'oldest message is' : `${item.coveredMessages} oldest messages are`} no longer sent to the model. Nothing was summarized: they stay here, in search and in exports, and you can quote any of them back into the prompt.`,
      }),
    );
    return inspector;
  }
  const covered = item.coveredMessages === 1 ? 'Summary of 1 earlier message' : `Summary of ${item.coveredMessages} earlier messages`;
  const how = item.compactionKind === 'onDemand' ? 'compacted on demand' : 'compacted automatically at the trigger';
  inspector.append(h('p', { class: 'inspector-note', text: `${covered}, ${how}. From here on the model sees this summary instead of them.` }));

  const summaryText = h('div', { class: 'md summary-text', testid: 'compaction-summary' });
  entry.html ??= renderMarkdownHtml(item.summary ?? '');
  summaryText.append(fromCachedHtml(entry.html));
  inspector.append(
    inspectorSection(
      'Summary',
      summaryText,
      h(
        'div',
        { class: 'inspector-actions' },
        button({ label: 'Insert the summary into the prompt box', text: 'Use in prompt', icon: 'insert', action: 'use-summary' }),
      ),
    ),
  );

  const putBack = item.putBack ?? [];
  const segment = context.segmentBefore(item.id);
  const pinned = attachedLabels(segment.items, true);
  const rows: HTMLElement[] = [];
  for (const id of putBack) {
    const kept = context.find(id);
    if (kept?.kind === 'user' || kept?.kind === 'assistant') {
      const who = kept.kind === 'user' ? 'You' : 'Claude';
      rows.push(
        h(
          'li',
          { class: 'inspector-row' },
          icon(kept.kind === 'user' ? 'account' : 'sparkle'),
          h('span', { class: 'inspector-text', text: `${who}: ${oneLine(kept.text)}`, title: kept.text.slice(0, 2000) }),
          useInPrompt(`Quote this ${kept.kind === 'user' ? 'request' : 'answer'} in the prompt`, 'quote-item', { itemId: id }),
        ),
      );
    }
  }
  const putBackParts: Node[] = [];
  if (putBack.length === 0 && (item.pinnedCount ?? 0) === 0) {
    putBackParts.push(h('p', { class: 'inspector-empty', text: 'Nothing: the summary alone carries the conversation on.' }));
  } else {
    if (putBack.length > 0) {
      const what = putBack.length === 1 ? 'The current request was' : `The current request and ${putBack.length - 1} recent message${putBack.length === 2 ? '' : 's'} were`;
      putBackParts.push(h('p', { class: 'inspector-empty', text: `${what} sent again word for word after the summary.` }));
      if (rows.length > 0) {
        putBackParts.push(h('ul', { class: 'inspector-list', testid: 'compaction-put-back' }, ...rows));
      }
    }
    if ((item.pinnedCount ?? 0) > 0) {
      const count = item.pinnedCount ?? 0;
      putBackParts.push(h('p', { class: 'inspector-empty', text: `${count} pinned file${count === 1 ? ' was' : 's were'} re-read and sent fresh.` }));
      if (pinned.length > 0) {
        putBackParts.push(fileList(pinned, 'compaction-pinned'));
      }
    }
  }
  inspector.append(inspectorSection('Put back verbatim', ...putBackParts));

  const files = attachedLabels(segment.items, false);
  const fileParts: Node[] =
    files.length > 0 ? [fileList(files, 'compaction-files')] : [h('p', { class: 'inspector-empty', text: 'No files were attached in the summarized messages.' })];
  if (!segment.complete) {
    fileParts.push(h('p', { class: 'inspector-empty', text: 'Earlier messages are not loaded yet; scroll up to include their files.' }));
  }
  inspector.append(inspectorSection('Files in the summarized messages', ...fileParts));
  inspector.append(clearingSection(segment.items));
  return inspector;
}

/** Context editing next to compaction: the tool results the server had already cleared in the summarized part. */
function clearingSection(items: readonly TimelineItem[]): HTMLElement {
  const cleared = items.filter((candidate): candidate is Extract<TimelineItem, { kind: 'tool' }> => candidate.kind === 'tool' && candidate.clearedTokens !== undefined);
  const tools = items.filter((candidate) => candidate.kind === 'tool').length;
  const tokens = cleared.reduce((sum, card) => sum + (card.clearedTokens ?? 0), 0);
  const text =
    cleared.length === 0
      ? tools > 0
        ? `No tool results were cleared before this compaction: the model read all ${tools} in full.`
        : 'No tool results in the summarized messages.'
      : `${cleared.length} of ${tools} tool results had been cleared from the model's context before this compaction (${formatTokens(tokens)} tokens freed), so it summarized placeholders for them. Their cards are marked; the results stay here.`;
  return h('section', { class: 'inspector-section', testid: 'compaction-clearing' }, h('h4', { class: 'inspector-heading', text: 'Context editing' }), h('p', { class: 'inspector-empty', text }));
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
    h('div', { class: 'error-body' }, icon('error'), h('p', { class: 'error-message' }, ...textWithCode(item.message))),
    actions,
  );
  return element;
}

export function createItemElement(entry: Entry, context: ItemContext = noContext): HTMLElement {
  const item = entry.item;
  switch (item.kind) {
    case 'user':
      return createUser(entry, item);
    case 'assistant':
      return createAssistant(entry, item);
    case 'compaction':
      return createCompaction(entry, item, context);
    case 'error':
      return createError(item);
    case 'tool':
      return createToolCard(item, entry.expanded, (open) => {
        entry.expanded = open;
      });
  }
}

/** A first guess at an item's height before it has been rendered and measured. */
export function estimateHeight(item: TimelineItem, width: number): number {
  const charsPerLine = Math.max(20, Math.floor(width / 7.5));
  const lines = (text: string): number =>
    text.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / charsPerLine)), 0);
  switch (item.kind) {
    case 'user': {
      // Unmeasured items are shown as first rendered: a long message collapsed, with its toggle.
      const shown = longText(item.text);
      return shown.long ? 52 + 19 * lines(shown.preview) + 30 : 52 + 19 * lines(item.text);
    }
    case 'assistant':
      return 52 + 20 * lines(item.text) + estimateThinkingHeight(item.thinking);
    case 'compaction':
      return item.paused === true ? 84 : 48;
    case 'error':
      return 96;
    case 'tool':
      return estimateToolHeight(item);
  }
}
