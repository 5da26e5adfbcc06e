// Composition root: builds the host objects and registers them. Nothing heavy happens here; the
// store and the SDK load on first use.
import * as vscode from 'vscode';
import { ApiKeyStore } from './host/apiKey';
import { ProposalManager } from './host/apply';
import { CHAT_PANEL_TYPE, ChatPanelManager } from './host/chatPanel';
import { CHAT_VIEW_ID, ChatViewProvider } from './host/chatViewProvider';
import { registerCommands, registerViewCommands } from './host/commands';
import { ChatController } from './host/controller';
import { channelLogger } from './host/logger';

/** What the extension returns from `activate`, used by the integration tests. */
export interface MarathonApi {
  readonly controller: ChatController;
  readonly proposals: ProposalManager;
}

export function activate(context: vscode.ExtensionContext): MarathonApi {
  const channel = vscode.window.createOutputChannel('Marathon', { log: true });
  const logger = channelLogger(channel);
  const keys = new ApiKeyStore(context.secrets);
  const proposals = new ProposalManager({ logger });
  const controller = new ChatController(context, keys, logger, proposals);
  const provider = new ChatViewProvider(context.extensionUri, controller, logger);
  const panels = new ChatPanelManager(context.extensionUri, controller, logger);
  context.subscriptions.push(
    channel,
    keys,
    proposals,
    controller,
    panels,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider),
    vscode.window.registerWebviewPanelSerializer(CHAT_PANEL_TYPE, panels),
    ...registerCommands(controller, keys, channel, logger),
    ...registerViewCommands(panels, proposals),
  );
  controller.reportSettingsProblems();
  return { controller, proposals };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
