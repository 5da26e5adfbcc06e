// Attachment chips across the view's life: hidden and shown again, and the window reloaded, the chips
// and pins above the prompt are still there, and the message carries exactly them. Screenshots:
// test-results/chips-*.png.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { e2eFolder, emulator, newConversation, openChat, reloadWindow, screenshot, screenshotSidebar, selectTheme, test, waitUntil } from './harness';

interface RecordedRequest {
  path: string;
  body: { messages?: Array<{ role: string; content: Array<{ type: string; text?: string }> }> };
}

/** The text blocks of the user message in the newest Messages request the emulator received. */
async function lastUserBlocks(): Promise<string[]> {
  const { requests } = (await emulator('requests')) as { requests: RecordedRequest[] };
  const last = requests.filter((request) => request.path.startsWith('/v1/messages') && !request.path.includes('count_tokens')).at(-1);
  const user = [...(last?.body.messages ?? [])].reverse().find((message) => message.role === 'user');
  return (user?.content ?? []).map((block) => block.text ?? '');
}

/** Attaches through the @ picker: `item` is the picker row's text, `label` the chip's. */
async function attach(frame: Frame, query: string, item: string, label: string): Promise<void> {
  const prompt = frame.locator('[data-testid="prompt"]');
  await prompt.click();
  await prompt.press('End');
  await prompt.pressSequentially(`${(await prompt.inputValue()) === '' ? '' : ' '}@${query}`, { delay: 20 });
  await frame.locator('[data-testid="picker-item"][aria-selected="true"]', { hasText: item }).waitFor({ timeout: 15_000 });
  await prompt.press('Enter');
  await frame.locator('[data-testid="chip"]', { hasText: label }).waitFor({ timeout: 10_000 });
}

/** The chips above the prompt as "label|pending|pinned", in order. */
async function shownChips(frame: Frame): Promise<string[]> {
  const chips = frame.locator('[data-testid="chip"]');
  const shown: string[] = [];
  for (let i = 0; i < (await chips.count()); i++) {
    const chip = chips.nth(i);
    const label = await chip.locator('.chip-label').innerText();
    const pinned = (await chip.locator('[data-testid="chip-pin"]').getAttribute('aria-pressed').catch(() => null)) === 'true';
    shown.push(`${label}|${(await chip.getAttribute('data-pending')) ?? '?'}|${pinned ? 'pinned' : 'unpinned'}`);
  }
  return shown;
}

async function expectChips(frame: Frame, expected: string[], when: string): Promise<void> {
  try {
    await waitUntil(`the chips are ${expected.join(', ')}`, async () => JSON.stringify(await shownChips(frame)) === JSON.stringify(expected), 10_000);
  } catch {
    throw new Error(`after ${when} the chips are ${JSON.stringify(await shownChips(frame))}, expected ${JSON.stringify(expected)}`);
  }
}

async function hideAndShow(page: Page): Promise<Frame> {
  await page.locator('.activitybar .action-item a.action-label[aria-label^="Explorer"]').click();
  await page.locator('.explorer-folders-view').first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(800);
  return openChat(page);
}

test('chips and pins above the prompt survive hiding the view and reloading the window, and the message sends exactly them', async (page) => {
  let frame = await openChat(page);
  await newConversation(frame);
  await attach(frame, 'invent', 'inventory.ts', 'src/inventory.ts');
  await frame.locator('[data-testid="chip"]', { hasText: 'src/inventory.ts' }).locator('[data-testid="chip-pin"]').click();
  await frame.locator('[data-testid="chip"] [data-testid="chip-pin"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
  await attach(frame, 'READ', 'README.md', 'README.md');
  const prompt = frame.locator('[data-testid="prompt"]');
  await prompt.fill('Compare these two files in one sentence.');
  const expected = ['src/inventory.ts|true|pinned', 'README.md|true|unpinned'];
  await expectChips(frame, expected, 'attaching');

  // Hide: show the Explorer instead, then come back. The page is rebuilt; the host shows the chips again.
  frame = await hideAndShow(page);
  await expectChips(frame, expected, 'hiding and showing the view');
  await screenshot(page, 'chips-after-hide-show');

  // Reload the window: a new extension host, which finds the pending attachments in the workspace state.
  await page.waitForTimeout(500);
  await reloadWindow(page);
  frame = await openChat(page);
  await expectChips(frame, expected, 'reloading the window');
  await screenshot(page, 'chips-after-reload');

  // What is sent is what is shown: both files, and the pin stays for the next compaction.
  await frame.locator('[data-testid="prompt"]').fill('Compare these two files in one sentence.');
  let finished = frame.locator('[data-testid="msg-assistant"][data-status="done"]');
  const before = (await finished.count()) > 0 ? await finished.last().getAttribute('data-id') : null;
  await frame.locator('[data-testid="prompt"]').press('Enter');
  await waitUntil('a new answer', async () => (await finished.count()) > 0 && (await finished.last().getAttribute('data-id')) !== before, 30_000);
  const blocks = await lastUserBlocks();
  const inventory = fs.readFileSync(path.join(e2eFolder, 'src', 'inventory.ts'), 'utf8').trim().split('\n')[0]!;
  const sentFiles = blocks.filter((block) => block.startsWith('<file path=')).map((block) => /<file path="([^"]+)"/.exec(block)?.[1]);
  if (JSON.stringify(sentFiles) !== JSON.stringify(['src/inventory.ts', 'README.md'])) {
    throw new Error(`the message carried ${JSON.stringify(sentFiles)}, the chips showed src/inventory.ts and README.md`);
  }
  if (!blocks[0]!.includes(inventory)) {
    throw new Error('the inventory block lacks the file text');
  }
  await frame.locator('[data-testid="msg-user"]', { hasText: 'README.md' }).last().waitFor({ timeout: 10_000 });
  await expectChips(frame, ['src/inventory.ts|false|pinned'], 'sending');

  // Nothing waits any more: hiding and showing the view brings back only the pin, and the next message carries no file.
  frame = await hideAndShow(page);
  finished = frame.locator('[data-testid="msg-assistant"][data-status="done"]');
  await expectChips(frame, ['src/inventory.ts|false|pinned'], 'sending, then hiding and showing the view');
  const next = await finished.last().getAttribute('data-id');
  await frame.locator('[data-testid="prompt"]').fill('And now without files.');
  await frame.locator('[data-testid="prompt"]').press('Enter');
  await waitUntil('a second answer', async () => (await finished.last().getAttribute('data-id')) !== next, 30_000);
  if ((await lastUserBlocks()).some((block) => block.startsWith('<file path='))) {
    throw new Error('a message sent with no pending chip carried a file');
  }
  // Unpin, so later tests start clean.
  await frame.locator('[data-testid="chip"] [data-testid="chip-remove"]').first().click();
  await frame.locator('[data-testid="chip"]').first().waitFor({ state: 'detached', timeout: 10_000 });
});

/** How a chip is drawn: its border and fill, its pin's icon and state. */
interface ChipLook {
  border: string;
  borderStyle: string;
  background: string;
  pinIcon: string;
  pressed: string | null;
}

async function chipLook(frame: Frame, label: string): Promise<ChipLook> {
  // A string: the test build has no DOM typings.
  return frame.evaluate<ChipLook>(`(() => {
    const chip = Array.from(document.querySelectorAll('[data-testid="chip"]')).find((e) => e.querySelector('.chip-label').textContent === ${JSON.stringify(label)});
    const style = getComputedStyle(chip);
    const pin = chip.querySelector('[data-testid="chip-pin"]');
    return {
      border: style.borderTopColor,
      borderStyle: style.borderTopStyle,
      background: style.backgroundColor,
      pinIcon: Array.from(pin.querySelector('.codicon').classList).find((name) => name.startsWith('codicon-') && name !== 'codicon') || '',
      pressed: pin.getAttribute('aria-pressed'),
    };
  })()`);
}

test('pinned chips stand out from unpinned chips in light, dark and high-contrast themes: their own border and fill, a pinned icon, a pressed toggle', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await attach(frame, 'invent', 'inventory.ts', 'src/inventory.ts');
  await attach(frame, 'READ', 'README.md', 'README.md');
  await frame.locator('[data-testid="chip"]', { hasText: 'src/inventory.ts' }).locator('[data-testid="chip-pin"]').click();
  await frame.locator('[data-testid="chip"]', { hasText: 'src/inventory.ts' }).locator('[data-testid="chip-pin"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
  const problems: string[] = [];
  try {
    for (const [theme, name] of [
      ['Default Light Modern', 'light'],
      ['Default Dark Modern', 'dark'],
      ['Default High Contrast', 'high-contrast'],
    ] as const) {
      await selectTheme(page, theme);
      const pinned = await chipLook(frame, 'src/inventory.ts');
      const unpinned = await chipLook(frame, 'README.md');
      await screenshotSidebar(page, `chips-pinned-${name}`);
      // High contrast draws with borders: there a border of another color is enough.
      const apart = name === 'high-contrast' ? pinned.border !== unpinned.border : pinned.border !== unpinned.border && pinned.background !== unpinned.background;
      if (!apart) {
        problems.push(`${theme}: the pinned chip is drawn like the unpinned one (${JSON.stringify(pinned)} and ${JSON.stringify(unpinned)})`);
      }
      if (pinned.pinIcon !== 'codicon-pinned' || unpinned.pinIcon !== 'codicon-pin' || pinned.pressed !== 'true' || unpinned.pressed !== 'false') {
        problems.push(`${theme}: pins ${JSON.stringify(pinned)} and ${JSON.stringify(unpinned)}`);
      }
    }
  } finally {
    await selectTheme(page, 'Default Light Modern');
  }
  if (problems.length > 0) {
    throw new Error(problems.join('; '));
  }
  // Remove both, so later tests start clean (a pinned chip may stay as a pin after its first remove).
  for (const label of ['README.md', 'src/inventory.ts']) {
    const chip = frame.locator('[data-testid="chip"]', { hasText: label });
    for (let tries = 0; tries < 3 && (await chip.count()) > 0; tries++) {
      await chip.locator('[data-testid="chip-remove"]').click();
      await chip.waitFor({ state: 'detached', timeout: 5_000 }).catch(() => undefined);
    }
    if ((await chip.count()) > 0) {
      throw new Error(`the chip ${label} could not be removed`);
    }
  }
});
