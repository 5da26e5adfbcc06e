// Dismissible banners for host notices (`notice/show`).
import { button, h, icon, textWithCode } from './dom';

const MAX_NOTICES = 3;

export class Notices {
  readonly element: HTMLElement = h('div', { class: 'notices', attrs: { 'aria-live': 'polite' } });

  show(level: 'info' | 'warning', message: string, topic?: string): void {
    // The same message twice stays one banner, and so does a topic (retry attempts count up in place).
    for (const existing of Array.from(this.element.children)) {
      if ((existing as HTMLElement).dataset['message'] === message || (topic !== undefined && (existing as HTMLElement).dataset['topic'] === topic)) {
        existing.remove();
      }
    }
    const dismiss = button({ label: 'Dismiss notice', icon: 'close', title: 'Dismiss' });
    const notice = h(
      'div',
      { class: `notice notice-${level}`, attrs: { role: level === 'warning' ? 'alert' : 'status' } },
      icon(level === 'warning' ? 'warning' : 'info'),
      h('p', { class: 'notice-text' }, ...textWithCode(message)),
      dismiss,
    );
    notice.dataset['message'] = message;
    if (topic !== undefined) {
      notice.dataset['topic'] = topic;
    }
    dismiss.addEventListener('click', () => notice.remove());
    notice.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        notice.remove();
      }
    });
    this.element.append(notice);
    while (this.element.childElementCount > MAX_NOTICES) {
      this.element.firstElementChild?.remove();
    }
  }

  /** Removes the notices on a topic (retry notices once the turn has settled). */
  clear(topic: string): void {
    for (const existing of Array.from(this.element.children)) {
      if ((existing as HTMLElement).dataset['topic'] === topic) {
        existing.remove();
      }
    }
  }
}
