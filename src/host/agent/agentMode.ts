// Agent mode's host side, as the controller sees it: the tool host, checkpoints and "Restore to here",
// the mode and auto-approve settings, and the view state of all that. Loaded on first use.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from '../disposable';
import { CheckpointStore, entriesToRestore, type CheckpointEntry } from '../../core/checkpoints';
import type { Logger } from '../../core/ports';
import type { ConversationRecord } from '../../core/records';
import type { AgentState, ToHost } from '../../shared/protocol';
import type { ProposalManager } from '../apply';
import { readAgentSettings } from '../config';
import type { McpTools } from '../mcp/mcpTools';
import { AgentToolHost } from './toolHost';

export type AgentMessage = Extract<ToHost, { type: 'settings/setMode' | 'tool/approve' | 'tool/refuse' | 'tools/setAutoApprove' | 'checkpoint/restore' }>;

export interface RestoreResult {
  /** Labels of the files put back. */
  restored: string[];
  /** Id of the restore's own checkpoint group, for Undo Restore. */
  undoId?: string;
  cancelled?: boolean;
}

export interface AgentModeDeps {
  logger: Logger;
  proposals: ProposalManager;
  /** Folder for checkpoint folders (the workspace's extension storage). */
  storagePath: string;
  isTrusted?: () => boolean;
  /** The MCP servers' tools, offered next to Marathon's own. */
  mcp?: McpTools;
}

export class AgentMode extends Disposable {
  readonly tools: AgentToolHost;
  private store: CheckpointStore | undefined;

  constructor(private readonly deps: AgentModeDeps) {
    super();
    this.tools = this._register(new AgentToolHost({ logger: deps.logger, proposals: deps.proposals, checkpoints: () => this.checkpoints(), isTrusted: deps.isTrusted, mcp: deps.mcp }));
  }

  async checkpoints(): Promise<CheckpointStore> {
    if (!this.store) {
      const root = path.join(this.deps.storagePath, 'checkpoints');
      await fs.mkdir(root, { recursive: true });
      this.store = new CheckpointStore(root);
    }
    return this.store;
  }

  state(conversationId: string | undefined): AgentState {
    const settings = readAgentSettings();
    return {
      mode: settings.mode,
      editsAllowed: this.deps.isTrusted?.() ?? vscode.workspace.isTrusted,
      autoApproveReadOnly: settings.autoApproveReadOnly,
      autoApproveConversation: conversationId !== undefined && this.tools.autoApproveConversation(conversationId),
    };
  }

  /**
   * Handles the view's Agent-mode messages. `records` reads the active conversation (only a restore
   * needs it); returns true when the agent state changed and the views should hear it.
   */
  async handle(message: AgentMessage, conversationId: string, records: () => Promise<ConversationRecord[]>): Promise<boolean> {
    switch (message.type) {
      case 'settings/setMode':
        await vscode.workspace.getConfiguration('marathon').update('mode', message.mode, vscode.ConfigurationTarget.Global);
        return true;
      case 'tool/approve':
        await this.tools.approve(message.toolUseId, message.all === true, message.scope);
        return false;
      case 'tool/refuse':
        this.tools.refuse(message.toolUseId);
        return false;
      case 'tools/setAutoApprove':
        if (message.scope === 'readOnly') {
          await vscode.workspace.getConfiguration('marathon').update('agent.autoApproveReadOnly', message.on, vscode.ConfigurationTarget.Global);
        } else {
          this.tools.setAutoApproveConversation(conversationId, message.on);
        }
        return true;
      case 'checkpoint/restore':
        await this.restoreTo(conversationId, message.itemId, await records(), confirmRestore);
        return false;
    }
  }

  /**
   * Reverts the workspace files Marathon changed after the timeline item `itemId` (a message, or a
   * tool card: then after the answer that made the call), after `confirm` accepts the list. The current
   * contents are saved first, so the restore itself can be undone (Undo Restore, or Undo in the editor).
   */
  async restoreTo(conversationId: string, itemId: string, records: readonly ConversationRecord[], confirm: (labels: string[]) => Promise<boolean>): Promise<RestoreResult> {
    const position = new Map<string, number>();
    records.forEach((record, index) => {
      if ('id' in record) {
        position.set(record.id, index);
        if (record.kind === 'assistant') {
          for (const block of record.content) {
            if (block.type === 'tool_use' && typeof block.id === 'string') {
              position.set(block.id, index);
            }
          }
        }
      }
    });
    const at = position.get(itemId);
    const store = await this.checkpoints();
    const entries = at === undefined ? [] : entriesToRestore(await store.list(conversationId), at, (messageId) => position.get(messageId) ?? -1);
    if (entries.length === 0) {
      void vscode.window.showInformationMessage('Marathon: no files were changed after this message; nothing to restore.');
      return { restored: [] };
    }
    const labels = entries.map((entry) => entry.label);
    if (!(await confirm(labels))) {
      return { restored: [], cancelled: true };
    }
    const undoId = `r-${Date.now().toString(36)}`;
    await this.putBack(conversationId, entries, undoId);
    this.deps.logger.info(`[Agent] restored ${entries.length} file(s) to before ${itemId}`);
    void vscode.window.showInformationMessage(`Marathon: restored ${labels.length === 1 ? labels[0] : `${labels.length} files`}.`, 'Undo Restore').then(async (choice) => {
      if (choice) {
        await this.undoRestore(conversationId, undoId);
      }
    });
    return { restored: labels, undoId };
  }

  /** Puts back what the files held just before the restore `undoId`. */
  async undoRestore(conversationId: string, undoId: string): Promise<string[]> {
    const store = await this.checkpoints();
    const entries = (await store.list(conversationId)).filter((entry) => entry.kind === 'restore' && entry.messageId === undoId);
    await this.putBack(conversationId, entries);
    return entries.map((entry) => entry.label);
  }

  /** Writes the saved contents back in one WorkspaceEdit (so Undo in the editor works), saving what is there first when `saveAs` is given. */
  private async putBack(conversationId: string, entries: readonly CheckpointEntry[], saveAs?: string): Promise<void> {
    const store = await this.checkpoints();
    const edit = new vscode.WorkspaceEdit();
    const touched: vscode.Uri[] = [];
    for (const entry of entries) {
      const uri = vscode.Uri.file(entry.fsPath);
      const current = await currentText(uri);
      if (saveAs !== undefined) {
        await store.save(conversationId, { kind: 'restore', messageId: saveAs, fsPath: entry.fsPath, label: entry.label }, current);
      }
      const previous = await store.read(conversationId, entry);
      if (previous === undefined) {
        if (current !== undefined) {
          edit.deleteFile(uri, { ignoreIfNotExists: true });
        }
        continue;
      }
      if (current === undefined) {
        edit.createFile(uri, { ignoreIfExists: true });
        edit.insert(uri, new vscode.Position(0, 0), previous);
      } else {
        const document = await vscode.workspace.openTextDocument(uri);
        edit.replace(uri, new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)), previous);
      }
      touched.push(uri);
    }
    if (!(await vscode.workspace.applyEdit(edit))) {
      throw new Error('VS Code could not apply the restore.');
    }
    for (const uri of touched) {
      const document = vscode.workspace.textDocuments.find((candidate) => candidate.uri.toString() === uri.toString());
      if (document?.isDirty) {
        await document.save();
      }
    }
  }
}

async function currentText(uri: vscode.Uri): Promise<string | undefined> {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  if (open) {
    return open.getText();
  }
  try {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    return undefined;
  }
}

async function confirmRestore(labels: string[]): Promise<boolean> {
  const choice = await vscode.window.showWarningMessage(
    labels.length === 1 ? 'Restore this file to how it was before this message?' : `Restore these ${labels.length} files to how they were before this message?`,
    { modal: true, detail: `${labels.join('\n')}\n\nThe restore can be undone.` },
    'Restore',
  );
  return choice === 'Restore';
}
