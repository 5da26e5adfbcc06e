// The e2e toolkit: a tiny test registry and page helpers for driving Marathon in real VS Code.
// Spec files (`*.e2e.ts`) register tests with `test()`; run.ts runs them in one browser session.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';

export const workbenchUrl = required('MARATHON_WORKBENCH_URL');
export const emulatorUrl = required('MARATHON_EMULATOR_URL');
export const resultsDir = path.resolve(__dirname, '..', '..', '..', 'test-results');

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run the e2e tests through npm test.`);
  }
  return value;
}

export type TestFn = (page: Page) => Promise<void>;
export const tests: Array<{ name: string; fn: TestFn }> = [];
export function test(name: string, fn: TestFn): void {
  tests.push({ name, fn });
}

export async function emulator(route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emulatorUrl}/_emulator/${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.json();
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(resultsDir, `${name}.png`) });
}

/** A screenshot of the side bar alone (the chat view at its width). */
export async function screenshotSidebar(page: Page, name: string): Promise<void> {
  await page.locator('.part.sidebar').screenshot({ path: path.join(resultsDir, `${name}.png`) });
}

export async function runFromPalette(page: Page, title: string, timeoutMs = 30_000, exact = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    const row = (exact ? rows.filter({ has: page.locator('.label-name', { hasText: exactly(title) }) }) : rows.filter({ hasText: title })).first();
    try {
      // F1 pressed while focus is moving (a webview, a closing toast) may open nothing: press it again.
      await input.waitFor({ timeout: 5000 });
      await input.fill('>' + title, { timeout: 5000 });
      await row.waitFor({ timeout: 2000 });
      if (exact) {
        await row.click();
      } else {
        await page.keyboard.press('Enter');
      }
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
export async function chatFrame(page: Page, timeoutMs = 30_000): Promise<Frame> {
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

export async function openChat(page: Page): Promise<Frame> {
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  // The view's focus command shows the side bar whatever its state; clicking the activity bar item
  // would instead close it when Marathon is already the active container.
  await runFromPalette(page, 'Marathon: Focus on Chat View');
  return chatFrame(page);
}

export async function sendPrompt(frame: Frame, text: string): Promise<void> {
  const prompt = frame.locator('[data-testid="prompt"]');
  await prompt.click();
  await prompt.fill(text);
  await prompt.press('Enter');
}

/** Sends a prompt and waits until one more answer is finished. */
export async function sendAndWait(frame: Frame, text: string, status = 'done'): Promise<void> {
  // The timeline is windowed (older items leave the DOM), so compare the newest answer's id rather
  // than counting answers.
  const finished = frame.locator(`[data-testid="msg-assistant"][data-status="${status}"]`);
  const lastId = async () => ((await finished.count()) > 0 ? await finished.last().getAttribute('data-id') : null);
  const before = await lastId();
  await sendPrompt(frame, text);
  const deadline = Date.now() + 20_000;
  while ((await lastId()) === before) {
    if (Date.now() > deadline) {
      throw new Error(`no new ${status} answer within 20 s after sending "${text.slice(0, 60)}"`);
    }
    await frame.waitForTimeout(100);
  }
}

export async function newConversation(frame: Frame): Promise<void> {
  // An empty conversation shows the same empty state as a new one: wait until the view shows another
  // conversation, or a message typed at once is written for the one it replaced (and refused).
  const shown = () => frame.locator('[data-conversation-id]').first().getAttribute('data-conversation-id');
  const before = await shown();
  await frame.locator('[data-testid="new-conversation"]').click();
  const deadline = Date.now() + 10_000;
  while ((await shown()) === before) {
    if (Date.now() > deadline) {
      throw new Error('New Conversation did not open another conversation within 10 s');
    }
    await frame.waitForTimeout(50);
  }
  await frame.locator('[data-testid="empty-state"]').waitFor({ timeout: 10_000 });
}


// ---------------------------------------------------------------- chat surfaces, editor, themes

/** The e2e workspace folder on disk (a fresh copy of sample-workspace for this run). */
export const e2eFolder = process.env.MARATHON_E2E_FOLDER ?? '';

/** The chat page shown in the sidebar view or in the editor tab (`body[data-surface]`). */
export async function chatFrameOn(page: Page, surface: 'sidebar' | 'editor', timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (!frame.parentFrame()?.url().includes('/webview/browser/pre/index.html')) {
        continue;
      }
      if (await frame.locator(`body[data-surface="${surface}"] [data-testid="prompt"]`).count().catch(() => 0)) {
        return frame;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`The Marathon chat (${surface}) did not appear.`);
    }
    await page.waitForTimeout(250);
  }
}

/** Reloads the window and waits for the workbench to come back. */
export async function reloadWindow(page: Page): Promise<void> {
  // Until the new document arrives, the old workbench (and its soon-detached webviews) still answers.
  const navigated = page.waitForEvent('framenavigated', { predicate: (frame) => frame === page.mainFrame(), timeout: 60_000 });
  await runFromPalette(page, 'Developer: Reload Window');
  await navigated;
  await page.waitForLoadState('domcontentloaded');
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view .monaco-list-row, .activitybar .action-item').first().waitFor({ timeout: 60_000 });
}

/** Opens a workspace file in an editor through Quick Open (the palette without its `>`). */
export async function openFile(page: Page, name: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: exactly(name) }) }).first();
  // A file written just now may be missing from the first search; Quick Open asked again finds it.
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(name);
    try {
      await row.waitFor({ timeout: 10_000 });
      break;
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
    }
  }
  await row.click();
  await page.locator(`.tabs-container .tab[aria-label*="${name}"]`).first().waitFor({ timeout: 10_000 });
}

/** The user settings file of the code-server under test (it applies edits to it at once). */
export function userSettingsFile(): string {
  const port = new URL(process.env.MARATHON_SERVER_URL ?? workbenchUrl).port;
  return path.join(resultsDir, '..', '.vscode-test', `state-${port}`, 'user-data', 'User', 'settings.json');
}

/** The user settings as VS Code last wrote them. */
export function userSettings(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(userSettingsFile(), 'utf8')) as Record<string, unknown>;
}

function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
}

const THEME_CLASSES: Record<string, string> = {
  'Default Light Modern': 'vs',
  'Default Dark Modern': 'vs-dark',
  'Default High Contrast': 'hc-black',
  'Default High Contrast Light': 'hc-light',
};

/** Picks a color theme with "Preferences: Color Theme" and waits until the workbench shows it. */
export async function selectTheme(page: Page, theme: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  const input = page.locator('.quick-input-widget input');
  await input.fill(theme);
  // A row's accessible name is "<label>, <theme id>", e.g. "Light Modern, Default Light Modern".
  await page.locator(`.quick-input-list .monaco-list-row[aria-label$=", ${theme}"]`).first().click();
  await page.locator(`.monaco-workbench.${THEME_CLASSES[theme] ?? 'vs'}`).waitFor({ timeout: 15_000 });
  await page.waitForTimeout(500);
}

/** Like runFromPalette, but clicks the row whose label is exactly `title` (fuzzy matching may rank others first). */
export function runCommand(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
  return runFromPalette(page, title, timeoutMs, true);
}

/** Polls `check` until it returns true. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting until ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
