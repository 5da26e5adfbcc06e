// Composition root: builds the host objects and registers them. Nothing heavy happens here; the
// store and the SDK load on first use.
import * as vscode from 'vscode';
import { ApiKeyStore } from './host/apiKey';
import { CHAT_VIEW_ID, ChatViewProvider } from './host/chatViewProvider';
import { registerCommands } from './host/commands';
import { ChatController } from './host/controller';
import { channelLogger } from './host/logger';

/** What the extension returns from `activate`, used by the integration tests. */
export interface MarathonApi {
  readonly controller: ChatController;
}

export function activate(context: vscode.ExtensionContext): MarathonApi {
  const channel = vscode.window.createOutputChannel('Marathon', { log: true });
  const logger = channelLogger(channel);
  const keys = new ApiKeyStore(context.secrets);
  const controller = new ChatController(context, keys, logger);
  const provider = new ChatViewProvider(context.extensionUri, controller, logger);
  context.subscriptions.push(
    channel,
    keys,
    controller,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider),
    ...registerCommands(controller, keys, channel, logger),
  );
  controller.reportSettingsProblems();
  return { controller };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
