// The conversation list: filter titles locally as the user types, ask the host for full-text
// hits (which may lie in summarized segments), switch and delete conversations.
import type { ConversationSummary, SearchHit, ToHost } from '../shared/protocol';
import { button, h } from './dom';
import { formatRelative, matchesQuery } from './format';

export interface HistoryHost {
  post(message: ToHost): void;
  onSearchChange(query: string): void;
  /** The panel should close (Escape, or a conversation was chosen). */
  close(): void;
  /** Show a search hit: its conversation, scrolled to the message. */
  openHit(hit: SearchHit): void;
}

const SEARCH_DEBOUNCE_MS = 250;
const MIN_QUERY_LENGTH = 2;

export class HistoryPanel {
  readonly element: HTMLElement;
  readonly search: HTMLInputElement;
  private readonly list: HTMLUListElement;
  private readonly empty: HTMLElement;
  private readonly hitsSection: HTMLElement;
  private readonly hitsList: HTMLUListElement;
  private conversations: ConversationSummary[] = [];
  private activeId = '';
  private confirmingId: string | undefined;
  private searchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: HistoryHost) {
    this.search = h('input', {
      class: 'history-search',
      attrs: { type: 'search', 'aria-label': 'Search conversations', placeholder: 'Search titles and messages' },
    });
    this.list = h('ul', { class: 'history-items', attrs: { 'aria-label': 'Conversations' } });
    this.empty = h('p', { class: 'history-empty', text: 'No conversation title matches.', hidden: true });
    this.hitsList = h('ul', { class: 'history-hits', attrs: { 'aria-label': 'Matches in messages' } });
    this.hitsSection = h(
      'section',
      { class: 'history-hits-section', hidden: true },
      h('h3', { class: 'history-heading', text: 'Matches in messages' }),
      this.hitsList,
    );
    this.element = h(
      'div',
      { class: 'history', testid: 'history-list', hidden: true, attrs: { id: 'history-panel' } },
      this.search,
      this.list,
      this.empty,
      this.hitsSection,
    );
    this.search.addEventListener('input', () => this.onSearchInput());
    this.search.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        if (this.search.value !== '') {
          this.search.value = '';
          this.onSearchInput();
        } else {
          this.host.close();
        }
      }
    });
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && event.target !== this.search) {
        event.preventDefault();
        this.host.close();
      }
    });
  }

  setConversations(conversations: ConversationSummary[], activeId: string): void {
    this.conversations = [...conversations].sort((a, b) => b.updatedAt - a.updatedAt);
    this.activeId = activeId;
    this.renderList();
  }

  setQuery(query: string): void {
    this.search.value = query;
    this.renderList();
    this.requestSearch();
  }

  showResults(query: string, hits: SearchHit[]): void {
    if (query !== this.search.value.trim()) {
      return; // an answer to a query the user has typed past
    }
    this.hitsList.replaceChildren(...hits.map((hit) => this.hitRow(hit)));
    this.hitsSection.hidden = false;
    if (hits.length === 0) {
      this.hitsList.append(h('li', { class: 'history-empty', text: 'No message matches.' }));
    }
  }

  private onSearchInput(): void {
    this.renderList();
    this.host.onSearchChange(this.search.value);
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.requestSearch(), SEARCH_DEBOUNCE_MS);
  }

  private requestSearch(): void {
    const query = this.search.value.trim();
    if (query.length < MIN_QUERY_LENGTH) {
      this.hitsSection.hidden = true;
      this.hitsList.replaceChildren();
      return;
    }
    this.host.post({ type: 'search/query', query });
  }

  private renderList(): void {
    const query = this.search.value.trim();
    const shown = this.conversations.filter((c) => query === '' || matchesQuery(c.title, query));
    this.list.replaceChildren(...shown.map((c) => this.conversationRow(c)));
    this.empty.hidden = shown.length > 0 || this.conversations.length === 0;
  }

  private conversationRow(conversation: ConversationSummary): HTMLLIElement {
    const active = conversation.id === this.activeId;
    const open = h(
      'button',
      { class: 'history-open', attrs: { type: 'button' } },
      h('span', { class: 'history-title', text: conversation.title || 'Untitled' }),
      h('span', {
        class: 'history-meta',
        text: `${formatRelative(conversation.updatedAt)} · ${conversation.messageCount} messages`,
      }),
    );
    if (active) {
      open.setAttribute('aria-current', 'true');
    }
    open.addEventListener('click', () => this.switchTo(conversation.id));
    const row = h('li', { class: `history-row${active ? ' active' : ''}` }, open);
    if (this.confirmingId === conversation.id) {
      const confirm = button({ label: `Delete “${conversation.title}” permanently`, text: 'Delete', class: 'danger' });
      const cancel = button({ label: 'Keep the conversation', text: 'Keep' });
      confirm.addEventListener('click', () => {
        this.confirmingId = undefined;
        this.host.post({ type: 'conversation/delete', id: conversation.id });
        this.renderList();
      });
      cancel.addEventListener('click', () => {
        this.confirmingId = undefined;
        this.renderList();
        this.search.focus();
      });
      row.append(h('span', { class: 'history-confirm' }, confirm, cancel));
      queueMicrotask(() => cancel.focus());
    } else {
      const remove = button({ label: `Delete conversation “${conversation.title}”`, icon: 'trash', title: 'Delete' });
      remove.addEventListener('click', () => {
        this.confirmingId = conversation.id;
        this.renderList();
      });
      row.append(remove);
    }
    return row;
  }

  private hitRow(hit: SearchHit): HTMLLIElement {
    const open = h(
      'button',
      { class: 'history-open hit', attrs: { type: 'button' } },
      h('span', { class: 'history-title', text: hit.conversationTitle || 'Untitled' }),
      h('span', { class: 'hit-snippet', text: hit.snippet }),
    );
    if (hit.compacted) {
      open.querySelector('.history-title')?.after(
        h('span', {
          class: 'hit-badge',
          text: 'summarized',
          title: 'This part of the conversation is now seen by the model only as a summary',
        }),
      );
    }
    open.dataset.testid = 'search-hit';
    open.setAttribute('aria-label', `${hit.conversationTitle || 'Untitled'}: ${hit.snippet}${hit.compacted ? ' (summarized)' : ''}`);
    open.addEventListener('click', () => {
      this.host.openHit(hit);
      this.host.close();
    });
    return h('li', { class: 'history-row' }, open);
  }

  private switchTo(id: string): void {
    if (id !== this.activeId) {
      this.host.post({ type: 'conversation/switch', id });
    }
    this.host.close();
  }
}
