// Thinking in real VS Code: the reasoning streams into a collapsed "Thinking…" line above the answer,
// which then reads how long and how many tokens, opens on a click, in the light and the dark theme;
// the effort switch above the prompt writes marathon.effort and says once that the cache is lost.
import type { Frame, Page } from 'playwright-core';
import { emulator, newConversation, openChat, screenshot, selectTheme, sendPrompt, test, userSettings, waitUntil } from './harness';

const REASONING = 'First, find where the totals are rounded. The billing module rounds each line, then the sum, so cents drift. ' +
  'Rounding once, at the end, keeps the totals exact; the tests that pin the old drift need new expectations. ';

async function fail(page: Page, name: string, message: string): Promise<never> {
  await screenshot(page, `failed-${name}`);
  throw new Error(message);
}

/** Sends a prompt whose answer thinks slowly enough to be seen streaming, and checks both states. */
async function thinkingAnswer(page: Page, frame: Frame, theme: string): Promise<void> {
  await emulator('script', { replies: [{ thinking: REASONING.repeat(6), text: 'Round once, at the end: `total = round(sum(lines))`.', delayMs: 40 }] });
  await sendPrompt(frame, `Why do the invoice totals drift by a cent? (${theme})`);
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  const section = answer.locator('[data-testid="thinking"]');
  await waitUntil('the thinking streams', async () => (await section.getAttribute('data-streaming')) === 'true' && ((await section.locator('.thinking-preview').textContent()) ?? '').length > 20);
  const streamingLabel = (await section.locator('.thinking-label').textContent()) ?? '';
  if (streamingLabel !== 'Thinking…') {
    await fail(page, `thinking-${theme}`, `while streaming the label reads "${streamingLabel}"`);
  }
  if (await section.locator('.thinking-details').evaluate((details) => (details as unknown as { open: boolean }).open)) {
    await fail(page, `thinking-${theme}`, 'the thinking section is open while it streams');
  }
  await screenshot(page, `thinking-${theme}-streaming`);
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 30_000 });
  await waitUntil('the label says how long and how many tokens', async () => /^Thought for \d+s · [\d.]+k? tokens$/.test((await section.locator('.thinking-label').textContent()) ?? ''));
  if ((await answer.locator('[data-testid="thinking"]').count()) !== 1) {
    await fail(page, `thinking-${theme}`, 'the answer shows more than one thinking section once done');
  }
  // Collapsed above the answer: the answer's text is visible right under one line.
  const [sectionBox, bodyBox] = await Promise.all([section.boundingBox(), answer.locator('.md').first().boundingBox()]);
  if (!sectionBox || !bodyBox || sectionBox.y >= bodyBox.y || sectionBox.height > 40) {
    await fail(page, `thinking-${theme}`, `the collapsed section is not one line above the answer (${JSON.stringify({ sectionBox, bodyBox })})`);
  }
  await screenshot(page, `thinking-${theme}-collapsed`);
  await section.locator('[data-testid="thinking-toggle"]').click();
  await section.locator('[data-testid="thinking-body"]').waitFor({ state: 'visible' });
  const shown = (await section.locator('[data-testid="thinking-body"]').textContent()) ?? '';
  if (!shown.startsWith('First, find where the totals are rounded.')) {
    await fail(page, `thinking-${theme}`, `the opened section shows "${shown.slice(0, 80)}"`);
  }
  await screenshot(page, `thinking-${theme}-expanded`);
  await section.locator('[data-testid="thinking-toggle"]').click();
}

test('thinking streams into a collapsed "Thinking…" line above the answer, then says how long and how many tokens, in light and dark', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  try {
    for (const theme of ['Default Light Modern', 'Default Dark Modern']) {
      await selectTheme(page, theme);
      await thinkingAnswer(page, frame, theme.includes('Light') ? 'light' : 'dark');
    }
  } finally {
    await selectTheme(page, 'Default Light Modern');
  }
});

test('the effort switch beside the mode writes marathon.effort from the next message and says once that the cache is lost', async (page) => {
  const frame = await openChat(page);
  const select = frame.locator('[data-testid="effort-select"]');
  await select.waitFor();
  const options = await select.locator('option').evaluateAll((elements) => elements.map((option) => (option as unknown as { value: string }).value));
  if (options[0] !== 'default' || !options.includes('high')) {
    await fail(page, 'effort', `the switch offers ${options.join(', ')}`);
  }
  // The conversation has an answer (the test before), so a change costs the prompt cache: said once.
  if ((await frame.locator('[data-testid="msg-assistant"]').count()) === 0) {
    await emulator('script', { replies: [{ text: 'Hello.' }] });
    await sendPrompt(frame, 'Hello');
    await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  }
  const cacheNotice = frame.locator('.notice', { hasText: 'without the prompt cache once' });
  try {
    await select.selectOption('low');
    await waitUntil('marathon.effort is low', async () => userSettings()['marathon.effort'] === 'low');
    await cacheNotice.first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'thinking-effort-switch');
    await cacheNotice.locator('button').first().click();
    await select.selectOption('max');
    await waitUntil('marathon.effort is max', async () => userSettings()['marathon.effort'] === 'max');
    await page.waitForTimeout(1000);
    if ((await cacheNotice.count()) !== 0) {
      await fail(page, 'effort', 'the cache notice came a second time in the same conversation');
    }
  } finally {
    await select.selectOption('default');
    await waitUntil('marathon.effort is back to default', async () => (userSettings()['marathon.effort'] ?? 'default') === 'default');
  }
});
