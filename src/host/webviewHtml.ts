// The chat page and its Content Security Policy, without `vscode`, so that tests can serve the very
// same page to a browser (the hostile-content fuzz) and read the policy (the CSP test).

export type ChatSurface = 'sidebar' | 'editor';

export interface ChatPage {
  /** Fresh per page, from `crypto`: the only way a script may run. */
  nonce: string;
  /** The webview's own origin (`webview.cspSource`): styles, fonts and images load only from there. */
  cspSource: string;
  /** The URL of an asset under dist/webview. */
  asset(name: string): string;
  surface: ChatSurface;
}

/** Scripts only by nonce (no `unsafe-inline`, no `unsafe-eval`), nothing remote, no network at all. */
function contentSecurityPolicy(nonce: string, cspSource: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
    "connect-src 'none'",
  ].join('; ');
}

export function chatPageHtml(page: ChatPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(page.nonce, page.cspSource)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${page.asset('codicon.css')}">
<link rel="stylesheet" href="${page.asset('main.css')}">
<title>Marathon</title>
</head>
<body data-surface="${page.surface}">
<div id="root" data-testid="root"></div>
<script nonce="${page.nonce}" src="${page.asset('main.js')}"></script>
</body>
</html>`;
}
