// Header: the conversation title (rename inline), the demo badge, the provider badge (which cloud
// platform and region serve the conversation) and the conversation actions, with the history panel below.
import type { BackendInfo, ConversationSummary, ProviderKind, SearchHit, ToHost } from '../shared/protocol';
import type { ChatRequests } from './chatRequests';
import { button, h, icon } from './dom';
import { HistoryPanel } from './historyPanel';

export interface HeaderHost {
  post(message: ToHost): void;
  requests: ChatRequests;
  onHistoryChange(open: boolean, search: string): void;
  openHit(hit: SearchHit): void;
}

const MAX_TITLE_LENGTH = 200;
const COMPACT_TITLE = 'Compact now: summarize the conversation so far';
const SHORT_LABELS: Readonly<Record<ProviderKind, string>> = { anthropic: 'Anthropic', bedrock: 'Bedrock', vertex: 'Vertex AI', foundry: 'Foundry' };

export class Header {
  readonly element: HTMLElement;
  private readonly titleButton: HTMLButtonElement;
  private readonly titleInput: HTMLInputElement;
  private readonly demoBadge: HTMLElement;
  private readonly providerBadge: HTMLElement;
  private readonly providerText: HTMLElement;
  private readonly compactButton: HTMLButtonElement;
  private readonly historyToggle: HTMLButtonElement;
  private readonly history: HistoryPanel;
  private conversationId = '';
  private title = '';
  private renaming = false;

  constructor(private readonly host: HeaderHost) {
    this.titleButton = h('button', { class: 'title', testid: 'title', attrs: { type: 'button' } });
    this.titleInput = h('input', {
      class: 'title-input',
      hidden: true,
      attrs: { type: 'text', 'aria-label': 'Conversation title', maxlength: String(MAX_TITLE_LENGTH) },
    });
    this.demoBadge = h(
      'span',
      {
        class: 'demo-badge',
        testid: 'demo-badge',
        hidden: true,
        title: 'Demo backend: replies come from the bundled emulator, not from Claude.',
      },
      icon('beaker'),
      h('span', { text: 'Demo backend' }),
    );
    this.providerText = h('span', { class: 'provider-text' });
    this.providerBadge = h('span', { class: 'demo-badge provider-badge', testid: 'provider-badge', hidden: true }, icon('cloud'), this.providerText);
    const newButton = button({ label: 'New conversation', icon: 'add', testid: 'new-conversation' });
    this.historyToggle = button({ label: 'Conversation history', icon: 'history', testid: 'history-toggle' });
    this.historyToggle.setAttribute('aria-expanded', 'false');
    this.historyToggle.setAttribute('aria-controls', 'history-panel');
    const compactButton = (this.compactButton = button({
      label: 'Compact the conversation now',
      icon: 'fold',
      testid: 'compact-now',
      title: COMPACT_TITLE,
    }));
    const exportButton = button({ label: 'Export conversation as Markdown', icon: 'export', testid: 'export' });
    // In an editor tab the chat is already where this button would take it.
    const inEditor = document.body.dataset.surface === 'editor';
    const openInEditorButton = button({ label: 'Open the chat in an editor tab', icon: 'link-external', testid: 'open-in-editor', title: 'Open in editor' });
    openInEditorButton.hidden = inEditor;

    this.history = new HistoryPanel({
      post: (message) => this.host.post(message),
      onSearchChange: (query) => this.host.onHistoryChange(this.isHistoryOpen(), query),
      close: () => this.setHistoryOpen(false, true),
      openHit: (hit) => this.host.openHit(hit),
    });

    this.element = h(
      'header',
      { class: 'header' },
      h(
        'div',
        { class: 'header-row' },
        h('div', { class: 'title-wrap' }, this.titleButton, this.titleInput),
        this.demoBadge,
        this.providerBadge,
        h('div', { class: 'header-actions' }, newButton, this.historyToggle, compactButton, exportButton, openInEditorButton),
      ),
      this.history.element,
    );

    this.titleButton.addEventListener('click', () => this.startRename());
    this.titleButton.addEventListener('keydown', (event) => {
      if (event.key === 'F2') {
        event.preventDefault();
        this.startRename();
      }
    });
    this.titleInput.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        this.endRename(true);
      } else if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        this.endRename(false);
      }
    });
    this.titleInput.addEventListener('blur', () => this.endRename(true));
    newButton.addEventListener('click', () => this.host.post({ type: 'conversation/new' }));
    this.historyToggle.addEventListener('click', () => this.setHistoryOpen(!this.isHistoryOpen(), false));
    compactButton.addEventListener('click', () => this.host.requests.compact());
    exportButton.addEventListener('click', () => this.host.post({ type: 'conversation/export' }));
    openInEditorButton.addEventListener('click', () => this.host.post({ type: 'command/run', command: 'openInEditor' }));
  }

  setTitle(conversationId: string, title: string): void {
    this.conversationId = conversationId;
    this.title = title;
    const shown = title.trim() === '' ? 'New conversation' : title;
    this.titleButton.textContent = shown;
    this.titleButton.title = `${shown} — click or press F2 to rename`;
    this.titleButton.setAttribute('aria-label', `Conversation: ${shown}. Press F2 or Enter to rename.`);
  }

  setBackend(backend: BackendInfo): void {
    this.demoBadge.hidden = backend.kind !== 'demo';
    const provider = backend.provider;
    const onPlatform = provider !== undefined && provider.id !== 'anthropic';
    this.providerBadge.hidden = !onPlatform;
    if (onPlatform) {
      const where = provider.region ? ` · ${provider.region}` : '';
      this.providerText.textContent = `${SHORT_LABELS[provider.id]}${where}`;
      this.providerBadge.title = `Served by ${provider.label}${provider.region ? ` in ${provider.region}` : ''}${provider.credentials ? `, signed in with ${provider.credentials}` : ''}.`;
      this.providerBadge.setAttribute('aria-label', this.providerBadge.title);
    }
    // Compact Now stays focusable and says why it cannot run (a disabled button would hide the reason).
    const unavailable = backend.compactNowUnavailable;
    this.compactButton.setAttribute('aria-disabled', unavailable ? 'true' : 'false');
    this.compactButton.classList.toggle('unavailable', unavailable !== undefined);
    this.compactButton.title = unavailable ? `Compact now is unavailable: ${unavailable}` : COMPACT_TITLE;
    this.compactButton.setAttribute('aria-label', unavailable ? `Compact the conversation now (unavailable: ${unavailable})` : 'Compact the conversation now');
  }

  setConversations(conversations: ConversationSummary[], activeId: string): void {
    this.history.setConversations(conversations, activeId);
  }

  showSearchResults(query: string, hits: SearchHit[]): void {
    this.history.showResults(query, hits);
  }

  restoreHistory(open: boolean, search: string): void {
    if (search !== '') {
      this.history.setQuery(search);
    }
    if (open) {
      this.setHistoryOpen(true, false, false);
    }
  }

  startRename(): void {
    if (this.renaming || this.conversationId === '') {
      return;
    }
    this.renaming = true;
    this.titleInput.value = this.title;
    this.titleButton.hidden = true;
    this.titleInput.hidden = false;
    this.titleInput.focus();
    this.titleInput.select();
  }

  private endRename(commit: boolean): void {
    if (!this.renaming) {
      return;
    }
    this.renaming = false;
    const title = this.titleInput.value.trim().slice(0, MAX_TITLE_LENGTH);
    this.titleInput.hidden = true;
    this.titleButton.hidden = false;
    if (commit && title !== '' && title !== this.title) {
      this.host.post({ type: 'conversation/rename', id: this.conversationId, title });
      this.setTitle(this.conversationId, title); // optimistic; the host confirms via conversations/didChange
    }
    this.titleButton.focus();
  }

  private isHistoryOpen(): boolean {
    return !this.history.element.hidden;
  }

  private setHistoryOpen(open: boolean, returnFocus: boolean, focusSearch = true): void {
    this.history.element.hidden = !open;
    this.historyToggle.setAttribute('aria-expanded', String(open));
    this.historyToggle.classList.toggle('toggled', open);
    if (open && focusSearch) {
      this.history.search.focus();
    } else if (returnFocus) {
      this.historyToggle.focus();
    }
    this.host.onHistoryChange(open, this.history.search.value);
  }
}
