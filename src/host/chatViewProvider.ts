// Serves the chat webview: strict CSP with a nonce, assets only from dist/webview, no retained context
// (the host re-sends state whenever the view is shown again).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { isToHost, type ToWebview } from '../shared/protocol';
import type { ChatController } from './controller';
import { chatPageHtml, type ChatSurface } from './webviewHtml';
import { loggableError } from '../core/errorText';

export const CHAT_VIEW_ID = 'marathon.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ChatController,
    private readonly logger: Logger,
  ) {}

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const connection = connectWebview(view.webview, this.extensionUri, this.controller, this.logger, 'sidebar');
    view.onDidDispose(() => {
      connection.dispose();
      this.view = undefined;
    });
  }
}

/** Where a chat webview is shown; the page hides what makes no sense there (Open in Editor in the editor). */
export type { ChatSurface };

/**
 * Serves the chat page in a webview (the sidebar view or an editor tab) and connects it to the
 * controller; every connected webview gets the same state and events, so they stay in sync.
 */
export function connectWebview(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  controller: ChatController,
  logger: Logger,
  surface: ChatSurface,
): vscode.Disposable {
  const assets = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
  webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [assets] };
  webview.html = renderHtml(webview, assets, surface);
  const post = (message: ToWebview) => {
    void webview.postMessage(message);
  };
  const attachment = controller.attachView(post);
  const receiver = webview.onDidReceiveMessage((message: unknown) => {
    if (!isToHost(message)) {
      logger.warn('[View] ignored a malformed message from the webview');
      return;
    }
    controller.handle(message, post).catch((error: unknown) => logger.error(loggableError(error)));
  });
  return vscode.Disposable.from(attachment, receiver);
}

export function renderHtml(webview: vscode.Webview, assets: vscode.Uri, surface: ChatSurface = 'sidebar'): string {
  return chatPageHtml({
    nonce: randomBytes(16).toString('base64'),
    cspSource: webview.cspSource,
    asset: (name) => webview.asWebviewUri(vscode.Uri.joinPath(assets, name)).toString(),
    surface,
  });
}
