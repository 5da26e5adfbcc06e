// Apply a code block from the chat as a proposed change: VS Code's diff editor shows the file against
// a read-only proposal, and nothing is written until the user accepts (editor-title button, command,
// or the notification). The edit goes through a WorkspaceEdit, so Undo takes it back.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { Disposable } from './disposable';
import { matchEol, newWorkspaceFile, resolveTarget, targetEditor, workspaceFile } from './applyTarget';
import { applyFilePatch, isUnifiedDiff, parseUnifiedDiff } from './patch';
import { loggableError } from '../core/errorText';

export const PROPOSAL_SCHEME = 'marathon-proposal';
const ACTIVE_CONTEXT_KEY = 'marathon.proposalActive';

export interface ApplyRequest {
  code: string;
  language?: string;
  /** Workspace-relative path named in the code fence (```ts src/a.ts). */
  path?: string;
}

interface Proposal {
  /** The read-only document on the right of the diff. */
  uri: vscode.Uri;
  target: vscode.Uri;
  /** The file's text when the proposal was made; accepting refuses if it changed since. */
  original: string;
  content: string;
  /** The file had unsaved changes before: keep it unsaved after applying, as the user left it. */
  wasDirty: boolean;
  /** Agent mode's edits: the file does not exist yet and is created on Apply. */
  isNew?: boolean;
  /** Called once the user decided (Agent mode waits for it). */
  settle?: (decision: ReviewDecision) => void;
  /** Runs just before the write, with what the file holds (a checkpoint); undefined for a new file. */
  beforeApply?: (previous: string | undefined) => Promise<void>;
}

/** How a reviewed change ended: written, discarded by the user, or not written (the file changed meanwhile). */
export type ReviewDecision = 'accepted' | 'discarded' | 'failed';

/** A change computed elsewhere (Agent mode's edit_file), reviewed in the same diff flow as Apply. */
export interface ReviewRequest {
  target: vscode.Uri;
  /** What the file holds now ('' for a new file), and what it would hold. */
  original: string;
  content: string;
  isNew: boolean;
  beforeApply?: (previous: string | undefined) => Promise<void>;
}

export interface ProposalDeps {
  logger: Logger;
  /** Restricted Mode check; tests replace it. */
  isTrusted?: () => boolean;
}

export class ProposalManager extends Disposable implements vscode.TextDocumentContentProvider {
  private readonly proposals = new Map<string, Proposal>();
  private readonly _onDidChange = this._register(new vscode.EventEmitter<vscode.Uri>());
  readonly onDidChange = this._onDidChange.event;
  private counter = 0;

  constructor(private readonly deps: ProposalDeps) {
    super();
    this._register(vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this));
    this._register(
      vscode.window.tabGroups.onDidChangeTabs((event) => {
        // Closing the diff tab by hand is a Discard.
        for (const tab of event.closed) {
          const uri = proposalUriOf(tab);
          const proposal = uri === undefined ? undefined : this.proposals.get(uri.toString());
          if (uri !== undefined && this.proposals.delete(uri.toString())) {
            this.deps.logger.info('[Apply] proposal closed without applying');
            proposal?.settle?.('discarded');
          }
        }
        this.updateContext();
      }),
    );
    this._register(vscode.window.tabGroups.onDidChangeTabGroups(() => this.updateContext()));
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.proposals.get(uri.toString())?.content ?? '';
  }

  /** Number of proposals waiting for Apply or Discard (for tests). */
  get pending(): number {
    return this.proposals.size;
  }

  /**
   * Opens the diff of the target file against the proposed content. Returns the proposal's URI,
   * or undefined when the change is refused (the user has been told why).
   */
  async propose(request: ApplyRequest): Promise<vscode.Uri | undefined> {
    const trusted = this.deps.isTrusted?.() ?? vscode.workspace.isTrusted;
    if (!trusted) {
      void vscode.window
        .showWarningMessage('Marathon: Apply is off in Restricted Mode. Trust this workspace to apply changes.', 'Manage Workspace Trust')
        .then((choice) => {
          if (choice) {
            void vscode.commands.executeCommand('workbench.trust.manage');
          }
        });
      return undefined;
    }
    if (isUnifiedDiff(request.code, request.language)) {
      return this.proposePatch(request);
    }
    const target = await resolveTarget(request);
    if ('refused' in target) {
      void vscode.window.showWarningMessage(`Marathon: ${target.refused}`);
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(target.uri);
    const original = document.getText();
    const content =
      target.selection !== undefined && !target.selection.isEmpty
        ? original.slice(0, document.offsetAt(target.selection.start)) + target.code + original.slice(document.offsetAt(target.selection.end))
        : matchEol(target.code, document.eol);
    return this.show(document, content);
  }

  /**
   * A unified diff is applied as a patch to each file it names (or to the open editor when it names
   * none), and each result is shown in the diff editor. Hunks that do not fit the file are refused
   * with a message and nothing opens.
   */
  private async proposePatch(request: ApplyRequest): Promise<vscode.Uri | undefined> {
    const parsed = parseUnifiedDiff(request.code);
    if ('refused' in parsed) {
      void vscode.window.showWarningMessage(`Marathon: ${parsed.refused}`);
      return undefined;
    }
    // First check every file, so a diff is shown whole or not at all.
    const planned: Array<{ document: vscode.TextDocument; content: string } | { target: vscode.Uri; content: string }> = [];
    for (const file of parsed.files) {
      const refuse = (reason: string) => {
        void vscode.window.showWarningMessage(`Marathon: ${reason}`);
        return undefined;
      };
      if (file.isDelete) {
        return refuse(`the diff deletes ${file.path ?? 'a file'}; Apply does not delete files. Delete it yourself if you agree.`);
      }
      const named = file.path ?? (parsed.files.length === 1 ? request.path?.trim() || undefined : undefined);
      if (file.isNew) {
        const target = named === undefined ? undefined : await newWorkspaceFile(named);
        if (target === undefined) {
          return refuse(`the diff creates ${named ?? 'a file without a name'}, which is not a new file in this workspace.`);
        }
        const result = applyFilePatch('', file);
        if ('refused' in result) {
          return refuse(result.refused);
        }
        planned.push({ target, content: result.text });
        continue;
      }
      let uri = named === undefined ? undefined : await workspaceFile(named);
      if (uri === undefined && parsed.files.length === 1) {
        uri = targetEditor()?.document.uri;
        if (named !== undefined && uri !== undefined && !uri.path.endsWith('/' + path.posix.basename(named))) {
          uri = undefined;
        }
      }
      if (uri === undefined) {
        return refuse(
          named === undefined
            ? 'the diff names no file. Open the file it changes, then choose Apply again.'
            : `${named} (named in the diff) is not a file in this workspace.`,
        );
      }
      const document = await vscode.workspace.openTextDocument(uri);
      const result = applyFilePatch(document.getText(), { ...file, path: vscode.workspace.asRelativePath(uri) });
      if ('refused' in result) {
        this.deps.logger.info(`[Apply] refused a diff that does not match ${vscode.workspace.asRelativePath(uri)}`);
        return refuse(result.refused);
      }
      planned.push({ document, content: result.text });
    }
    let first: vscode.Uri | undefined;
    for (const plan of planned) {
      const uri = 'document' in plan ? await this.show(plan.document, plan.content) : (await this.review({ target: plan.target, original: '', content: plan.content, isNew: true })).uri;
      first ??= uri;
    }
    return first;
  }

  /** Opens the diff of `document` against `content` as a proposal, with the Apply/Discard notification. */
  private async show(document: vscode.TextDocument, content: string): Promise<vscode.Uri | undefined> {
    const original = document.getText();
    if (content === original) {
      void vscode.window.showInformationMessage('Marathon: the file already contains this code; nothing to apply.');
      return undefined;
    }
    const name = path.posix.basename(document.uri.path);
    // The file name stays last so the diff editor picks the right language for the proposal.
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${++this.counter}/${name}` });
    this.proposals.set(uri.toString(), { uri, target: document.uri, original, content, wasDirty: document.isDirty });
    this.deps.logger.info(`[Apply] proposing a change to ${vscode.workspace.asRelativePath(document.uri)}`);
    await vscode.commands.executeCommand('vscode.diff', document.uri, uri, `Marathon: proposed change ↔ ${name}`, { preview: false });
    this.updateContext();
    // Not awaited: the editor-title buttons and commands work as well, and tests use those.
    void vscode.window.showInformationMessage(`Marathon: apply the proposed change to ${name}?`, 'Apply', 'Discard').then(async (choice) => {
      if (choice === 'Apply') {
        await this.accept(uri);
      } else if (choice === 'Discard') {
        await this.discard(uri);
      }
    });
    return uri;
  }

  /**
   * Opens the diff of a change computed elsewhere (Agent mode's edit_file) without writing anything;
   * `decision` resolves when the user applies or discards it (editor-title buttons, commands, or the
   * chat's Approve/Refuse through `accept`/`discard` with the returned URI).
   */
  async review(request: ReviewRequest): Promise<{ uri: vscode.Uri; decision: Promise<ReviewDecision> }> {
    const name = path.posix.basename(request.target.path);
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${++this.counter}/${name}` });
    let settle: (decision: ReviewDecision) => void = () => undefined;
    const decision = new Promise<ReviewDecision>((resolve) => {
      settle = resolve;
    });
    const wasDirty = request.isNew ? false : vscode.workspace.textDocuments.some((document) => document.uri.toString() === request.target.toString() && document.isDirty);
    this.proposals.set(uri.toString(), { uri, target: request.target, original: request.original, content: request.content, wasDirty, isNew: request.isNew, settle, beforeApply: request.beforeApply });
    // A new file is compared with an empty document (the provider answers '' for it).
    const left = request.isNew ? vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${this.counter}/empty/${name}` }) : request.target;
    const title = request.isNew ? `Marathon: new file ${name}` : `Marathon: proposed change ↔ ${name}`;
    await vscode.commands.executeCommand('vscode.diff', left, uri, title, { preview: false, preserveFocus: true });
    this.updateContext();
    return { uri, decision };
  }

  /** Writes the proposal into its file (one undoable edit) and closes the diff. */
  async accept(uri?: vscode.Uri): Promise<boolean> {
    const proposal = this.find(uri);
    if (proposal === undefined) {
      void vscode.window.showInformationMessage('Marathon: there is no proposed change to apply.');
      return false;
    }
    if (proposal.isNew) {
      return this.acceptNewFile(proposal);
    }
    const document = await vscode.workspace.openTextDocument(proposal.target);
    const current = document.getText();
    if (current !== proposal.original) {
      void vscode.window.showWarningMessage(
        'Marathon: the file changed after the proposal was made, so it was not applied. Apply the code from the chat again.',
      );
      if (proposal.settle) {
        this.proposals.delete(proposal.uri.toString());
        await this.closeTabs(proposal.uri);
        proposal.settle('failed');
      }
      return false;
    }
    this.proposals.delete(proposal.uri.toString());
    if (!(await this.runBeforeApply(proposal, current))) {
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    const change = minimalChange(current, proposal.content);
    edit.replace(document.uri, new vscode.Range(document.positionAt(change.start), document.positionAt(change.end)), change.text);
    const applied = await vscode.workspace.applyEdit(edit);
    if (!applied) {
      void vscode.window.showErrorMessage('Marathon: VS Code could not apply the change.');
      proposal.settle?.('failed');
      return false;
    }
    if (!proposal.wasDirty && document.uri.scheme === 'file') {
      await document.save();
    }
    await this.closeTabs(proposal.uri);
    // Show the file, so that Undo is one keystroke away.
    await vscode.window.showTextDocument(document, { preview: false });
    this.deps.logger.info(`[Apply] applied a change to ${vscode.workspace.asRelativePath(proposal.target)}`);
    proposal.settle?.('accepted');
    return true;
  }

  /** The hook before a write (a checkpoint); if it fails, nothing is written. */
  private async runBeforeApply(proposal: Proposal, previous: string | undefined): Promise<boolean> {
    try {
      await proposal.beforeApply?.(previous);
      return true;
    } catch (error) {
      this.deps.logger.error(loggableError(error));
      void vscode.window.showErrorMessage('Marathon: could not save a checkpoint of the file, so the change was not applied.');
      await this.closeTabs(proposal.uri);
      proposal.settle?.('failed');
      return false;
    }
  }

  /** Creates a reviewed new file: one WorkspaceEdit (create, then insert), saved, so Undo takes it back. */
  private async acceptNewFile(proposal: Proposal): Promise<boolean> {
    this.proposals.delete(proposal.uri.toString());
    try {
      await vscode.workspace.fs.stat(proposal.target);
      void vscode.window.showWarningMessage('Marathon: the file was created meanwhile, so the proposal was not applied.');
      await this.closeTabs(proposal.uri);
      proposal.settle?.('failed');
      return false;
    } catch {
      // Absent, as expected.
    }
    if (!(await this.runBeforeApply(proposal, undefined))) {
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.createFile(proposal.target, { ignoreIfExists: false });
    edit.insert(proposal.target, new vscode.Position(0, 0), proposal.content);
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage('Marathon: VS Code could not create the file.');
      proposal.settle?.('failed');
      return false;
    }
    const document = await vscode.workspace.openTextDocument(proposal.target);
    await document.save();
    await this.closeTabs(proposal.uri);
    await vscode.window.showTextDocument(document, { preview: false });
    this.deps.logger.info(`[Apply] created ${vscode.workspace.asRelativePath(proposal.target)}`);
    proposal.settle?.('accepted');
    return true;
  }

  async discard(uri?: vscode.Uri): Promise<void> {
    const proposal = this.find(uri);
    if (proposal === undefined) {
      return;
    }
    this.proposals.delete(proposal.uri.toString());
    await this.closeTabs(proposal.uri);
    proposal.settle?.('discarded');
  }

  /** The proposal named by `uri`, else the one in the active diff, else the only one. */
  private find(uri?: vscode.Uri): Proposal | undefined {
    if (uri instanceof vscode.Uri && uri.scheme === PROPOSAL_SCHEME) {
      return this.proposals.get(uri.toString());
    }
    const active = activeProposalUri();
    if (active !== undefined) {
      return this.proposals.get(active.toString());
    }
    return this.proposals.size === 1 ? this.proposals.values().next().value : undefined;
  }

  private async closeTabs(uri: vscode.Uri): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => proposalUriOf(tab)?.toString() === uri.toString());
    if (tabs.length > 0) {
      await vscode.window.tabGroups.close(tabs);
    }
    this.updateContext();
  }

  private updateContext(): void {
    const active = activeProposalUri();
    void vscode.commands.executeCommand('setContext', ACTIVE_CONTEXT_KEY, active !== undefined && this.proposals.has(active.toString()));
  }

  override dispose(): void {
    super.dispose();
    this.proposals.clear();
  }
}

function proposalUriOf(tab: vscode.Tab): vscode.Uri | undefined {
  const input = tab.input;
  if (input instanceof vscode.TabInputTextDiff && input.modified.scheme === PROPOSAL_SCHEME) {
    return input.modified;
  }
  return undefined;
}

function activeProposalUri(): vscode.Uri | undefined {
  const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
  return tab === undefined ? undefined : proposalUriOf(tab);
}

/** The smallest single replacement that turns `before` into `after`, so markers and folding outside it survive. */
export function minimalChange(before: string, after: string): { start: number; end: number; text: string } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) {
    start++;
  }
  let tail = 0;
  while (tail < max - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) {
    tail++;
  }
  // Never split a surrogate pair.
  if (start > 0 && isHighSurrogate(before.charCodeAt(start - 1))) {
    start--;
  }
  if (tail > 0 && isLowSurrogate(before.charCodeAt(before.length - tail))) {
    tail--;
  }
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
