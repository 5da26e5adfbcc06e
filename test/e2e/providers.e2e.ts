// A user chooses Amazon Bedrock with Marathon: Select Provider, signed in with the AWS test credentials
// of the environment, and chats through a compaction; the header shows provider and region, and Compact
// Now is drawn unavailable with Bedrock's reason. The test restores every setting it touched and leaves
// a fresh conversation on the Anthropic API, so the tests after it run as if it had never run.
import * as fs from 'node:fs';
import type { Frame, Page } from 'playwright-core';
import { chatFrame, emulator, newConversation, openChat, runCommand, runFromPalette, screenshot, sendAndWait, test, userSettingsFile, waitUntil } from './harness';

const REGION = 'us-east-1';

/** The user settings file as it was, or undefined when there was none. */
function readSettingsText(): string | undefined {
  return fs.existsSync(userSettingsFile()) ? fs.readFileSync(userSettingsFile(), 'utf8') : undefined;
}

/** Waits for the walkthrough step titled "(step/total)". */
async function stepTitled(page: Page, step: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-title', { hasText: `Select Provider (${step})` }).first().waitFor({ timeout: 15_000 });
}

async function pick(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

/** Accepts the next input box of the walkthrough, after checking its prompt (and typing `value`). */
async function accept(page: Page, prompt: RegExp, value?: string): Promise<void> {
  await page.locator('.quick-input-widget .quick-input-message', { hasText: prompt }).first().waitFor({ timeout: 10_000 });
  if (value !== undefined) {
    await page.locator('.quick-input-widget input').fill(value);
  }
  await page.keyboard.press('Enter');
}

async function badgeText(frame: Frame): Promise<string> {
  const badge = frame.locator('[data-testid="provider-badge"]');
  return (await badge.isVisible()) ? (await badge.innerText()).trim() : '';
}

/** Walks Select Provider back to the Anthropic API, as a user would; the badge then leaves the header. */
async function backToAnthropic(page: Page, frame: Frame): Promise<void> {
  await runCommand(page, 'Marathon: Select Provider');
  await stepTitled(page, '1/5');
  await pick(page, 'Anthropic API');
  await stepTitled(page, '2/2');
  await accept(page, /Model/);
  await waitUntil('the header is back on the Anthropic API', async () => (await badgeText(frame)) === '', 20_000);
}

test('a user selects Amazon Bedrock with AWS credentials and chats through a compaction', async (page) => {
  const original = readSettingsText();
  let frame: Frame | undefined;
  let passed = false;
  try {
    frame = await openChat(page);
    await newConversation(frame);
    await runCommand(page, 'Marathon: Select Provider');
    await stepTitled(page, '1/5');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Amazon Bedrock' }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'providers-1-select-provider');
    await pick(page, 'Amazon Bedrock');
    await stepTitled(page, '2/5');
    await pick(page, 'AWS credentials');
    await stepTitled(page, '3/5');
    await accept(page, /AWS profile/);
    await stepTitled(page, '4/5');
    await accept(page, /AWS region/, REGION);
    await stepTitled(page, '5/5');
    await screenshot(page, 'providers-2-model-step');
    await accept(page, /Model/);
    await page.locator('.notification-toast', { hasText: `Connected to Amazon Bedrock (${REGION})` }).first().waitFor({ timeout: 30_000 });
    await screenshot(page, 'providers-3-connected');

    const chat = frame;
    await waitUntil('the header shows Bedrock and its region', async () => (await badgeText(chat)) === `Bedrock · ${REGION}`, 20_000);
    const compact = frame.locator('[data-testid="compact-now"]');
    await waitUntil('Compact Now is drawn unavailable', async () => (await compact.getAttribute('aria-disabled')) === 'true', 20_000);
    const reason = (await compact.getAttribute('title')) ?? '';
    if (!/Amazon Bedrock does not offer on-demand compaction/.test(reason)) {
      throw new Error(`Compact Now gives no reason: "${reason}"`);
    }

    // Long questions (the emulator counts each token 70 times) pass the default trigger by the seventh turn.
    await emulator('reset', {});
    await emulator('config', { tokenMultiplier: 70 });
    for (let turn = 1; turn <= 10 && (await frame.locator('[data-testid="compaction-toggle"]').count()) === 0; turn++) {
      await sendAndWait(frame, `Question ${turn} for Bedrock: ${'how does the parser handle this case? '.repeat(20)}`);
    }
    await frame.locator('[data-testid="compaction-toggle"]').last().waitFor({ timeout: 20_000 });
    const { requests } = (await emulator('requests')) as { requests: Array<{ path: string; auth?: string; status: number | null }> };
    const turns = requests.filter((request) => !request.path.includes('count'));
    // With a 64,000-token answer room, a context between the window less that room and the trigger is
    // refused as too long; Marathon compacts and sends again, so a refusal is always followed by an accepted request.
    const recovered = turns.every((request, index) => request.status === 200 || (request.status === 400 && turns[index + 1]?.status === 200));
    if (turns.length === 0 || !recovered || !turns.every((request) => request.path.startsWith('/model/') && request.auth?.startsWith(`sigv4:AKIAMARATHONTEST0001:${REGION}`))) {
      throw new Error(`every turn went to Bedrock, signed with SigV4, and was accepted or recovered: ${JSON.stringify(turns.map((request) => [request.path, request.auth, request.status]))}`);
    }
    await frame.locator('[data-testid="compaction-toggle"]').last().scrollIntoViewIfNeeded();
    await screenshot(page, 'providers-4-bedrock-compacted');
    await runFromPalette(page, 'Notifications: Clear All Notifications');
    const before = turns.length;
    // Drawn unavailable, yet focusable: the keyboard reaches it and it says why instead of compacting.
    await compact.focus();
    await compact.press('Enter');
    await frame.getByText(/Amazon Bedrock does not offer on-demand compaction/).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'providers-5-compact-now-unavailable');
    const after = ((await emulator('requests')) as { requests: unknown[] }).requests.length;
    if (after !== before) {
      throw new Error('Compact Now sent a request on Bedrock');
    }
    passed = true;
  } finally {
    // Back on the Anthropic API through Select Provider itself, the emulator back to normal, no widget or
    // toast left open, a fresh conversation; then the settings file as it was (dropping the Bedrock keys).
    await emulator('config', { tokenMultiplier: 1 });
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Escape');
    }
    const chat = frame ?? (await chatFrame(page).catch(() => undefined));
    const restored = chat
      ? await backToAnthropic(page, chat)
          .then(() => newConversation(chat))
          .then(
            () => undefined,
            (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
          )
      : new Error('the chat view is gone');
    await runFromPalette(page, 'Notifications: Clear All Notifications').catch(() => undefined);
    if (original !== undefined) {
      fs.writeFileSync(userSettingsFile(), original);
    }
    // A failed restore fails the test (unless it failed already, whose error says more).
    if (passed && restored) {
      // eslint-disable-next-line no-unsafe-finally -- only when the test itself passed
      throw restored;
    }
  }
});
