// The attachments above the prompt: one chip each, with its estimated size in tokens, a remove button
// and, for files, a pin toggle. Pinned chips are drawn apart (an accent border and fill, a filled pin);
// pinned files already sent stay as chips (outlined): they are what Marathon re-sends after each compaction.
import type { AttachmentChip, ToHost } from '../shared/protocol';
import { button, h, icon } from './dom';
import { formatTokens } from './format';

/** The codicon of each kind of attachment, shared by the chips and the picker. */
export const KIND_ICONS: Record<AttachmentChip['kind'], string> = {
  file: 'file',
  folder: 'folder',
  selection: 'selection',
  editors: 'files',
  problems: 'warning',
  terminal: 'terminal',
  gitChanges: 'git-compare',
  mcpResource: 'plug',
};

export class ChipRow {
  readonly element: HTMLElement;
  private chips: AttachmentChip[] = [];

  constructor(private readonly post: (message: ToHost) => void) {
    this.element = h('div', { class: 'chips', testid: 'chips', hidden: true, attrs: { role: 'list', 'aria-label': 'Attachments' } });
    this.element.addEventListener('click', (event) => {
      const target = (event.target as HTMLElement).closest<HTMLButtonElement>('button[data-chip]');
      if (!target?.dataset.chip) {
        return;
      }
      this.post(target.dataset.action === 'pin' ? { type: 'attachments/togglePin', id: target.dataset.chip } : { type: 'attachments/remove', id: target.dataset.chip });
    });
  }

  get count(): number {
    return this.chips.filter((chip) => chip.pending).length;
  }

  /** The chips the next message carries, as shown. */
  pendingIds(): string[] {
    return this.chips.filter((chip) => chip.pending).map((chip) => chip.id);
  }

  set(chips: AttachmentChip[]): void {
    // Keep keyboard focus on the same chip's button when the row is rebuilt.
    const focused = document.activeElement instanceof HTMLButtonElement ? document.activeElement : undefined;
    const focusKey = focused?.dataset.chip !== undefined ? `${focused.dataset.chip}|${focused.dataset.action}` : undefined;
    this.chips = chips;
    this.element.replaceChildren(...chips.map((chip) => chipElement(chip)));
    this.element.hidden = chips.length === 0;
    if (focusKey !== undefined) {
      const [id, action] = focusKey.split('|');
      const again = [...this.element.querySelectorAll<HTMLButtonElement>('button[data-chip]')].find((candidate) => candidate.dataset.chip === id && candidate.dataset.action === action);
      again?.focus();
    }
  }
}

function chipElement(chip: AttachmentChip): HTMLElement {
  const tokens = `~${formatTokens(chip.tokens)} tokens`;
  const state = chip.pending ? (chip.pinned ? 'pinned, sent with your next message' : 'sent with your next message') : 'pinned, re-sent after each compaction';
  const element = h(
    'div',
    {
      class: `chip${chip.pending ? '' : ' chip-pinned-only'}${chip.pinned ? ' chip-pinned' : ''}`,
      testid: 'chip',
      title: `${chip.label} · ${tokens}${chip.truncated ? ' · truncated' : ''} · ${state}`,
      attrs: { role: 'listitem', 'aria-label': `${chip.label}, ${tokens}${chip.truncated ? ', truncated' : ''}, ${state}` },
    },
    icon(KIND_ICONS[chip.kind] ?? 'file'),
    h('span', { class: 'chip-label', text: chip.label }),
    h('span', { class: 'chip-tokens', text: `~${formatTokens(chip.tokens)}` }),
  );
  element.dataset.kind = chip.kind;
  element.dataset.pending = String(chip.pending);
  if (chip.truncated) {
    element.append(h('span', { class: 'chip-badge', text: 'truncated' }));
  }
  if (chip.pinnable) {
    // A toggle: one name, its state in aria-pressed (a name that flips to "Unpin" would read "Unpin, pressed").
    const pin = button({
      label: `Pin ${chip.label}: re-send it after each compaction`,
      icon: chip.pinned ? 'pinned' : 'pin',
      testid: 'chip-pin',
      class: 'chip-button chip-pin',
      action: 'pin',
      title: chip.pinned ? 'Pinned: re-sent after each compaction. Click to unpin' : 'Pin: re-send after each compaction',
    });
    pin.dataset.chip = chip.id;
    pin.setAttribute('aria-pressed', String(chip.pinned === true));
    element.append(pin);
  }
  const remove = button({
    label: chip.pending ? `Remove ${chip.label}` : `Unpin and remove ${chip.label}`,
    icon: 'close',
    testid: 'chip-remove',
    class: 'chip-button',
    action: 'remove',
  });
  remove.dataset.chip = chip.id;
  element.append(remove);
  return element;
}
