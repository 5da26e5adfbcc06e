// Agent mode's tools in VS Code: the core hands over the calls of one answer; this asks for approval
// where needed (the chat card, or the diff editor for edits), runs them confined to the workspace, and
// returns what the model reads. A tool's own failure is an outcome, never an exception.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import type { CheckpointStore } from '../../core/checkpoints';
import type { ExternalToolDefinition, Logger, ToolCall, ToolHost, ToolOutcome, ToolRunContext } from '../../core/ports';
import { READ_ONLY_TOOLS, TOOL_NAMES, capOutput, lineRange, replaceExactlyOnce, validateToolInput, type ToolInput } from '../../core/agentTools';
import type { ProposalManager, ReviewDecision } from '../apply';
import { readAgentSettings, readSettings } from '../config';
import { readWorkspaceFile } from '../context/reader';
import type { McpApprovalScope, McpTools } from '../mcp/mcpTools';
import { describeCommandResult, runCommand } from './commandRunner';
import { labelOf, resolveToolPath } from './paths';
import { listFiles, searchText } from './search';
import { describeError } from '../../core/errorText';

type Decision = 'approved' | 'refused' | 'stopped';

interface Pending {
  conversationId: string;
  decide(decision: Exclude<Decision, 'stopped'>): void;
  /** An MCP call: an approval may reach further than this call. */
  onScope?: (scope: McpApprovalScope) => Promise<void>;
}

export interface AgentToolHostDeps {
  logger: Logger;
  proposals: ProposalManager;
  checkpoints: () => Promise<CheckpointStore>;
  /** Restricted Mode check; tests replace it. */
  isTrusted?: () => boolean;
  /** The MCP servers' tools, when MCP is set up. */
  mcp?: McpTools;
}

type Edit = Extract<ToolInput, { name: 'edit_file' }>;

export class AgentToolHost extends Disposable implements ToolHost {
  private readonly pending = new Map<string, Pending>();
  /** When each call was approved: a call's duration counts from there, not from when it asked. */
  private readonly approvedAt = new Map<string, number>();
  /** Conversations whose edits and commands run without asking (until turned off or the window reloads). */
  private readonly autoApproved = new Set<string>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<void>());
  /** Auto-approve changed, or calls started or stopped waiting. */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly deps: AgentToolHostDeps) {
    super();
  }

  private trusted(): boolean {
    return this.deps.isTrusted?.() ?? vscode.workspace.isTrusted;
  }

  availableTools(): string[] {
    // Restricted Mode: only tools that look.
    const own = this.trusted() ? [...TOOL_NAMES] : TOOL_NAMES.filter((name) => READ_ONLY_TOOLS.has(name));
    return [...own, ...(this.deps.mcp?.offered().map((tool) => tool.apiName) ?? [])];
  }

  externalTools(): ExternalToolDefinition[] {
    return this.deps.mcp?.definitions() ?? [];
  }

  autoApproveConversation(conversationId: string): boolean {
    return this.autoApproved.has(conversationId);
  }

  setAutoApproveConversation(conversationId: string, on: boolean): void {
    if (on) {
      this.autoApproved.add(conversationId);
    } else {
      this.autoApproved.delete(conversationId);
    }
    this._onDidChange.fire();
  }

  /** Ids of the calls waiting for the user. */
  waiting(): string[] {
    return Array.from(this.pending.keys());
  }

  /** The user approved a call (`all`: every call of that conversation waiting now; `scope`: an MCP call's reach). */
  async approve(toolUseId: string, all = false, scope: McpApprovalScope = 'once'): Promise<boolean> {
    const target = this.pending.get(toolUseId);
    if (!target) {
      return false;
    }
    if (scope !== 'once') {
      await target.onScope?.(scope);
    }
    const ids = all ? Array.from(this.pending.entries()).filter(([, pending]) => pending.conversationId === target.conversationId).map(([id]) => id) : [toolUseId];
    for (const id of ids) {
      this.pending.get(id)?.decide('approved');
    }
    return true;
  }

  refuse(toolUseId: string): boolean {
    const target = this.pending.get(toolUseId);
    target?.decide('refused');
    return target !== undefined;
  }

  async run(calls: readonly ToolCall[], context: ToolRunContext): Promise<ToolOutcome[]> {
    const outcomes: ToolOutcome[] = new Array<ToolOutcome>(calls.length);
    for (let i = 0; i < calls.length; ) {
      // Consecutive edits of distinct files are reviewed together: every diff opens, then each is decided.
      const group: number[] = [];
      const files = new Set<string>();
      for (let j = i; j < calls.length; j++) {
        const input = parsed(calls[j]!);
        if (input?.name !== 'edit_file' || files.has(input.path)) {
          break;
        }
        files.add(input.path);
        group.push(j);
      }
      if (group.length > 0) {
        const results = await Promise.all(group.map((index) => this.timed(() => this.edit(calls[index]!, parsed(calls[index]!) as Edit, context), calls[index]!.id)));
        group.forEach((index, k) => (outcomes[index] = results[k]!));
        i += group.length;
        continue;
      }
      outcomes[i] = await this.timed(() => this.runOne(calls[i]!, context), calls[i]!.id);
      i++;
    }
    return outcomes;
  }

  private async timed(run: () => Promise<ToolOutcome>, toolUseId: string): Promise<ToolOutcome> {
    const started = Date.now();
    const outcome = await run();
    const from = this.approvedAt.get(toolUseId) ?? started;
    this.approvedAt.delete(toolUseId);
    return { ...outcome, durationMs: outcome.durationMs ?? Date.now() - from };
  }

  private async runOne(call: ToolCall, context: ToolRunContext): Promise<ToolOutcome> {
    const mcpTool = this.deps.mcp?.find(call.name);
    if (mcpTool && this.deps.mcp) {
      return this.mcpCall(call, mcpTool, this.deps.mcp, context);
    }
    const validated = validateToolInput(call.name, call.input);
    if (!validated.ok) {
      return { status: 'failed', content: validated.message };
    }
    const input = validated.input;
    if (input.name === 'run_command') {
      return this.command(call, input, context);
    }
    if (input.name === 'edit_file') {
      return this.edit(call, input, context);
    }
    const autoApprove = readAgentSettings().autoApproveReadOnly || this.autoApproved.has(context.conversationId);
    const decision = autoApprove ? 'approved' : await this.ask(call.id, context);
    if (decision !== 'approved') {
      return declined(decision);
    }
    context.report(call.id, 'running');
    try {
      switch (input.name) {
        case 'read_file':
          return await readFile(input);
        case 'list_files': {
          const listed = await listFiles(input.pattern, input.maxResults, context.signal);
          const body = listed.paths.length === 0 ? `No files match ${input.pattern}.` : listed.paths.join('\n');
          return { status: 'done', content: listed.truncated ? `${body}\n[Only the first ${listed.paths.length} files are listed; narrow the pattern to see more.]` : body };
        }
        case 'search_text': {
          const found = await searchText(input, context.signal);
          const body = found.matches.length === 0 ? `No matches for ${input.query}.` : found.matches.join('\n');
          const capped = capOutput(body, readAgentSettings().maxOutputBytes);
          const more = found.truncated ? `\n[Stopped at ${found.matches.length} matches; narrow the search to see more.]` : '';
          return { status: 'done', content: capped.text + more };
        }
        case 'get_diagnostics':
          return await diagnostics(input.path);
      }
    } catch (error) {
      return { status: 'failed', content: `${call.name} failed: ${describeError(error)}` };
    }
  }

  /** An MCP server's tool: asks unless the user allowed it, then calls it on its server. */
  private async mcpCall(call: ToolCall, tool: NonNullable<ReturnType<McpTools['find']>>, mcp: McpTools, context: ToolRunContext): Promise<ToolOutcome> {
    const allowed = this.autoApproved.has(context.conversationId) || mcp.isAllowed(context.conversationId, tool);
    const decision = allowed ? 'approved' : await this.ask(call.id, context, undefined, undefined, (scope) => mcp.allow(context.conversationId, tool, scope));
    if (decision !== 'approved') {
      return declined(decision, `The user refused this call of ${tool.tool} (MCP server ${tool.server}).`);
    }
    context.report(call.id, 'running');
    return mcp.call(call, tool, context.signal);
  }

  /** Waits for the user's decision on a call's card; Stop ends the wait. */
  private ask(
    toolUseId: string,
    context: ToolRunContext,
    details?: { cwd?: string },
    onDecision?: (decision: Decision) => void,
    onScope?: (scope: McpApprovalScope) => Promise<void>,
  ): Promise<Decision> {
    if (context.signal.aborted) {
      return Promise.resolve('stopped');
    }
    context.report(toolUseId, 'awaitingApproval', details);
    return new Promise<Decision>((resolve) => {
      const finish = (decision: Decision) => {
        if (!this.pending.has(toolUseId)) {
          return;
        }
        this.pending.delete(toolUseId);
        this.approvedAt.set(toolUseId, Date.now());
        context.signal.removeEventListener('abort', onAbort);
        onDecision?.(decision);
        this._onDidChange.fire();
        resolve(decision);
      };
      const onAbort = () => finish('stopped');
      this.pending.set(toolUseId, { conversationId: context.conversationId, decide: finish, onScope });
      context.signal.addEventListener('abort', onAbort, { once: true });
      this._onDidChange.fire();
    });
  }

  private async command(call: ToolCall, input: Extract<ToolInput, { name: 'run_command' }>, context: ToolRunContext): Promise<ToolOutcome> {
    const resolved = await resolveToolPath(input.cwd ?? '.', { mustExist: true });
    if (!resolved.ok) {
      return { status: 'refused', content: `The working folder was refused: ${resolved.message}` };
    }
    try {
      if (!((await vscode.workspace.fs.stat(resolved.path.uri)).type & vscode.FileType.Directory)) {
        return { status: 'failed', content: `${resolved.path.label} is not a folder.` };
      }
    } catch {
      return { status: 'failed', content: `${resolved.path.label} does not exist.` };
    }
    const cwd = resolved.path.uri.fsPath;
    // A command is shown with its working folder before it runs; it runs only on approval.
    const decision = this.autoApproved.has(context.conversationId) ? 'approved' : await this.ask(call.id, context, { cwd });
    if (decision !== 'approved') {
      return declined(decision, 'The user refused to run this command.');
    }
    context.report(call.id, 'running', { cwd });
    const settings = readAgentSettings();
    const timeoutMs = settings.commandTimeoutSeconds * 1000;
    this.deps.logger.info(`[Agent] running a command in ${resolved.path.label}`);
    const result = await runCommand(input.command, { cwd, timeoutMs, maxOutputBytes: settings.maxOutputBytes, signal: context.signal });
    const content = describeCommandResult(result, timeoutMs);
    if (result.stopped) {
      return { status: 'stopped', content, durationMs: result.durationMs };
    }
    return { status: result.exitCode === 0 ? 'done' : 'failed', content, durationMs: result.durationMs };
  }

  /** edit_file: the change opens in the diff editor; nothing is written until the user applies it. */
  private async edit(call: ToolCall, input: Edit, context: ToolRunContext): Promise<ToolOutcome> {
    const resolved = await resolveToolPath(input.path, { mustExist: false });
    if (!resolved.ok) {
      return { status: 'refused', content: resolved.message };
    }
    const target = resolved.path;
    let original = '';
    if (target.exists) {
      // The same limits as attachments: no binaries, nothing over marathon.context.maxFileBytes.
      const read = await readWorkspaceFile(target.uri, { maxBytes: readSettings().settings.maxFileBytes });
      if (!read.ok) {
        return { status: 'failed', content: read.problem.reason === 'tooLarge' ? `${target.label} is too large to edit here (over marathon.context.maxFileBytes).` : read.problem.message };
      }
      original = (await vscode.workspace.openTextDocument(target.uri)).getText();
      if (input.oldText === '') {
        return { status: 'failed', content: `${target.label} already exists. To change it, give old_text (the exact text to replace).` };
      }
    } else if (input.oldText !== '') {
      return { status: 'failed', content: `${target.label} does not exist. To create it, leave old_text empty.` };
    }
    let content = input.newText;
    if (target.exists) {
      const replaced = replaceExactlyOnce(original, input.oldText, input.newText);
      if (!replaced.ok) {
        return { status: 'failed', content: `${target.label}: ${replaced.message}` };
      }
      content = replaced.content;
    }
    if (content === original && target.exists) {
      return { status: 'done', content: `${target.label} already holds this text; nothing changed.` };
    }
    const checkpoints = await this.deps.checkpoints();
    const review = await this.deps.proposals.review({
      target: target.uri,
      original,
      content,
      isNew: !target.exists,
      // The previous content is saved before the write, so that Restore to here can put it back.
      beforeApply: async (previous) => {
        await checkpoints.save(context.conversationId, { kind: 'edit', messageId: context.messageId, toolUseId: call.id, fsPath: target.uri.fsPath, label: target.label }, previous);
      },
    });
    let stopped = false;
    if (this.autoApproved.has(context.conversationId)) {
      await this.deps.proposals.accept(review.uri);
    } else {
      // Decided on the card (Approve / Refuse) or in the diff editor (Apply / Discard), whichever is first.
      const first = await Promise.race([
        this.ask(call.id, context).then((decision) => ({ from: 'card' as const, decision })),
        review.decision.then((decision) => ({ from: 'editor' as const, decision })),
      ]);
      if (first.from === 'card') {
        stopped = first.decision === 'stopped';
        await (first.decision === 'approved' ? this.deps.proposals.accept(review.uri) : this.deps.proposals.discard(review.uri));
      } else {
        this.pending.get(call.id)?.decide(first.decision === 'accepted' ? 'approved' : 'refused');
      }
    }
    const outcome: ReviewDecision = await review.decision;
    if (stopped) {
      return { status: 'stopped', content: 'Not applied: the user stopped the turn before deciding.' };
    }
    switch (outcome) {
      case 'accepted':
        return { status: 'done', content: target.exists ? `Applied the change to ${target.label}.` : `Created ${target.label}.` };
      case 'discarded':
        return { status: 'refused', content: `The user rejected this change; ${target.label} is unchanged.` };
      case 'failed':
        return { status: 'failed', content: `Not applied: ${target.label} changed while the change waited for review. Read it again.` };
    }
  }

  override dispose(): void {
    for (const pending of this.pending.values()) {
      pending.decide('refused');
    }
    super.dispose();
  }
}

function parsed(call: ToolCall): ToolInput | undefined {
  const validated = validateToolInput(call.name, call.input);
  return validated.ok ? validated.input : undefined;
}

function declined(decision: Decision, refused = 'The user refused this call.'): ToolOutcome {
  return decision === 'stopped' ? { status: 'stopped', content: 'Not run: the user stopped the turn.' } : { status: 'refused', content: refused };
}

async function readFile(input: Extract<ToolInput, { name: 'read_file' }>): Promise<ToolOutcome> {
  const resolved = await resolveToolPath(input.path, { mustExist: true });
  if (!resolved.ok) {
    return { status: 'refused', content: resolved.message };
  }
  const read = await readWorkspaceFile(resolved.path.uri, { maxBytes: readSettings().settings.maxFileBytes });
  if (!read.ok) {
    const message =
      read.problem.reason === 'tooLarge'
        ? `${resolved.path.label} is larger than marathon.context.maxFileBytes; it cannot be read whole. Search it with search_text instead.`
        : read.problem.message;
    return { status: read.problem.reason === 'outsideWorkspace' ? 'refused' : 'failed', content: message };
  }
  const range = lineRange(read.file.text, input.startLine, input.endLine);
  const whole = range.from === 1 && range.to === range.total;
  const heading = whole ? `${resolved.path.label} (${range.total} lines)` : `${resolved.path.label} (lines ${range.from}–${range.to} of ${range.total})`;
  return { status: 'done', content: `${heading}\n${range.text}` };
}

const SEVERITY = ['error', 'warning', 'info', 'hint'];
const MAX_DIAGNOSTICS = 200;

async function diagnostics(raw?: string): Promise<ToolOutcome> {
  let entries: Array<[vscode.Uri, readonly vscode.Diagnostic[]]>;
  if (raw !== undefined) {
    const resolved = await resolveToolPath(raw, { mustExist: true });
    if (!resolved.ok) {
      return { status: 'refused', content: resolved.message };
    }
    entries = [[resolved.path.uri, vscode.languages.getDiagnostics(resolved.path.uri)]];
  } else {
    entries = vscode.languages.getDiagnostics().filter(([uri]) => vscode.workspace.getWorkspaceFolder(uri) !== undefined);
  }
  const lines: string[] = [];
  for (const [uri, list] of entries) {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const label = folder ? labelOf(folder, uri.fsPath) : path.basename(uri.fsPath);
    for (const diagnostic of list) {
      const where = `${label}:${diagnostic.range.start.line + 1}:${diagnostic.range.start.character + 1}`;
      const source = diagnostic.source ? ` (${diagnostic.source})` : '';
      lines.push(`${where} ${SEVERITY[diagnostic.severity] ?? 'info'}: ${diagnostic.message}${source}`);
    }
  }
  if (lines.length === 0) {
    return { status: 'done', content: raw ? `No problems reported for ${raw}.` : 'No problems reported in the workspace.' };
  }
  const shown = lines.slice(0, MAX_DIAGNOSTICS);
  return { status: 'done', content: shown.join('\n') + (lines.length > shown.length ? `\n[${lines.length - shown.length} more not shown]` : '') };
}
