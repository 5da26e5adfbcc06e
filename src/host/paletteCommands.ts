// The command palette entries. Each command does its job through the controller.
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import type { ApiKeyStore } from './apiKey';
import type { ProposalManager } from './apply';
import type { ChatPanelManager } from './chatPanel';
import { CHAT_VIEW_ID } from './chatViewProvider';
import { readSettings } from './config';
import { loadEngine } from './engineLoader';
import type { ChatController } from './controller';

export function registerCommands(
  controller: ChatController,
  keys: ApiKeyStore,
  channel: vscode.LogOutputChannel,
  logger: Logger,
): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('marathon.newConversation', async () => {
      await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
      await controller.newConversation();
    }),
    vscode.commands.registerCommand('marathon.setApiKey', (key?: unknown) => setApiKey(keys, logger, typeof key === 'string' ? key : undefined)),
    vscode.commands.registerCommand('marathon.clearApiKey', async () => {
      await keys.clear();
      logger.info('[Auth] API key removed from secret storage');
      void vscode.window.showInformationMessage('Marathon: the API key was removed from secret storage.');
    }),
    vscode.commands.registerCommand('marathon.stop', () => controller.stop()),
    vscode.commands.registerCommand('marathon.compactNow', async () => {
      await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
      await controller.compactNow();
    }),
    vscode.commands.registerCommand('marathon.showConversations', () => controller.showConversations()),
    vscode.commands.registerCommand('marathon.exportConversation', () => controller.exportConversation()),
    vscode.commands.registerCommand('marathon.showLog', () => channel.show(true)),
  ];
}

/** Commands of the chat surfaces: the chat in an editor tab, and Apply's proposed changes. */
export function registerViewCommands(panels: ChatPanelManager, proposals: ProposalManager): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('marathon.openInEditor', () => panels.open()),
    vscode.commands.registerCommand('marathon.acceptProposal', (uri?: unknown) => proposals.accept(uri instanceof vscode.Uri ? uri : undefined)),
    vscode.commands.registerCommand('marathon.discardProposal', (uri?: unknown) => proposals.discard(uri instanceof vscode.Uri ? uri : undefined)),
  ];
}

/** Asks for a key (or takes one from a script), checks it with a cheap API call, then stores it. */
async function setApiKey(keys: ApiKeyStore, logger: Logger, provided?: string): Promise<boolean> {
  const key = (
    provided ??
    (await vscode.window.showInputBox({
      title: 'Marathon: Set API Key',
      prompt: 'Paste your Anthropic API key. Marathon keeps it in VS Code’s secret storage.',
      placeHolder: 'sk-ant-…',
      password: true,
      ignoreFocusOut: true,
      validateInput: (value) => (value.trim() ? undefined : 'The key cannot be empty.'),
    })) ??
    ''
  ).trim();
  if (!key) {
    return false;
  }
  const { apiBaseUrl } = readSettings().settings;
  try {
    const { validateApiKey } = await loadEngine();
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Marathon: checking the API key…' }, () =>
      validateApiKey({ apiKey: key, baseURL: apiBaseUrl || undefined }),
    );
  } catch (error) {
    const { classifyError } = await loadEngine();
    const classified = classifyError(error);
    logger.warn(`[Auth] key check failed: ${classified.kind}`);
    if (classified.kind === 'auth') {
      void vscode.window.showErrorMessage('Marathon: the API key was rejected (401). Nothing was saved.', 'Try Again').then((choice) => {
        if (choice) {
          void vscode.commands.executeCommand('marathon.setApiKey');
        }
      });
      return false;
    }
    // A key passed by a script is saved without a question; a person decides for a typed one.
    if (provided === undefined) {
      const choice = await vscode.window.showWarningMessage(
        `Marathon: could not check the key (${classified.message}). Save it anyway?`,
        { modal: true },
        'Save Anyway',
      );
      if (choice !== 'Save Anyway') {
        return false;
      }
    }
  }
  await keys.set(key);
  logger.info('[Auth] API key stored in secret storage');
  void vscode.window.showInformationMessage('Marathon: API key saved.');
  return true;
}
