// What the chat asks of the editor itself: copy, insert at the cursor, Apply as a reviewed diff,
// open a web link, run one of the few host commands a view may trigger.
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { assertNever, type HostCommand, type ToHost } from '../shared/protocol';
import type { ProposalManager } from './apply';

export type EditorMessage = Extract<ToHost, { type: 'command/run' | 'link/open' | 'code/copy' | 'code/insert' | 'code/apply' }>;

export interface EditorActionDeps {
  logger: Logger;
  /** Apply as a diff the user accepts; absent, Apply explains it is unavailable. */
  proposals?: ProposalManager;
  notice(message: string): void;
  /** True on a cloud platform, where the credentials are the platform's: Set API Key becomes Select Provider. */
  onPlatform?(): boolean;
}

export async function handleEditorMessage(message: EditorMessage, deps: EditorActionDeps): Promise<void> {
  switch (message.type) {
    case 'command/run':
      await runHostCommand(message.command === 'setApiKey' && deps.onPlatform?.() === true ? 'selectProvider' : message.command);
      return;
    case 'link/open':
      await openLink(message.href, deps.logger);
      return;
    case 'code/copy':
      await vscode.env.clipboard.writeText(message.code);
      return;
    case 'code/insert':
      await insertAtCursor(message.code);
      return;
    case 'code/apply':
      if (deps.proposals === undefined) {
        deps.notice('Apply is not available here; use Insert at cursor.');
      } else {
        await deps.proposals.propose({ code: message.code, language: message.language, path: message.path });
      }
      return;
    default:
      assertNever(message);
  }
}

async function runHostCommand(command: HostCommand): Promise<void> {
  switch (command) {
    case 'setApiKey':
      await vscode.commands.executeCommand('marathon.setApiKey');
      return;
    case 'selectProvider':
      await vscode.commands.executeCommand('marathon.selectProvider');
      return;
    case 'openSettings':
      await vscode.commands.executeCommand('workbench.action.openSettings', '@ext:marathon-dev.marathon');
      return;
    case 'showLog':
      await vscode.commands.executeCommand('marathon.showLog');
      return;
    case 'openInEditor':
      await vscode.commands.executeCommand('marathon.openInEditor');
      return;
    default:
      assertNever(command);
  }
}

async function openLink(href: string, logger: Logger): Promise<void> {
  let uri: vscode.Uri;
  try {
    uri = vscode.Uri.parse(href, true);
  } catch {
    return;
  }
  // Only web links leave the webview; anything else (command:, file:, javascript:) is refused.
  if (uri.scheme !== 'http' && uri.scheme !== 'https') {
    logger.warn(`[View] refused to open a ${uri.scheme}: link`);
    return;
  }
  await vscode.env.openExternal(uri);
}

async function insertAtCursor(code: string): Promise<void> {
  // Restricted Mode is read-only for Marathon: no Apply, no Insert, no commands.
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage('Marathon: Insert is off in Restricted Mode. Copy the code instead, or trust this workspace.');
    return;
  }
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) {
    void vscode.window.showInformationMessage('Marathon: open a file to insert the code into.');
    return;
  }
  await editor.edit((edit) => {
    for (const selection of editor.selections) {
      edit.replace(selection, code);
    }
  });
}
