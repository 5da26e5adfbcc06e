// The chat in an editor tab ("Marathon: Open Chat in Editor"): the same page as the sidebar view,
// connected to the same controller, so both show the same conversation and stream together.
// Restored after a window reload by the serializer; like the view, it keeps no retained context.
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { connectWebview } from './chatViewProvider';
import type { ChatController } from './controller';

export const CHAT_PANEL_TYPE = 'marathon.chatPanel';

export class ChatPanelManager implements vscode.WebviewPanelSerializer, vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ChatController,
    private readonly logger: Logger,
  ) {}

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows the chat tab, creating it beside the current editor the first time. */
  open(): void {
    if (this.panel !== undefined) {
      this.panel.reveal();
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      CHAT_PANEL_TYPE,
      'Marathon',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
      { enableScripts: true, enableFindWidget: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview')] },
    );
    this.attach(panel);
  }

  /** Called by VS Code after a reload for a chat tab that was open. */
  deserializeWebviewPanel(panel: vscode.WebviewPanel): Thenable<void> {
    if (this.panel !== undefined) {
      // Only one chat tab: a second restored one would be a duplicate.
      panel.dispose();
    } else {
      this.attach(panel);
    }
    return Promise.resolve();
  }

  private attach(panel: vscode.WebviewPanel): void {
    this.panel = panel;
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'marathon.svg');
    const connection = connectWebview(panel.webview, this.extensionUri, this.controller, this.logger, 'editor');
    panel.onDidDispose(() => {
      connection.dispose();
      if (this.panel === panel) {
        this.panel = undefined;
      }
    });
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
