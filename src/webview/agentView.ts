// Agent mode in the view: the tool cards of the timeline, and the bar above the prompt with the mode
// switch and the auto-approve controls. Tool input and output are untrusted text: textContent only.
import type { AgentState, TimelineItem, ToHost, ToolStatus } from '../shared/protocol';
import { button, h, icon } from './dom';
import { formatTokens } from './format';

export type ToolItem = Extract<TimelineItem, { kind: 'tool' }>;

const statusLabels: Record<ToolStatus, string> = {
  pending: 'Preparing…',
  awaitingApproval: 'Waiting for approval',
  running: 'Running…',
  done: 'Done',
  refused: 'Refused',
  failed: 'Failed',
  stopped: 'Stopped',
  interrupted: 'Not run',
};

const statusIcons: Record<ToolStatus, string> = {
  pending: 'loading',
  awaitingApproval: 'question',
  running: 'sync',
  done: 'check',
  refused: 'circle-slash',
  failed: 'error',
  stopped: 'debug-stop',
  interrupted: 'debug-pause',
};

function toolIcon(item: ToolItem): string {
  switch (item.name) {
    case 'read_file':
      return 'file';
    case 'list_files':
      return 'list-tree';
    case 'search_text':
      return 'search';
    case 'get_diagnostics':
      return 'warning';
    case 'edit_file':
      return 'edit';
    case 'run_command':
      return 'terminal';
    default:
      return item.toolKind === 'mcp' ? 'plug' : 'tools';
  }
}

function approveLabel(item: ToolItem): string {
  return item.toolKind === 'command' ? 'Run' : item.toolKind === 'edit' ? 'Apply' : 'Allow';
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

/** The card of one tool call; its buttons carry `data-action`, handled by the timeline's delegation. */
export function createToolCard(item: ToolItem, resultOpen: boolean, onResultToggle: (open: boolean) => void): HTMLElement {
  const element = h('article', { class: `entry tool-card tool-${item.toolKind}`, testid: 'tool-card' });
  element.dataset.id = item.id;
  element.dataset.status = item.status;
  element.dataset.tool = item.name;
  element.setAttribute('aria-label', `${item.title}: ${statusLabels[item.status]}`);
  const status = h('span', { class: 'tool-status', testid: 'tool-status' }, icon(statusIcons[item.status], item.status === 'running' || item.status === 'pending' ? 'codicon-modifier-spin' : ''), h('span', { text: statusLabels[item.status] }));
  const ran = item.status === 'done' || item.status === 'failed' || item.status === 'stopped';
  const meta = item.durationMs !== undefined && ran ? h('span', { class: 'tool-duration', text: formatDuration(item.durationMs) }) : undefined;
  const head = h('div', { class: 'tool-head' }, icon(toolIcon(item), 'tool-icon'), h('span', { class: 'tool-title', testid: 'tool-title', text: item.title, title: item.title }), status);
  if (meta) {
    head.append(meta);
  }
  element.append(head);
  if (item.clearedTokens !== undefined) {
    element.dataset.cleared = 'true';
    element.append(
      h(
        'p',
        { class: 'tool-cleared', testid: 'tool-cleared', title: 'Context editing removed this result from what Claude reads; Marathon keeps it here.' },
        icon('eye-closed'),
        h('span', { text: `Cleared from Claude's context · ${formatTokens(item.clearedTokens)} tokens freed` }),
      ),
    );
  }
  if (item.cwd !== undefined && item.toolKind === 'command') {
    element.append(h('div', { class: 'tool-cwd', testid: 'tool-cwd' }, icon('folder'), h('span', { text: `in ${item.cwd}`, title: item.cwd })));
  }
  if (item.detail !== undefined && item.detail !== '' && (item.toolKind !== 'command' || item.detail.includes('\n') || item.status === 'awaitingApproval')) {
    element.append(h('pre', { class: 'tool-detail', testid: 'tool-detail', text: item.detail }));
  }
  if (item.status === 'awaitingApproval' && item.toolKind === 'mcp') {
    element.append(mcpApproval(item));
  } else if (item.status === 'awaitingApproval') {
    const note =
      item.toolKind === 'edit'
        ? 'Review the change in the diff editor, then apply or refuse it here or there.'
        : item.toolKind === 'command'
          ? 'This command runs in the folder above only if you allow it.'
          : 'Claude asks to read from the workspace.';
    element.append(
      h('p', { class: 'tool-note', text: note }),
      h(
        'div',
        { class: 'tool-actions' },
        button({ label: `${approveLabel(item)}: ${item.title}`, text: approveLabel(item), icon: 'check', action: 'tool-approve', testid: 'tool-approve', class: 'primary' }),
        button({ label: `Refuse: ${item.title}`, text: 'Refuse', icon: 'close', action: 'tool-refuse', testid: 'tool-refuse' }),
      ),
    );
  }
  if (item.status === 'interrupted') {
    element.append(
      h(
        'div',
        { class: 'tool-actions latest-only' },
        h('span', { class: 'tool-note', text: 'This call did not run.' }),
        button({ label: 'Resume the tool loop', text: 'Resume', icon: 'debug-continue', action: 'continue', testid: 'tool-resume' }),
      ),
    );
  }
  if (item.result !== undefined) {
    const lines = item.result.split('\n').length;
    const details = h('details', { class: 'tool-result', testid: 'tool-result' });
    details.open = resultOpen;
    details.append(h('summary', { text: lines === 1 ? 'Result' : `Result (${lines} lines)` }), h('pre', { class: 'tool-output', text: item.result }));
    details.addEventListener('toggle', () => onResultToggle(details.open));
    element.append(details);
  }
  return element;
}

/** An MCP call's approval: this once, the tool or its server for this conversation, or the tool always. */
function mcpApproval(item: ToolItem): HTMLElement {
  const [server = item.name, tool = item.name] = item.title.split(' › ');
  const scoped = (text: string, scope: string, label: string, testid: string, extra = ''): HTMLButtonElement => {
    const element = button({ label, text, action: 'tool-approve', testid, class: extra });
    element.dataset.scope = scope;
    return element;
  };
  return h(
    'div',
    { class: 'tool-mcp-approval' },
    h('p', { class: 'tool-note', text: `Claude asks to call the tool ${tool} of the MCP server ${server}, with the arguments above.` }),
    h(
      'div',
      { class: 'tool-actions' },
      button({ label: `Allow once: ${item.title}`, text: 'Allow', icon: 'check', action: 'tool-approve', testid: 'tool-approve', class: 'primary' }),
      button({ label: `Refuse: ${item.title}`, text: 'Refuse', icon: 'close', action: 'tool-refuse', testid: 'tool-refuse' }),
    ),
    h(
      'div',
      { class: 'tool-actions tool-scopes' },
      scoped('Allow tool in this conversation', 'toolConversation', `Allow ${tool} without asking in this conversation`, 'tool-approve-tool'),
      scoped('Allow this server in this conversation', 'serverConversation', `Allow every tool of ${server} without asking in this conversation`, 'tool-approve-server'),
      scoped('Always allow tool', 'toolAlways', `Always allow ${tool} of ${server} (kept in marathon.mcp.alwaysAllow)`, 'tool-approve-always'),
    ),
  );
}

export function estimateToolHeight(item: ToolItem): number {
  const detailLines = item.status === 'awaitingApproval' && item.detail !== undefined ? Math.min(12, item.detail.split('\n').length) : 0;
  return 44 + detailLines * 18 + (item.status === 'awaitingApproval' ? 64 : 0) + (item.result !== undefined ? 24 : 0);
}

/** The bar above the prompt: Ask/Agent, auto-approve for reads, and the per-conversation auto-approve. */
export class AgentBar {
  readonly element: HTMLElement;
  private readonly modeSelect: HTMLSelectElement;
  private readonly readOnly: HTMLInputElement;
  private readonly autoAll: HTMLElement;
  private readonly enableAll: HTMLButtonElement;
  private readonly waitingRow: HTMLElement;
  private readonly waitingText: HTMLElement;
  private readonly restricted: HTMLElement;
  private state: AgentState | undefined;
  private waitingIds: string[] = [];

  constructor(private readonly post: (message: ToHost) => void) {
    this.modeSelect = h('select', { class: 'agent-mode', testid: 'mode-toggle', attrs: { 'aria-label': 'Chat mode' } });
    for (const [value, label, title] of [
      ['ask', 'Ask', 'Chat only: Claude answers, it does not touch the workspace.'],
      ['agent', 'Agent', 'Claude may read, search, edit and run commands, with your approval.'],
    ] as const) {
      const option = h('option', { text: label, title });
      option.value = value;
      this.modeSelect.append(option);
    }
    this.modeSelect.addEventListener('change', () => this.post({ type: 'settings/setMode', mode: this.modeSelect.value === 'agent' ? 'agent' : 'ask' }));
    this.readOnly = h('input', { testid: 'auto-approve-reads', attrs: { type: 'checkbox' } });
    this.readOnly.addEventListener('change', () => this.post({ type: 'tools/setAutoApprove', scope: 'readOnly', on: this.readOnly.checked }));
    const readOnlyLabel = h('label', { class: 'agent-toggle', title: 'Let Claude read, list, search and see problems without asking each time' }, this.readOnly, h('span', { text: 'Auto-approve reads' }));
    this.enableAll = button({ label: 'Auto-approve edits and commands in this conversation', text: 'Auto-approve all', icon: 'unlock', testid: 'auto-approve-all-on', class: 'agent-link' });
    this.enableAll.addEventListener('click', () => this.post({ type: 'tools/setAutoApprove', scope: 'conversation', on: true }));
    const turnOff = button({ label: 'Turn off auto-approve for edits and commands', text: 'Turn off', icon: 'lock', testid: 'auto-approve-all-off' });
    turnOff.addEventListener('click', () => this.post({ type: 'tools/setAutoApprove', scope: 'conversation', on: false }));
    this.autoAll = h(
      'div',
      { class: 'agent-auto-on', testid: 'auto-approve-indicator', hidden: true, attrs: { role: 'status' } },
      icon('warning'),
      h('span', { text: 'Auto-approve is on: edits and commands run without asking in this conversation.' }),
      turnOff,
    );
    this.waitingText = h('span');
    const approveAll = button({ label: 'Approve every call waiting', text: 'Approve all', icon: 'check-all', testid: 'tool-approve-all', class: 'primary' });
    approveAll.addEventListener('click', () => {
      const first = this.waitingIds[0];
      if (first !== undefined) {
        this.post({ type: 'tool/approve', toolUseId: first, all: true });
      }
    });
    this.waitingRow = h('div', { class: 'agent-waiting', hidden: true }, icon('question'), this.waitingText, approveAll);
    this.restricted = h('span', { class: 'agent-restricted', text: 'Restricted Mode: read-only tools', hidden: true, title: 'Trust this workspace to let Claude edit files and run commands.' });
    this.element = h(
      'div',
      { class: 'agent-bar', testid: 'agent-bar' },
      h('div', { class: 'agent-row' }, icon('hubot'), this.modeSelect, readOnlyLabel, this.enableAll, this.restricted),
      this.waitingRow,
      this.autoAll,
    );
    this.element.hidden = true;
  }

  update(state: AgentState | undefined): void {
    this.state = state;
    this.element.hidden = state === undefined;
    if (state === undefined) {
      return;
    }
    const agent = state.mode === 'agent';
    this.modeSelect.value = state.mode;
    this.element.dataset.mode = state.mode;
    this.readOnly.checked = state.autoApproveReadOnly;
    this.readOnly.closest('label')?.toggleAttribute('hidden', !agent);
    this.enableAll.hidden = !agent || state.autoApproveConversation || !state.editsAllowed;
    this.autoAll.hidden = !state.autoApproveConversation;
    this.restricted.hidden = !agent || state.editsAllowed;
    document.body.classList.toggle('agent-mode', agent);
  }

  /** Calls now waiting for the user; several get an Approve all. */
  setWaiting(ids: string[]): void {
    this.waitingIds = ids;
    this.waitingRow.hidden = ids.length < 2;
    this.waitingText.textContent = `${ids.length} calls wait for your approval.`;
  }

  get mode(): AgentState['mode'] {
    return this.state?.mode ?? 'ask';
  }
}
