// Entry point of the chat webview: builds the page, routes host messages to the parts of the
// UI they concern, and keeps UI details (draft, scroll, history search) across reloads.
import './chat.css';
import './thinking.css';
import { assertNever, type TimelineItem, type ToWebview } from '../shared/protocol';
import { AgentBar } from './agentView';
import { ChatRequests } from './chatRequests';
import { Composer } from './composer';
import { h } from './dom';
import { SceneRunner } from './demoScenes';
import { EffortSelect } from './effort';
import { EmptyState } from './emptyState';
import { plainPreview } from './format';
import { Header } from './header';
import { MeterView } from './meter';
import { Notices } from './notices';
import { reduceSnapshot, snapshotOf, type ViewSnapshot } from './state';
import { TimelineView } from './timelineView';
import { flushUiState, getUiState, post, updateUiState } from './vscode';

const root = document.getElementById('root') ?? document.body;

let snapshot: ViewSnapshot | undefined;
/** What a failed send put back in the prompt box. */
let failedDraft: string | undefined;
let bootstrapped = false;

const liveRegion = h('div', { class: 'sr-only', attrs: { 'aria-live': 'polite', 'aria-atomic': 'true' } });
function announce(text: string): void {
  // Clearing first makes a repeated message announced again.
  liveRegion.textContent = '';
  requestAnimationFrame(() => {
    liveRegion.textContent = text;
  });
}

const requests = new ChatRequests(post, { conversationId: () => snapshot?.activeId, requestId: () => snapshot?.requestId });
const header = new Header({
  post,
  requests,
  onHistoryChange: (open, search) => updateUiState({ historyOpen: open, search }),
  openHit: (hit) => {
    if (hit.conversationId === snapshot?.activeId) {
      timeline.focusItem(hit.itemId);
    } else {
      post({ type: 'conversation/switch', id: hit.conversationId, focusItemId: hit.itemId });
    }
  },
});
const notices = new Notices();
const effort = new EffortSelect(post);
const meter = new MeterView(post, [effort.element]);
const composer = new Composer({
  post,
  requests,
  lastUserText: () => timeline.lastUserText(),
  onDraftChange: (text) => updateUiState({ draft: text }),
  onSent: () => timeline.scrollToEnd(),
});
const timeline = new TimelineView({
  post,
  requests,
  insertIntoPrompt: (text) => composer.insertText(text),
  announce,
  isTrusted: () => snapshot?.workspaceTrusted ?? false,
  onScrollMemory: (scroll) => updateUiState({ scroll }),
  onEmptyChange: (empty) => {
    emptyState.element.hidden = !empty;
    timeline.element.hidden = empty;
  },
});
const scenes = new SceneRunner({
  send: (text) => composer.sendText(text),
  setMode: (mode) => post({ type: 'settings/setMode', mode }),
  compact: () => requests.compact(),
  mode: () => snapshot?.agent?.mode,
});
const emptyState = new EmptyState(post, (text) => composer.sendText(text), (scene) => scenes.run(scene));
const agentBar = new AgentBar(post);
/** Tool calls waiting for approval, in the order they asked. */
const waitingTools = new Set<string>();

root.append(
  header.element,
  notices.element,
  h('main', { class: 'timeline-wrap' }, timeline.element, timeline.segmentBanner, emptyState.element),
  h('footer', { class: 'footer' }, meter.element, agentBar.element, composer.element),
  liveRegion,
);

function applySnapshot(next: ViewSnapshot): void {
  snapshot = next;
  // Which conversation the view shows: a new one replacing an empty one looks the same otherwise.
  root.dataset.conversationId = next.activeId;
  header.setTitle(next.activeId, next.activeTitle);
  header.setBackend(next.backend);
  header.setConversations(next.conversations, next.activeId);
  meter.setSettings(next.compactionMode, next.model);
  effort.update(next.effort);
  meter.update(next.meter);
  composer.setGenerating(next.generating);
  emptyState.update(next.backend, next.model);
  root.classList.toggle('untrusted', !next.workspaceTrusted);
  root.classList.toggle('backend-demo', next.backend.kind === 'demo');
  agentBar.update(next.agent);
}

function onBootstrap(message: Extract<ToWebview, { type: 'state/bootstrap' }>): void {
  const { state } = message;
  const ui = getUiState();
  const sameConversation = ui.activeId === state.active.id;
  applySnapshot(snapshotOf(state));
  waitingTools.clear();
  for (const item of state.active.items) {
    if (item.kind === 'tool' && item.status === 'awaitingApproval') {
      waitingTools.add(item.id);
    }
  }
  agentBar.setWaiting(Array.from(waitingTools));
  // A view that (re)loads shows the attachments waiting for the next message: they are sent with it.
  composer.setChips(state.chips);
  timeline.reset(state.active.id, state.active.items, state.active.hasOlder, sameConversation ? ui.scroll : undefined);
  if (message.focusItemId !== undefined) {
    timeline.focusItem(message.focusItemId);
  }
  composer.resetMode();
  if (!bootstrapped) {
    // First bootstrap after a reload: put back what the user had typed and was searching.
    bootstrapped = true;
    if (ui.draft !== '' && composer.text === '') {
      composer.setText(ui.draft);
    }
    header.restoreHistory(ui.historyOpen, ui.search);
  }
  updateUiState({ activeId: state.active.id, scroll: timeline.scrollMemory() });
}

function announceDone(item: TimelineItem): void {
  if (item.kind !== 'assistant') {
    return;
  }
  switch (item.status) {
    case 'done':
      announce(item.text.trim() === '' ? 'Claude finished without text.' : `Claude answered: ${plainPreview(item.text)}`);
      break;
    case 'stopped':
      announce('Answer stopped.');
      break;
    case 'cut':
      announce('The answer was cut off at the output limit. Continue is available.');
      break;
    case 'interrupted':
      announce('The answer was interrupted. Retry is available.');
      break;
    case 'refused':
      announce('Claude declined to answer.');
      break;
    case 'streaming':
      break;
  }
}

/** An answer of tool calls keeps its bubble when it carries thinking worth showing. */
function showsThinking(item: Extract<TimelineItem, { kind: 'assistant' }>): boolean {
  const view = item.thinking;
  return view !== undefined && (view.text !== '' || view.redacted > 0 || view.updates.length > 0);
}

function handle(message: ToWebview): void {
  switch (message.type) {
    case 'state/bootstrap':
      onBootstrap(message);
      break;
    case 'chat/started':
      if (snapshot !== undefined) {
        snapshot = reduceSnapshot(snapshot, message);
      }
      // A retry answers the message that failed, which is in the timeline already: the copy put back
      // in the prompt box is no longer needed, unless the user has changed it since.
      if (message.user === undefined && failedDraft !== undefined && composer.text === failedDraft) {
        composer.setText('');
      }
      failedDraft = undefined;
      // A placeholder left open (a turn that paused after compacting) never gets its own done.
      timeline.settleStreams();
      if (message.replacesId !== undefined) {
        timeline.removeFrom(message.replacesId);
      }
      if (message.user !== undefined) {
        timeline.upsert(message.user);
      }
      timeline.startStream({
        kind: 'assistant',
        id: message.assistantId,
        at: Date.now(),
        text: '',
        status: 'streaming',
        model: snapshot?.model,
      });
      break;
    case 'chat/delta':
      timeline.appendDelta(message.assistantId, message.text);
      break;
    case 'chat/thinking':
      timeline.appendThinking(message.assistantId, message.part, message.text, message.start === true);
      break;
    case 'chat/item':
      timeline.upsert(message.item);
      break;
    case 'chat/done':
      timeline.finishStream(message.item);
      if (message.item.kind === 'assistant' && message.item.status === 'done') {
        // A Retry that got its answer: the error card of the attempt before is settled.
        timeline.dropAnsweredErrors();
      }
      // An answer that only called tools shows as its cards, without an empty bubble.
      if (message.item.kind === 'assistant' && message.item.text.trim() === '' && (message.item.toolCalls ?? 0) > 0 && message.item.status === 'done' && !showsThinking(message.item)) {
        timeline.remove(message.item.id);
      }
      announceDone(message.item);
      break;
    case 'chat/failed':
      timeline.settleStreams();
      timeline.upsert(message.error);
      if (message.draft !== undefined && message.draft !== '') {
        composer.restoreDraft(message.draft);
        failedDraft = composer.text;
      }
      if (message.error.kind === 'error') {
        announce(message.error.message);
      }
      break;
    case 'chat/refused':
      notices.show('info', message.message);
      if (message.draft !== undefined && message.draft !== '') {
        composer.restoreDraft(message.draft);
      }
      break;
    case 'meter/didChange':
    case 'backend/didChange':
    case 'generating/didChange':
    case 'conversations/didChange':
    case 'settings/didChange':
      if (snapshot !== undefined) {
        const next = reduceSnapshot(snapshot, message);
        snapshot = next;
        if (message.type === 'meter/didChange') {
          meter.update(next.meter);
        } else if (message.type === 'backend/didChange') {
          header.setBackend(next.backend);
          root.classList.toggle('backend-demo', next.backend.kind === 'demo');
          emptyState.update(next.backend, next.model);
        } else if (message.type === 'generating/didChange') {
          composer.setGenerating(next.generating);
          scenes.generatingChanged(next.generating);
          if (!next.generating) {
            notices.clear('retry');
            timeline.settleStreams(); // every answer of the turn has had its done by now
          }
        } else if (message.type === 'conversations/didChange') {
          header.setConversations(next.conversations, next.activeId);
          header.setTitle(next.activeId, next.activeTitle);
        } else {
          meter.setSettings(next.compactionMode, next.model);
          effort.update(next.effort);
          emptyState.update(next.backend, next.model);
        }
      }
      break;
    case 'notice/show':
      notices.show(message.level, message.message, message.topic);
      break;
    case 'timeline/older':
      timeline.prependOlder(message.conversationId, message.items, message.hasOlder);
      break;
    case 'tool/didChange':
      timeline.upsert(message.item);
      if (message.item.status === 'awaitingApproval') {
        waitingTools.add(message.item.id);
        announce(`Claude asks to ${message.item.title}. Approval needed.`);
      } else {
        waitingTools.delete(message.item.id);
      }
      agentBar.setWaiting(Array.from(waitingTools));
      break;
    case 'tool/didClear':
      timeline.markCleared(message.cleared);
      break;
    case 'agent/didChange':
      if (snapshot !== undefined) {
        snapshot = reduceSnapshot(snapshot, message);
      }
      agentBar.update(message.agent);
      scenes.modeChanged(message.agent.mode);
      break;
    case 'search/results':
      header.showSearchResults(message.query, message.hits);
      break;
    case 'context/results':
      composer.showPickerResults(message);
      break;
    case 'attachments/didChange':
      if (message.conversationId === snapshot?.activeId) {
        composer.setChips(message.chips);
      }
      break;
    case 'context/attachFailed':
      composer.showAttachProblem(message);
      announce(message.message);
      break;
    case 'context/attachProblemResolved':
      composer.resolveAttachProblem(message.itemId);
      break;
    case 'prompt/insert':
      composer.insertText(message.text);
      break;
    default:
      assertNever(message);
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data;
  // Messages come from the host; anything without a `type` is not ours (e.g. VS Code internals).
  if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') {
    handle(data as ToWebview);
  }
});

document.addEventListener('keydown', (event) => {
  const target = event.target;
  const inField =
    target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
  if (event.key === 'Escape' && snapshot?.generating === true && !event.defaultPrevented) {
    event.preventDefault();
    requests.cancel();
  } else if (event.key === 'F2' && !inField) {
    event.preventDefault();
    header.startRename();
  }
});

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') {
    updateUiState({ scroll: timeline.scrollMemory() });
    flushUiState();
  }
});
window.addEventListener('pagehide', () => flushUiState());
// When VS Code focuses the view (its Focus command, or its tab), start in the prompt box; a click
// inside the page focuses what was clicked instead.
let pointerFocus = false;
window.addEventListener(
  'pointerdown',
  () => {
    pointerFocus = true;
    setTimeout(() => {
      pointerFocus = false;
    }, 0);
  },
  true,
);
window.addEventListener('focus', () => {
  if (!pointerFocus && (document.activeElement === null || document.activeElement === document.body)) {
    composer.focus();
  }
});

post({ type: 'webview/ready' });
