// Browser end-to-end tests: Debian's Chromium, driven by playwright-core, uses Marathon in real VS Code
// (code-server) exactly as a person would. Screenshots go to test-results/.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Frame, type Page } from 'playwright-core';

const workbenchUrl = required('MARATHON_WORKBENCH_URL');
const emulatorUrl = required('MARATHON_EMULATOR_URL');
const resultsDir = path.resolve(__dirname, '..', '..', '..', 'test-results');

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run the e2e tests through npm test.`);
  }
  return value;
}

type TestFn = (page: Page) => Promise<void>;
const tests: Array<{ name: string; fn: TestFn }> = [];
function test(name: string, fn: TestFn): void {
  tests.push({ name, fn });
}

async function emulator(route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulatorUrl}/_emulator/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`) });
}

async function runFromPalette(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill('>' + title);
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
    try {
      await row.waitFor({ timeout: 2000 });
      await page.keyboard.press('Enter');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await page.keyboard.press('Escape');
      await page.waitForTimeout(500);
    }
  }
}

/** The chat webview's inner frame (VS Code nests the extension's page inside a host iframe). */
async function chatFrame(page: Page, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (!frame.parentFrame()?.url().includes('/webview/browser/pre/index.html')) {
        continue;
      }
      if (await frame.locator('[data-testid="prompt"]').count().catch(() => 0)) {
        return frame;
      }
    }
    if (Date.now() > deadline) {
      throw new Error('The Marathon chat view did not appear.');
    }
    await page.waitForTimeout(250);
  }
}

async function openChat(page: Page): Promise<Frame> {
  const activity = page.locator('.activitybar .action-item:has(a.action-label[aria-label^="Marathon"])');
  await activity.waitFor({ timeout: 60_000 });
  // Clicking an active view container would close the side bar, so click only when it is not shown.
  if (!((await activity.getAttribute('class')) ?? '').includes('checked')) {
    await activity.locator('a.action-label').click();
  }
  return chatFrame(page);
}

async function sendPrompt(frame: Frame, text: string): Promise<void> {
  const prompt = frame.locator('[data-testid="prompt"]');
  await prompt.click();
  await prompt.fill(text);
  await prompt.press('Enter');
}

/** Sends a prompt and waits until one more answer is finished. */
async function sendAndWait(frame: Frame, text: string, status = 'done'): Promise<void> {
  const finished = frame.locator(`[data-testid="msg-assistant"][data-status="${status}"]`);
  const before = await finished.count();
  await sendPrompt(frame, text);
  await finished.nth(before).waitFor({ timeout: 20_000 });
}

async function newConversation(frame: Frame): Promise<void> {
  await frame.locator('[data-testid="new-conversation"]').click();
  await frame.locator('[data-testid="empty-state"]').waitFor({ timeout: 10_000 });
}

test('the Marathon view opens with the demo backend badge and an empty state', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await frame.locator('[data-testid="demo-badge"]').waitFor({ timeout: 10_000 });
  await screenshot(page, '01-empty-state');
});

test('a message sent with Enter streams an answer into the chat', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await emulator('config', { chunkDelayMs: 15 });
  await sendPrompt(frame, 'How do I reverse a list in Python?');
  const user = frame.locator('[data-testid="msg-user"]').last();
  await user.waitFor();
  if (!(await user.innerText()).includes('reverse a list')) {
    throw new Error('the user message is not shown');
  }
  // While streaming, the answer grows; then it is marked done.
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  await answer.waitFor();
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  const text = await answer.innerText();
  if (!text.includes('You said')) {
    throw new Error(`unexpected answer: ${text.slice(0, 200)}`);
  }
  await emulator('config', { chunkDelayMs: 0 });
  await screenshot(page, '02-streamed-answer');
});

test('markdown answers render code blocks with a language label and actions', async (page) => {
  const frame = await openChat(page);
  await sendAndWait(frame, 'Show me the markdown-demo please');
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  await answer.locator('pre code').first().waitFor();
  await answer.locator('[data-testid="code-copy"]').first().waitFor();
  if ((await answer.locator('table').count()) === 0) {
    throw new Error('the markdown table did not render');
  }
  await screenshot(page, '03-markdown');
});

test('Stop ends a long answer and keeps what arrived', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await sendPrompt(frame, 'Write a long essay about marathons');
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  await answer.waitFor();
  await frame.locator('[data-testid="stop"]').waitFor({ timeout: 10_000 });
  // Let some text arrive first.
  const deadline = Date.now() + 10_000;
  while ((await answer.innerText()).length < 40 && Date.now() < deadline) {
    await page.waitForTimeout(100);
  }
  await frame.locator('[data-testid="stop"]').click();
  await frame.locator('[data-testid="msg-assistant"][data-status="stopped"]').last().waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="send"]').waitFor({ timeout: 10_000 });
  if ((await answer.innerText()).length < 20) {
    throw new Error('the partial answer was not kept');
  }
  await screenshot(page, '04-stopped');
});

test('the conversation is still there after reloading the window', async (page) => {
  let frame = await openChat(page);
  await newConversation(frame);
  await sendAndWait(frame, 'Remember the word persimmon');
  await runFromPalette(page, 'Developer: Reload Window');
  await page.waitForLoadState('domcontentloaded');
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  frame = await openChat(page);
  await frame.locator('[data-testid="msg-user"]', { hasText: 'persimmon' }).waitFor({ timeout: 20_000 });
  const title = await frame.locator('[data-testid="title"]').innerText();
  if (!title.includes('Remember the word')) {
    throw new Error(`the conversation title is "${title}" after the reload`);
  }
  await screenshot(page, '05-after-reload');
});

async function main(): Promise<void> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-e2e-'));
  let context: BrowserContext | undefined;
  let passed = 0;
  let failed = 0;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => fs.appendFileSync(path.join(resultsDir, 'page-errors.log'), `${error.message}\n`));
    await emulator('reset', {});
    await page.goto(workbenchUrl);
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
    for (const { name, fn } of tests) {
      const started = Date.now();
      try {
        await fn(page);
        passed++;
        console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
      } catch (error) {
        failed++;
        console.log(`  ✘ ${name}\n    ${error instanceof Error ? error.message : String(error)}`);
        await screenshot(page, `failed-${tests.findIndex((entry) => entry.name === name) + 1}`).catch(() => undefined);
      }
    }
  } catch (error) {
    failed++;
    console.log(`  ✘ could not start the browser tests: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await context?.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(`ui: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

void main();
