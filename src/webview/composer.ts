// The prompt box: Enter sends, Shift+Enter adds a line, Up in an empty box edits the last
// message, Escape stops a running answer. Nothing the user typed is dropped: the draft is kept
// in the UI state and a failed send puts its text back.
import type { AttachmentChip, ContextItem, ToHost, ToWebview } from '../shared/protocol';
import type { ChatRequests } from './chatRequests';
import { ChipRow } from './chips';
import { button, h, icon } from './dom';
import { Picker, mentionAt } from './picker';

export interface ComposerHost {
  post(message: ToHost): void;
  requests: ChatRequests;
  lastUserText(): string | undefined;
  onDraftChange(text: string): void;
  /** A message left the box. */
  onSent(): void;
}

/** The box grows with its content up to this height, then scrolls. */
const MAX_HEIGHT_PX = 240;

export class Composer {
  readonly element: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly hint: HTMLElement;
  private readonly editChip: HTMLElement;
  private generating = false;
  private editingLast = false;
  private hintTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly chips: ChipRow;
  private readonly picker: Picker;
  private readonly attachProblem: HTMLElement;
  /** Where the `@` being completed starts; a dismissed one does not reopen the picker. */
  private mentionStart: number | undefined;
  private dismissedMention: number | undefined;

  constructor(private readonly host: ComposerHost) {
    this.textarea = h('textarea', {
      class: 'prompt',
      testid: 'prompt',
      attrs: {
        'aria-label': 'Message Marathon',
        // One short line that fits the sidebar at its default width; the empty state lists the keys.
        placeholder: 'Ask Claude… (@ to attach)',
        rows: '1',
        spellcheck: 'true',
      },
    });
    this.sendButton = button({ label: 'Send message', icon: 'send', testid: 'send', class: 'send-button', title: 'Send (Enter)' });
    this.stopButton = button({
      label: 'Stop generating',
      icon: 'debug-stop',
      testid: 'stop',
      class: 'stop-button',
      title: 'Stop (Escape)',
    });
    this.stopButton.hidden = true;
    this.hint = h('div', { class: 'composer-hint', attrs: { 'aria-live': 'polite' } });
    const cancelEdit = button({ label: 'Cancel editing', icon: 'close', title: 'Cancel editing (Escape)' });
    this.editChip = h(
      'div',
      { class: 'edit-chip', hidden: true },
      icon('edit'),
      h('span', { text: 'Editing your last message — sending replaces it and asks again.' }),
      cancelEdit,
    );
    this.chips = new ChipRow((message) => this.host.post(message));
    this.picker = new Picker({
      post: (message) => this.host.post(message),
      onPick: (item) => this.pick(item),
      onStateChange: (open, activeId) => {
        this.textarea.setAttribute('aria-expanded', String(open));
        if (activeId !== undefined) {
          this.textarea.setAttribute('aria-activedescendant', activeId);
        } else {
          this.textarea.removeAttribute('aria-activedescendant');
        }
      },
    });
    this.textarea.setAttribute('aria-controls', 'context-picker');
    this.textarea.setAttribute('aria-autocomplete', 'list');
    this.textarea.setAttribute('aria-expanded', 'false');
    const attachButton = button({ label: 'Attach context (@)', icon: 'mention', testid: 'attach', class: 'attach-button', title: 'Attach files, the selection, problems… (@)' });
    attachButton.addEventListener('click', () => this.openPicker());
    this.attachProblem = h('div', { class: 'attach-problem', testid: 'attach-problem', hidden: true, attrs: { role: 'status' } });
    this.element = h(
      'div',
      { class: 'composer' },
      this.editChip,
      this.attachProblem,
      this.chips.element,
      this.picker.element,
      h('div', { class: 'prompt-row' }, attachButton, this.textarea, this.sendButton, this.stopButton),
      this.hint,
    );

    this.textarea.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.textarea.addEventListener('input', () => {
      this.autoGrow();
      this.clearHint();
      this.host.onDraftChange(this.textarea.value);
      this.updateMention();
    });
    // The caret can leave the `@` word without typing (arrows, clicks).
    this.textarea.addEventListener('keyup', (event) => {
      if (event.key === 'ArrowLeft' || event.key === 'ArrowRight' || event.key === 'Home' || event.key === 'End') {
        this.updateMention();
      }
    });
    this.textarea.addEventListener('click', () => this.updateMention());
    this.textarea.addEventListener('blur', () => this.picker.close());
    this.sendButton.addEventListener('click', () => this.submit());
    this.stopButton.addEventListener('click', () => this.host.requests.cancel());
    cancelEdit.addEventListener('click', () => this.cancelEdit());
  }

  setGenerating(generating: boolean): void {
    const hadFocus = document.activeElement === this.sendButton || document.activeElement === this.stopButton;
    this.generating = generating;
    this.sendButton.hidden = generating;
    this.stopButton.hidden = !generating;
    if (hadFocus) {
      (generating ? this.stopButton : this.sendButton).focus();
    }
  }

  get text(): string {
    return this.textarea.value;
  }

  setText(text: string): void {
    this.textarea.value = text;
    this.autoGrow();
    this.host.onDraftChange(text);
  }

  /** Puts back text that did not reach the model, without losing anything typed since. */
  restoreDraft(draft: string): void {
    const current = this.textarea.value;
    if (current.trim() === '' || current === draft) {
      this.setText(draft);
    } else if (!current.includes(draft)) {
      this.setText(`${draft}\n\n${current}`);
    }
    this.focus();
  }

  /** Inserts text at the cursor (e.g. a compaction summary), on its own lines. */
  insertText(text: string): void {
    const { selectionStart, selectionEnd, value } = this.textarea;
    const before = value.slice(0, selectionStart);
    const after = value.slice(selectionEnd);
    const lead = before === '' || before.endsWith('\n\n') ? '' : before.endsWith('\n') ? '\n' : '\n\n';
    const trail = after === '' || after.startsWith('\n') ? '' : '\n';
    this.setText(`${before}${lead}${text}${trail}${after}`);
    const cursor = before.length + lead.length + text.length;
    this.textarea.setSelectionRange(cursor, cursor);
    this.focus();
  }

  /** Fills the box and sends right away (example prompts). */
  sendText(text: string): void {
    this.setText(text);
    this.submit();
  }

  focus(): void {
    this.textarea.focus();
  }

  /** A new conversation was shown: an edit of the previous one's last message is void. */
  resetMode(): void {
    if (this.editingLast) {
      this.editingLast = false;
      this.editChip.hidden = true;
    }
  }

  private onKeyDown(event: KeyboardEvent): void {
    // While an IME composes, Enter confirms the composition instead of sending.
    if (event.isComposing) {
      return;
    }
    if (this.picker.handleKey(event)) {
      if (event.key === 'Escape') {
        this.dismissedMention = this.mentionStart;
      }
      return;
    }
    if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      this.submit();
    } else if (event.key === 'ArrowUp' && this.textarea.value === '' && !this.generating) {
      const last = this.host.lastUserText();
      if (last !== undefined) {
        event.preventDefault();
        this.editingLast = true;
        this.editChip.hidden = false;
        this.setText(last);
        this.textarea.setSelectionRange(last.length, last.length);
      }
    } else if (event.key === 'Escape') {
      if (this.generating) {
        event.preventDefault();
        event.stopPropagation();
        this.host.requests.cancel();
      } else if (this.editingLast) {
        event.preventDefault();
        this.cancelEdit();
      }
    }
  }

  private submit(): void {
    const text = this.textarea.value;
    if (text.trim() === '') {
      this.showHint('Type a message first.');
      this.focus();
      return;
    }
    if (this.generating) {
      this.showHint('Claude is still answering. Press Escape or Stop to end it first.');
      return;
    }
    this.picker.close();
    const edit = this.editingLast;
    if (edit) {
      this.host.requests.editLast(text);
    } else {
      this.host.requests.send(text, this.chips.pendingIds());
    }
    this.editingLast = false;
    this.editChip.hidden = true;
    this.setText('');
    this.clearHint();
    this.host.onSent();
  }

  /** Results for the `@` picker. */
  showPickerResults(message: Extract<ToWebview, { type: 'context/results' }>): void {
    this.picker.showResults(message);
  }

  /** The attachments waiting above the prompt. */
  setChips(chips: AttachmentChip[]): void {
    this.chips.set(chips);
  }

  /** An attachment was refused: say why, and offer the first part of a file over the limit. */
  showAttachProblem(message: Extract<ToWebview, { type: 'context/attachFailed' }>): void {
    const dismiss = button({ label: 'Dismiss', icon: 'close', class: 'attach-problem-dismiss' });
    dismiss.addEventListener('click', () => this.clearAttachProblem());
    const children: HTMLElement[] = [icon('warning'), h('span', { class: 'attach-problem-text', text: message.message })];
    if (message.canTruncate) {
      const attachPart = button({ label: 'Attach the first part, marked as truncated', text: 'Attach first part', testid: 'attach-truncated' });
      attachPart.addEventListener('click', () => {
        this.host.post({ type: 'context/attach', itemId: message.itemId, truncate: true });
        this.clearAttachProblem();
        this.focus();
      });
      children.push(attachPart);
    }
    children.push(dismiss);
    this.attachProblem.replaceChildren(...children);
    this.attachProblem.dataset.itemId = message.itemId;
    this.attachProblem.hidden = false;
  }

  /** The refusal for `itemId` no longer holds: it leaves, unless another one has replaced it since. */
  resolveAttachProblem(itemId: string): void {
    if (this.attachProblem.dataset.itemId === itemId) {
      this.clearAttachProblem();
    }
  }

  private clearAttachProblem(): void {
    this.attachProblem.hidden = true;
    this.attachProblem.replaceChildren();
    delete this.attachProblem.dataset.itemId;
  }

  /** Opens the picker from the Attach button: types an `@` at the caret. */
  private openPicker(): void {
    const { selectionStart, value } = this.textarea;
    const before = value.slice(0, selectionStart);
    const insert = before === '' || /\s$/.test(before) ? '@' : ' @';
    this.textarea.setRangeText(insert, selectionStart, this.textarea.selectionEnd, 'end');
    this.host.onDraftChange(this.textarea.value);
    this.focus();
    this.updateMention();
  }

  /** Opens, updates or closes the picker from the `@` word at the caret. */
  private updateMention(): void {
    const { value, selectionStart, selectionEnd } = this.textarea;
    const mention = selectionStart === selectionEnd ? mentionAt(value, selectionStart) : undefined;
    if (!mention || mention.start === this.dismissedMention) {
      this.mentionStart = undefined;
      if (!mention) {
        this.dismissedMention = undefined;
      }
      this.picker.close();
      return;
    }
    this.mentionStart = mention.start;
    this.picker.search(mention.query);
  }

  /** Removes the `@query` text and asks the host to attach the item; its chip appears when attached. */
  private pick(item: ContextItem): void {
    const start = this.mentionStart;
    if (start !== undefined) {
      const end = this.textarea.selectionStart;
      this.textarea.setRangeText('', start, end, 'end');
      this.autoGrow();
      this.host.onDraftChange(this.textarea.value);
    }
    this.mentionStart = undefined;
    this.picker.close();
    this.clearAttachProblem();
    this.host.post({ type: 'context/attach', itemId: item.id });
    this.focus();
  }

  private cancelEdit(): void {
    this.editingLast = false;
    this.editChip.hidden = true;
    this.setText('');
    this.focus();
  }

  private autoGrow(): void {
    // Measure the content height with the box collapsed, then cap it.
    this.textarea.style.height = 'auto';
    const height = Math.min(this.textarea.scrollHeight, MAX_HEIGHT_PX);
    this.textarea.style.height = `${height}px`;
    this.textarea.style.overflowY = this.textarea.scrollHeight > MAX_HEIGHT_PX ? 'auto' : 'hidden';
  }

  private showHint(text: string): void {
    this.hint.textContent = text;
    clearTimeout(this.hintTimer);
    this.hintTimer = setTimeout(() => this.clearHint(), 4000);
  }

  private clearHint(): void {
    clearTimeout(this.hintTimer);
    this.hint.textContent = '';
  }
}
