// The e2e toolkit: a tiny test registry and page helpers for driving Marathon in real VS Code.
// Spec files (`*.e2e.ts`) register tests with `test()`; run.ts runs them in one browser session.
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

export async function runFromPalette(page: Page, title: string, timeoutMs = 30_000): Promise<void> {
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
  const activity = page.locator('.activitybar .action-item:has(a.action-label[aria-label^="Marathon"])');
  await activity.waitFor({ timeout: 60_000 });
  // Clicking an active view container would close the side bar, so click only when it is not shown.
  if (!((await activity.getAttribute('class')) ?? '').includes('checked')) {
    await activity.locator('a.action-label').click();
  }
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
  const finished = frame.locator(`[data-testid="msg-assistant"][data-status="${status}"]`);
  const before = await finished.count();
  await sendPrompt(frame, text);
  await finished.nth(before).waitFor({ timeout: 20_000 });
}

export async function newConversation(frame: Frame): Promise<void> {
  await frame.locator('[data-testid="new-conversation"]').click();
  await frame.locator('[data-testid="empty-state"]').waitFor({ timeout: 10_000 });
}

