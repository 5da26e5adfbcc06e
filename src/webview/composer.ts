// The prompt box: Enter sends, Shift+Enter adds a line, Up in an empty box edits the last
// message, Escape stops a running answer. Nothing the user typed is dropped: the draft is kept
// in the UI state and a failed send puts its text back.
import type { ToHost } from '../shared/protocol';
import { button, h, icon } from './dom';

export interface ComposerHost {
  post(message: ToHost): void;
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

  constructor(private readonly host: ComposerHost) {
    this.textarea = h('textarea', {
      class: 'prompt',
      testid: 'prompt',
      attrs: {
        'aria-label': 'Message Marathon',
        placeholder: 'Ask Claude… (Enter to send, Shift+Enter for a new line)',
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
    this.element = h(
      'div',
      { class: 'composer' },
      this.editChip,
      h('div', { class: 'prompt-row' }, this.textarea, this.sendButton, this.stopButton),
      this.hint,
    );

    this.textarea.addEventListener('keydown', (event) => this.onKeyDown(event));
    this.textarea.addEventListener('input', () => {
      this.autoGrow();
      this.clearHint();
      this.host.onDraftChange(this.textarea.value);
    });
    this.sendButton.addEventListener('click', () => this.submit());
    this.stopButton.addEventListener('click', () => this.host.post({ type: 'chat/cancel' }));
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
        this.host.post({ type: 'chat/cancel' });
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
    const edit = this.editingLast;
    this.host.post(edit ? { type: 'chat/editLast', text } : { type: 'chat/send', text });
    this.editingLast = false;
    this.editChip.hidden = true;
    this.setText('');
    this.clearHint();
    this.host.onSent();
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
