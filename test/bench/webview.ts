// Webview benchmark: the real webview bundle in Debian's Chromium, under the host's CSP, fed the
// messages the host would send. Measures first paint and the cost of one streamed delta at 10 and
// 2,000 messages, and the heap at 2,000 messages.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type CDPSession, type Page } from 'playwright-core';
import type { TimelineItem, ToWebview, ViewState } from '../../src/shared/protocol';
import { figure, median, round, type Figure } from './figures';

/** The browser globals used inside `page.evaluate` (this file compiles without the DOM library). */
interface BrowserGlobals {
  dispatchEvent(event: unknown): boolean;
  requestAnimationFrame(callback: () => void): number;
  MessageEvent: new (type: string, init: { data: unknown }) => unknown;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');
const ASSETS = path.join(ROOT, 'dist', 'webview');
const NONCE = 'benchnonce';

function page(): string {
  return `<!DOCTYPE html><html><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'self'; font-src 'self'; img-src 'self' data:; script-src 'nonce-${NONCE}'; connect-src 'none';">
<link rel="stylesheet" href="/codicon.css"><link rel="stylesheet" href="/main.css"></head>
<body><div id="root"></div>
<script nonce="${NONCE}">window.acquireVsCodeApi = () => ({ postMessage() {}, getState() { return undefined; }, setState() {} });</script>
<script nonce="${NONCE}" src="/main.js"></script></body></html>`;
}

function serve(): Promise<{ url: string; close(): void }> {
  const server = http.createServer((request, response) => {
    const name = (request.url ?? '/').split('?')[0]!;
    if (name === '/') {
      response.writeHead(200, { 'content-type': 'text/html' }).end(page());
      return;
    }
    const file = path.join(ASSETS, path.basename(name));
    if (!fs.existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'font/ttf';
    response.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, close: () => server.close() })));
}

function items(count: number): TimelineItem[] {
  const out: TimelineItem[] = [];
  for (let i = 0; i < count; i++) {
    out.push(
      i % 2 === 0
        ? { kind: 'user', id: `u${i}`, at: 1_790_000_000_000 + i, text: `Question ${i}: how do I make the parser faster?` }
        : {
            kind: 'assistant',
            id: `a${i}`,
            at: 1_790_000_000_000 + i,
            status: 'done',
            text: `Answer ${i}. Cache the tokens and avoid **re-scanning**:\n\n\`\`\`ts\nconst tokens = cache.get(source) ?? tokenize(source);\ncache.set(source, tokens);\n\`\`\`\n\n- keep the cache small\n- clear it on save`,
          },
    );
  }
  return out;
}

function state(all: TimelineItem[], hasOlder: boolean): ViewState {
  return {
    backend: { kind: 'demo' },
    conversations: [{ id: 'c1', title: 'Bench', createdAt: 0, updatedAt: 0, messageCount: all.length }],
    active: { id: 'c1', title: 'Bench', items: all, hasOlder },
    generating: false,
    meter: { contextTokens: 1000, triggerTokens: 150_000, contextWindow: 200_000, totalInputTokens: 0, totalOutputTokens: 0, totalCacheReadTokens: 0, totalCacheWriteTokens: 0, compactionTokens: 0, costUsd: 0 },
    compactionMode: 'auto',
    model: 'claude-sonnet-5-5',
    workspaceTrusted: true,
    chips: [],
  };
}

async function deliver(target: Page, message: ToWebview): Promise<void> {
  await target.evaluate((data) => {
    const w = globalThis as unknown as BrowserGlobals;
    w.dispatchEvent(new w.MessageEvent('message', { data }));
  }, message as unknown as Record<string, unknown>);
}

/** Milliseconds from delivering a bootstrap to the frame after it rendered. */
async function firstPaint(target: Page, message: ToWebview): Promise<number> {
  return target.evaluate(
    (data) =>
      new Promise<number>((resolve) => {
        const w = globalThis as unknown as BrowserGlobals;
        const started = performance.now();
        w.dispatchEvent(new w.MessageEvent('message', { data }));
        w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve(performance.now() - started)));
      }),
    message as unknown as Record<string, unknown>,
  );
}

async function taskMs(cdp: CDPSession): Promise<number> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return (metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? 0) * 1000;
}

/** Main-thread time per streamed delta, including the render it causes, over `count` deltas. */
async function deltaCost(target: Page, cdp: CDPSession, count: number): Promise<number> {
  await deliver(target, { type: 'chat/started', requestId: 'r-new', user: { kind: 'user', id: 'u-new', at: Date.now(), text: 'One more question' }, assistantId: 'a-new' });
  const before = await taskMs(cdp);
  await target.evaluate(
    (n) =>
      new Promise<void>((resolve) => {
        const w = globalThis as unknown as BrowserGlobals;
        let sent = 0;
        const step = () => {
          w.dispatchEvent(new w.MessageEvent('message', { data: { type: 'chat/delta', requestId: 'r-new', assistantId: 'a-new', text: sent % 25 === 24 ? 'word.\n\n' : 'word ' } }));
          if (++sent < n) {
            w.requestAnimationFrame(step);
          } else {
            w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve()));
          }
        };
        w.requestAnimationFrame(step);
      }),
    count,
  );
  const after = await taskMs(cdp);
  // Frames with nothing to do still cost a little; measured by the same loop without deltas.
  return (after - before) / count;
}

async function idleCost(target: Page, cdp: CDPSession, count: number): Promise<number> {
  const before = await taskMs(cdp);
  await target.evaluate(
    (n) =>
      new Promise<void>((resolve) => {
        const w = globalThis as unknown as BrowserGlobals;
        let frames = 0;
        const step = () => (++frames < n ? w.requestAnimationFrame(step) : w.requestAnimationFrame(() => w.requestAnimationFrame(() => resolve())));
        w.requestAnimationFrame(step);
      }),
    count,
  );
  return ((await taskMs(cdp)) - before) / count;
}

export async function webviewBench(quick: boolean): Promise<Figure[]> {
  const server = await serve();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 420, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const runs = quick ? 3 : 7;
    const deltas = quick ? 120 : 300;
    const results = { tail: [] as number[], full: [] as number[], small: [] as number[], delta10: [] as number[], delta2000: [] as number[], heap: 0 };
    for (let run = 0; run < runs; run++) {
      const target = context.pages()[0] ?? (await context.newPage());
      const cdp = await context.newCDPSession(target);
      await cdp.send('Performance.enable');
      // 10 messages.
      await target.goto(server.url);
      await target.waitForSelector('[data-testid="prompt"]');
      results.small.push(await firstPaint(target, { type: 'state/bootstrap', state: state(items(10), false) }));
      const idle = await idleCost(target, cdp, deltas);
      results.delta10.push((await deltaCost(target, cdp, deltas)) - idle);
      // 2,000 messages, as the host sends them: the newest 100, the rest on scrolling up.
      await target.goto(server.url);
      await target.waitForSelector('[data-testid="prompt"]');
      const all = items(2000);
      results.tail.push(await firstPaint(target, { type: 'state/bootstrap', state: state(all.slice(-100), true) }));
      // And all 2,000 at once, which the host never does: the windowed list must cope anyway.
      await target.goto(server.url);
      await target.waitForSelector('[data-testid="prompt"]');
      results.full.push(await firstPaint(target, { type: 'state/bootstrap', state: state(all, false) }));
      const idle2000 = await idleCost(target, cdp, deltas);
      results.delta2000.push((await deltaCost(target, cdp, deltas)) - idle2000);
      if (run === runs - 1) {
        await cdp.send('HeapProfiler.collectGarbage');
        const { usedSize } = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
        results.heap = usedSize;
      }
      await cdp.detach();
    }
    const delta10 = median(results.delta10);
    const delta2000 = median(results.delta2000);
    return [
      figure('webview', 'first paint, 10 messages', round(median(results.small), 1), 'ms'),
      figure('webview', 'first paint, 2,000-message conversation (tail sent by the host)', round(median(results.tail), 1), 'ms', { max: 150 }),
      figure('webview', 'first paint, all 2,000 messages at once', round(median(results.full), 1), 'ms'),
      figure('webview', 'render cost of one streamed delta, 10 messages', round(delta10, 3), 'ms'),
      figure('webview', 'render cost of one streamed delta, 2,000 messages', round(delta2000, 3), 'ms'),
      figure('webview', 'delta cost ratio 2,000 / 10 messages', round(delta2000 / Math.max(delta10, 0.001)), 'x', { max: 1.5 }),
      figure('webview', 'heap with 2,000 messages', round(results.heap / 1e6, 1), 'MB'),
    ];
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    server.close();
  }
}

if (require.main === module) {
  const [outFile] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  webviewBench(process.argv.includes('--quick'))
    .then((figures) => fs.writeFileSync(outFile ?? 'webview-bench.json', JSON.stringify({ figures, failures: [] }, null, 2)))
    .catch((error: unknown) => {
      fs.writeFileSync(outFile ?? 'webview-bench.json', JSON.stringify({ figures: [], failures: [`webview: ${error instanceof Error ? error.stack : String(error)}`] }, null, 2));
    });
}
