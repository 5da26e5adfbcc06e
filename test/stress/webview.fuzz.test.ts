// Hostile input in the real chat webview: the production bundle (dist/webview) in Chromium, in the page
// the host serves (same HTML, same CSP, only the origin differs), with a stand-in for VS Code's
// `acquireVsCodeApi`. Every generated case is posted as the host would post it, then the page is
// checked: nothing ran (no `__xss` call, no dialog), nothing loaded or navigated, no CSP violation, no
// dangerous element or attribute survived, and the layout holds (nothing wider than the view, the
// prompt visible and on top). The emulator-driven run in real VS Code is test/e2e/hostile.e2e.ts.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chatPageHtml } from '../../src/host/webviewHtml';
import type { TimelineItem, ToWebview, ViewState } from '../../src/shared/protocol';
import { hostileCases, type HostileCase } from './hostile';
import { seededRandom } from './random';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ASSETS = path.join(ROOT, 'dist', 'webview');
const SEED = Number(process.env.MARATHON_FUZZ_SEED) || 9_2026;
const VIEWPORT = { width: 420, height: 820 };

interface Findings {
  danger: string[];
  layout: string[];
}

interface RenderArg {
  messages: ToWebview[];
  openDetails: boolean;
  openHistory: boolean;
  search?: string;
}

/**
 * Runs in the page before its own script (an init script is not subject to the page's CSP, as VS Code's
 * own preload is not): the VS Code API stand-in, the execution trap, and the checks.
 */
const PROBE = String.raw`
(() => {
  const hits = [];
  const violations = [];
  const posted = [];
  Object.defineProperty(window, '__xss', { value: (id) => { hits.push(String(id)); }, writable: false });
  Object.defineProperty(window, '__probe', { value: { hits, violations, posted } });
  window.acquireVsCodeApi = () => ({ postMessage: (message) => { posted.push(message); }, getState: () => undefined, setState: () => undefined });
  document.addEventListener('securitypolicyviolation', (event) => {
    violations.push(event.violatedDirective + ' ' + event.blockedURI + ' ' + (event.sample || ''));
  });
  const DANGEROUS = 'script:not([nonce]),iframe,frame,frameset,object,embed,svg,math,img,picture,source,video,audio,style,link,meta,base,form,template,noscript,marquee,applet,canvas,isindex,x';
  const URL_ATTRIBUTES = ['src', 'srcset', 'srcdoc', 'action', 'formaction', 'xlink:href', 'data', 'background', 'poster', 'ping'];
  const CONTENT = '.md, .user-text, .error-message, .notice-text, .history-items, .history-hits, .compaction-inspector';
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  const describe = (element) => element ? '<' + element.tagName.toLowerCase() + (element.className && typeof element.className === 'string' ? ' class="' + element.className.slice(0, 60) + '"' : '') + '>' : 'nothing';
  const clipped = (element, width) => {
    for (let parent = element.parentElement; parent && parent !== document.documentElement; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (style.overflowX !== 'visible') {
        const box = parent.getBoundingClientRect();
        if (box.right <= width + 1 && box.left >= -1) {
          return true;
        }
      }
    }
    return false;
  };
  const visibleOnTop = (element, width, height) => {
    if (!element) {
      return 'missing';
    }
    const box = element.getBoundingClientRect();
    if (box.width < 10 || box.height < 10 || box.left < -1 || box.top < -1 || box.right > width + 1 || box.bottom > height + 1) {
      return 'not fully in view (' + [box.left, box.top, box.width, box.height].map(Math.round).join(',') + ')';
    }
    const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    return top === element || element.contains(top) ? '' : 'covered by ' + describe(top);
  };
  const check = () => {
    const danger = [];
    const layout = [];
    const root = document.getElementById('root');
    for (const element of root.querySelectorAll(DANGEROUS)) {
      danger.push('element ' + describe(element));
    }
    for (const element of root.querySelectorAll('*')) {
      for (const attribute of Array.from(element.attributes)) {
        const name = attribute.name.toLowerCase();
        if (name.startsWith('on')) {
          danger.push('handler ' + name + ' on ' + describe(element));
        } else if (URL_ATTRIBUTES.includes(name)) {
          danger.push('url attribute ' + name + ' on ' + describe(element));
        } else if (name === 'href' && !/^(https?:|mailto:)/i.test(attribute.value.trim())) {
          danger.push('link to ' + JSON.stringify(attribute.value.slice(0, 80)));
        }
      }
    }
    for (const element of root.querySelectorAll(CONTENT)) {
      for (const inner of element.querySelectorAll('[style], [id], [name]')) {
        danger.push('style, id or name from content on ' + describe(inner));
      }
    }
    const width = document.documentElement.clientWidth;
    const height = window.innerHeight;
    if (document.documentElement.scrollWidth > width + 1 || document.body.scrollWidth > width + 1) {
      layout.push('the page scrolls sideways (' + document.documentElement.scrollWidth + ' > ' + width + ')');
    }
    for (const element of root.querySelectorAll('*')) {
      if (element.closest('.sr-only')) {
        continue;
      }
      const box = element.getBoundingClientRect();
      if ((box.width === 0 && box.height === 0) || (box.right <= width + 1 && box.left >= -1)) {
        continue;
      }
      if (!clipped(element, width)) {
        layout.push(describe(element) + ' reaches past the view (' + Math.round(box.left) + '..' + Math.round(box.right) + ' of ' + width + ')');
        if (layout.length > 5) {
          break;
        }
      }
    }
    const prompt = visibleOnTop(document.querySelector('[data-testid="prompt"]'), width, height);
    if (prompt) {
      const heights = ['header', '.notices', '.timeline-wrap', '.footer'].map((selector) => selector + ' ' + Math.round(document.querySelector(selector)?.getBoundingClientRect().height ?? -1)).join(', ');
      layout.push('prompt ' + prompt + ' [' + heights + ']');
    }
    const send = document.querySelector('[data-testid="send"]:not([hidden])') || document.querySelector('[data-testid="stop"]:not([hidden])');
    const button = visibleOnTop(send, width, height);
    if (button) {
      layout.push('send/stop button ' + button);
    }
    const header = document.querySelector('header');
    if (header && header.getBoundingClientRect().height > height * 0.6) {
      layout.push('the header takes ' + Math.round(header.getBoundingClientRect().height) + ' px');
    }
    return { danger, layout };
  };
  Object.defineProperty(window, '__render', {
    value: async ({ messages, openDetails, openHistory, search }) => {
      const history = document.querySelector('[data-testid="history-list"]');
      if (openHistory && history && history.hidden) {
        document.querySelector('[data-testid="history-toggle"]').click();
      }
      if (!openHistory && history && !history.hidden) {
        document.querySelector('[data-testid="history-toggle"]').click();
      }
      if (search !== undefined) {
        const input = document.querySelector('.history-search');
        input.value = search;
        input.dispatchEvent(new Event('input', { bubbles: true }));
      }
      for (const message of messages) {
        window.postMessage(message, '*');
      }
      await tick();
      await frame();
      if (openDetails) {
        for (const details of document.querySelectorAll('details:not([open])')) {
          details.open = true;
        }
        await tick();
        await frame();
      }
      return check();
    },
  });
})();
`;

function meter(): ViewState['meter'] {
  return { contextTokens: 1200, triggerTokens: 150_000, contextWindow: 200_000, totalInputTokens: 1000, totalOutputTokens: 200, totalCacheReadTokens: 0, totalCacheWriteTokens: 0, compactionTokens: 0, costUsd: 0.01 };
}

function bootstrap(items: TimelineItem[] = [], hasOlder = false): ToWebview {
  const now = Date.now();
  return {
    type: 'state/bootstrap',
    state: {
      backend: { kind: 'demo', baseUrl: 'http://127.0.0.1:1' },
      conversations: [{ id: 'c-fuzz', title: 'Fuzz', createdAt: now, updatedAt: now, messageCount: items.length }],
      active: { id: 'c-fuzz', title: 'Fuzz', items, hasOlder },
      generating: false,
      meter: meter(),
      compactionMode: 'auto',
      model: 'claude-sonnet-5-5',
      workspaceTrusted: true,
      chips: [],
    },
  };
}

/** The messages a host would post to show `hostile` on its surface; some cases render in two steps. */
function stepsFor(hostile: HostileCase): RenderArg[] {
  const at = Date.now();
  const { id, text } = hostile;
  const user: TimelineItem = { kind: 'user', id: `u${id}`, at, text: `case ${id}` };
  const answer = (body: string): TimelineItem => ({ kind: 'assistant', id: `a${id}`, at, text: body, status: 'done', model: 'claude-sonnet-5-5' });
  const plain = (messages: ToWebview[], extra: Partial<RenderArg> = {}): RenderArg => ({ messages, openDetails: false, openHistory: false, ...extra });
  switch (hostile.surface) {
    case 'assistantStream':
      return [
        plain([{ type: 'generating/didChange', generating: true, requestId: `r${id}` }, { type: 'chat/started', requestId: `r${id}`, user, assistantId: `a${id}` }, ...hostile.pieces.map((piece): ToWebview => ({ type: 'chat/delta', requestId: `r${id}`, assistantId: `a${id}`, text: piece }))]),
        plain([{ type: 'chat/done', requestId: `r${id}`, item: answer(text) }, { type: 'generating/didChange', generating: false }]),
      ];
    case 'assistantRestored':
      return [plain([bootstrap([user, answer(text)])])];
    case 'olderPage':
      return [plain([bootstrap([{ kind: 'user', id: `n${id}`, at, text: 'newest' }], true), { type: 'timeline/older', conversationId: 'c-fuzz', items: [user, answer(text)], hasOlder: false }])];
    case 'user':
      return [plain([{ type: 'chat/started', requestId: `r${id}`, user: { ...user, text }, assistantId: `a${id}` }, { type: 'chat/done', requestId: `r${id}`, item: answer('ok') }])];
    case 'summary':
      return [
        plain(
          [
            {
              type: 'chat/item',
              item: { kind: 'compaction', id: `c${id}`, at, compactionKind: 'threshold', failed: false, summary: text, coveredMessages: 4, putBack: [`u${id}`], tokensBefore: 150_000, tokensAfter: 3000, costUsd: 0.2 },
            },
          ],
          { openDetails: true },
        ),
      ];
    case 'error':
      return [plain([{ type: 'chat/failed', requestId: `r${id}`, error: { kind: 'error', id: `e${id}`, at, errorKind: 'server', message: text, retryable: true } }])];
    case 'title': {
      const conversations = [
        { id: 'c-fuzz', title: text, createdAt: at, updatedAt: at, messageCount: 2 },
        { id: `c-other-${id}`, title: text, createdAt: at, updatedAt: at - 1, messageCount: 2 },
      ];
      return [plain([{ type: 'conversations/didChange', conversations, activeTitle: text }], { openHistory: true })];
    }
    case 'search':
      return [
        plain([{ type: 'search/results', query: 'needle', hits: [{ conversationId: 'c-other', conversationTitle: text, itemId: `u${id}`, snippet: text, compacted: id % 2 === 0 }] }], {
          openHistory: true,
          search: 'needle',
        }),
      ];
    case 'notice':
      return [plain([{ type: 'notice/show', level: 'warning', message: text }])];
    case 'chip':
      return [
        plain([
          {
            type: 'attachments/didChange',
            conversationId: 'c-fuzz',
            chips: [
              { id: `k${id}`, kind: 'file', label: text, tokens: 120, pending: true, pinnable: true },
              { id: `p${id}`, kind: 'file', label: text, tokens: 80, pinned: true, truncated: true, pending: false, pinnable: true },
            ],
          },
        ]),
        plain([{ type: 'attachments/didChange', conversationId: 'c-fuzz', chips: [] }]),
      ];
    case 'attachedName':
      return [plain([{ type: 'chat/started', requestId: `r${id}`, user: { ...user, attachments: [{ kind: 'file', label: text, tokens: 42, pinned: true }, { kind: 'selection', label: text, tokens: 7 }] }, assistantId: `a${id}` }, { type: 'chat/done', requestId: `r${id}`, item: answer('ok') }])];
    case 'attachFailed':
      return [plain([{ type: 'context/attachFailed', itemId: `file:0:${id}`, message: text, canTruncate: id % 2 === 0 }])];
    case 'draft':
      return [plain([{ type: 'chat/failed', requestId: `r${id}`, error: { kind: 'error', id: `e${id}`, at, errorKind: 'connection', message: 'The connection to the API dropped.', retryable: true }, draft: text }])];
  }
}

function serve(): Promise<{ server: http.Server; origin: string; unexpected: string[] }> {
  const unexpected: string[] = [];
  const nonce = randomBytes(16).toString('base64');
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const origin = `http://${request.headers.host ?? ''}`;
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(chatPageHtml({ nonce, cspSource: origin, asset: (name) => `${origin}/dist/webview/${name}`, surface: 'sidebar' }));
      return;
    }
    const asset = /^\/dist\/webview\/([\w.-]+)$/.exec(url.pathname)?.[1];
    if (asset !== undefined && ['main.js', 'main.css', 'codicon.css', 'codicon.ttf'].includes(asset)) {
      const types: Record<string, string> = { js: 'text/javascript', css: 'text/css', ttf: 'font/ttf' };
      response.writeHead(200, { 'content-type': types[asset.split('.').pop() ?? ''] ?? 'application/octet-stream' });
      response.end(fs.readFileSync(path.join(ASSETS, asset)));
      return;
    }
    if (url.pathname === '/favicon.ico') {
      response.writeHead(404);
      response.end();
      return;
    }
    // Anything else was asked for by content: a load the sanitizer should have stopped.
    unexpected.push(url.pathname);
    response.writeHead(404);
    response.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, unexpected })));
}

suite('Hostile input in the real webview', function () {
  this.timeout(300_000);
  let browser: Browser;
  let page: Page;
  let server: http.Server;
  let origin: string;
  let unexpectedRequests: string[];
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const navigations: string[] = [];
  const popups: string[] = [];

  suiteSetup(async () => {
    assert.ok(fs.existsSync(path.join(ASSETS, 'main.js')), 'dist/webview is built (node esbuild.js)');
    ({ server, origin, unexpected: unexpectedRequests } = await serve());
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-frame-rate-limit', '--disable-gpu-vsync'],
    });
    page = await browser.newPage({ viewport: VIEWPORT });
    await page.addInitScript({ content: PROBE });
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('popup', (popup) => popups.push(popup.url()));
    await page.goto(origin);
    page.on('framenavigated', (frame) => navigations.push(frame.url()));
    await page.locator('[data-testid="prompt"]').waitFor({ timeout: 30_000 });
  });

  suiteTeardown(async () => {
    await browser?.close();
    server?.close();
  });

  function render(arg: RenderArg): Promise<Findings> {
    return page.evaluate((value) => (globalThis as unknown as { __render(a: RenderArg): Promise<Findings> }).__render(value), arg);
  }

  function probe(): Promise<{ hits: string[]; violations: string[] }> {
    return page.evaluate(() => {
      const { hits, violations } = (globalThis as unknown as { __probe: { hits: string[]; violations: string[] } }).__probe;
      return { hits: [...hits], violations: [...violations] };
    });
  }

  test('the page runs under the host CSP and starts clean', async () => {
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(policy ?? '', /script-src 'nonce-[^']+'(;|$)/);
    const clean = await render({ messages: [bootstrap([{ kind: 'user', id: 'u0', at: Date.now(), text: 'hello' }, { kind: 'assistant', id: 'a0', at: Date.now(), text: 'Hi **there**\n\n```ts\nconst a = 1;\n```', status: 'done' }])], openDetails: false, openHistory: false });
    assert.deepEqual(clean, { danger: [], layout: [] }, 'the checks find nothing on ordinary content');
  });

  test('the detectors see what they look for (markup put in behind the sanitizer’s back)', async () => {
    const fresh = await browser.newPage({ viewport: VIEWPORT });
    try {
      await fresh.addInitScript({ content: PROBE });
      await fresh.goto(origin);
      await fresh.locator('[data-testid="prompt"]').waitFor({ timeout: 30_000 });
      const findings = await fresh.evaluate(async () => {
        const page = globalThis as unknown as {
          document: { getElementById(id: string): { insertAdjacentHTML(where: string, html: string): void; append(node: unknown): void }; createElement(tag: string): { style: { cssText: string } } };
          __render(a: RenderArg): Promise<Findings>;
        };
        const root = page.document.getElementById('root');
        root.insertAdjacentHTML('beforeend', '<img src="x" onerror="__xss(0)"><a href="javascript:__xss(0)">x</a>');
        const overlay = page.document.createElement('div');
        overlay.style.cssText = 'position:fixed;inset:0;z-index:9999;background:red';
        root.append(overlay);
        return page.__render({ messages: [], openDetails: false, openHistory: false });
      });
      await fresh.waitForTimeout(200);
      const violations = await fresh.evaluate(() => (globalThis as unknown as { __probe: { violations: string[] } }).__probe.violations.length);
      assert.ok(findings.danger.some((finding) => finding.includes('<img')), JSON.stringify(findings));
      assert.ok(findings.danger.some((finding) => finding.includes('handler onerror')), JSON.stringify(findings));
      assert.ok(findings.danger.some((finding) => finding.includes('javascript:')), JSON.stringify(findings));
      assert.ok(findings.layout.some((finding) => finding.startsWith('prompt covered')), JSON.stringify(findings));
      assert.ok(violations > 0, 'the CSP blocked the inline handler and the probe saw it');
      assert.deepEqual(unexpectedRequests.splice(0), ['/x'], 'the server saw the image load');
    } finally {
      await fresh.close();
    }
  });

  test('generated hostile cases: 0 executions, 0 loads or navigations, layout intact', async () => {
    const cases = hostileCases(seededRandom(SEED), { surfacesPerPayload: 6 });
    assert.ok(cases.length >= 500, `${cases.length} cases`);
    const failures: string[] = [];
    const started = Date.now();
    let checks = 0;
    let slowest = { ms: 0, id: 0 };
    for (const [index, hostile] of cases.entries()) {
      if (index % 20 === 0) {
        await render({ messages: [bootstrap()], openDetails: false, openHistory: false });
      }
      const caseStarted = Date.now();
      for (const step of stepsFor(hostile)) {
        const findings = await render(step);
        checks++;
        for (const finding of [...findings.danger, ...findings.layout]) {
          failures.push(`case ${hostile.id} (${hostile.surface}${hostile.oneMegabyte ? ', 1 MB line' : ''}): ${finding} — input ${JSON.stringify(hostile.text.slice(0, 120))}`);
        }
      }
      if (Date.now() - caseStarted > slowest.ms) {
        slowest = { ms: Date.now() - caseStarted, id: hostile.id };
      }
      if (failures.length > 40) {
        break;
      }
    }
    // Let anything deferred (timers, image errors, animations) fire before counting.
    await page.waitForTimeout(500);
    const { hits, violations } = await probe();
    const executions = hits.length + dialogs.length;
    const figures = {
      cases: cases.length,
      megabyteCases: cases.filter((hostile) => hostile.oneMegabyte).length,
      surfaces: new Set(cases.map((hostile) => hostile.surface)).size,
      checks,
      executions,
      cspViolations: violations.length,
      unexpectedRequests: unexpectedRequests.length,
      navigations: navigations.length + popups.length,
      pageErrors: pageErrors.length,
      findings: failures.length,
      slowestCaseMs: slowest.ms,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`      hostile figures: ${JSON.stringify(figures)}`);
    if (failures.length > 0) {
      console.log(failures.join('\n'));
    }
    assert.deepEqual(hits, [], 'payloads that ran');
    assert.deepEqual(dialogs, [], 'dialogs opened');
    assert.deepEqual(violations, [], 'CSP violations (content the sanitizer let through, stopped only by the CSP)');
    assert.deepEqual(unexpectedRequests, [], 'requests made by content');
    assert.deepEqual([...navigations, ...popups], [], 'navigations');
    assert.deepEqual(pageErrors, [], 'errors thrown by the webview');
    assert.deepEqual(failures, [], 'dangerous markup or broken layout');
  });
});
