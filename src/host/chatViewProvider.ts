// Serves the chat webview: strict CSP with a nonce, assets only from dist/webview, no retained context
// (the host re-sends state whenever the view is shown again).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Logger } from '../core/ports';
import { isToHost, type ToWebview } from '../shared/protocol';
import type { ChatController } from './controller';

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
    const assets = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [assets] };
    view.webview.html = renderHtml(view.webview, assets);
    const post = (message: ToWebview) => {
      void view.webview.postMessage(message);
    };
    const attachment = this.controller.attachView(post);
    const receiver = view.webview.onDidReceiveMessage((message: unknown) => {
      if (!isToHost(message)) {
        this.logger.warn('[View] ignored a malformed message from the webview');
        return;
      }
      this.controller.handle(message).catch((error: unknown) => this.logger.error(error instanceof Error ? error : String(error)));
    });
    view.onDidDispose(() => {
      attachment.dispose();
      receiver.dispose();
      this.view = undefined;
    });
  }
}

export function renderHtml(webview: vscode.Webview, assets: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(assets, name)).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('codicon.css')}">
<link rel="stylesheet" href="${asset('main.css')}">
<title>Marathon</title>
</head>
<body>
<div id="root" data-testid="root"></div>
<script nonce="${nonce}" src="${asset('main.js')}"></script>
</body>
</html>`;
}
