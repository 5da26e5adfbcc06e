// Workspace context in the real UI: the @ picker, attachment chips, and Fix with Marathon from the
// lightbulb. Screenshots: test-results/context-*.png.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { emulator, newConversation, openChat, runFromPalette, screenshot, test } from './harness';

const folder = process.env.MARATHON_E2E_FOLDER ?? '';

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

async function waitForNewAnswer(frame: Frame, before: string | null): Promise<void> {
  const finished = frame.locator('[data-testid="msg-assistant"][data-status="done"]');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const count = await finished.count();
    const id = count > 0 ? await finished.last().getAttribute('data-id') : null;
    if (id !== null && id !== before) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error('no new answer within 30 s');
    }
    await frame.waitForTimeout(100);
  }
}

async function lastAnswerId(frame: Frame): Promise<string | null> {
  const finished = frame.locator('[data-testid="msg-assistant"][data-status="done"]');
  return (await finished.count()) > 0 ? finished.last().getAttribute('data-id') : null;
}

async function quickOpen(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.tabs-container .tab[aria-label*="${name}"]`).first().waitFor({ timeout: 15_000 });
}

test('the @ picker attaches a file as a chip, and the message sends its text', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  const prompt = frame.locator('[data-testid="prompt"]');
  await prompt.click();
  // Typed key by key, as a person would: `@` opens the picker and each key narrows it.
  await prompt.pressSequentially('Summarize @', { delay: 20 });
  const picker = frame.locator('[data-testid="picker"]');
  await picker.waitFor({ state: 'visible', timeout: 10_000 });
  // An empty query offers every kind of context first.
  for (const kind of ['Problems', 'Terminal', 'Git changes']) {
    await frame.locator('[data-testid="picker-item"]', { hasText: kind }).first().waitFor({ timeout: 10_000 });
  }
  await screenshot(page, 'context-00-picker-kinds');
  await prompt.pressSequentially('invent', { delay: 20 });
  const active = frame.locator('[data-testid="picker-item"][aria-selected="true"]', { hasText: 'inventory.ts' });
  await active.waitFor({ timeout: 15_000 });
  await screenshot(page, 'context-01-picker');
  await prompt.press('Enter');
  const chip = frame.locator('[data-testid="chip"]', { hasText: 'src/inventory.ts' });
  await chip.waitFor({ timeout: 10_000 });
  if (await picker.isVisible()) {
    throw new Error('the picker stayed open after picking');
  }
  const typed = await prompt.inputValue();
  if (typed !== 'Summarize ') {
    throw new Error(`the @ text should leave the prompt, found "${typed}"`);
  }
  if (!/~\d/.test(await chip.innerText())) {
    throw new Error(`the chip shows no token estimate: ${await chip.innerText()}`);
  }
  // Pin it: the pin toggle reports its state.
  await chip.locator('[data-testid="chip-pin"]').click();
  await frame.locator('[data-testid="chip"] [data-testid="chip-pin"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
  // A second attachment from the keyboard only: @, arrows, Enter.
  await prompt.pressSequentially('@READ', { delay: 20 });
  await frame.locator('[data-testid="picker-item"][aria-selected="true"]', { hasText: 'README.md' }).waitFor({ timeout: 15_000 });
  await prompt.press('Enter');
  await frame.locator('[data-testid="chip"]', { hasText: 'README.md' }).waitFor({ timeout: 10_000 });
  await prompt.pressSequentially('the inventory module in two sentences.', { delay: 5 });
  await screenshot(page, 'context-02-chips');
  // Remove the README again; the inventory stays.
  await frame.locator('[data-testid="chip"]', { hasText: 'README.md' }).locator('[data-testid="chip-remove"]').click();
  await frame.locator('[data-testid="chip"]', { hasText: 'README.md' }).waitFor({ state: 'detached', timeout: 10_000 });
  const before = await lastAnswerId(frame);
  await prompt.press('Enter');
  await waitForNewAnswer(frame, before);
  const blocks = await lastUserBlocks();
  const source = fs.readFileSync(path.join(folder, 'src', 'inventory.ts'), 'utf8');
  const fileBlock = blocks.find((block) => block.startsWith('<file path="src/inventory.ts"'));
  if (!fileBlock || !fileBlock.includes(source.trim().split('\n')[0]!)) {
    throw new Error(`the emulator did not receive the file: ${JSON.stringify(blocks.map((block) => block.slice(0, 80)))}`);
  }
  if (blocks.some((block) => block.includes('README.md'))) {
    throw new Error('a removed attachment was sent');
  }
  if (blocks.at(-1) !== 'Summarize the inventory module in two sentences.') {
    throw new Error(`unexpected typed text: ${blocks.at(-1)}`);
  }
  // The message shows what was attached; the pinned file stays above the prompt for this conversation.
  await frame.locator('[data-testid="msg-user"]', { hasText: 'src/inventory.ts' }).last().waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="chip"][data-pending="false"]', { hasText: 'src/inventory.ts' }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'context-03-sent');
  // Unpin, so later tests start clean.
  await frame.locator('[data-testid="chip"] [data-testid="chip-remove"]').first().click();
  await frame.locator('[data-testid="chip"]').first().waitFor({ state: 'detached', timeout: 10_000 });
});

test('Fix with Marathon from the lightbulb sends the problem and the chat answers', async (page) => {
  fs.writeFileSync(path.join(folder, 'broken.json'), '{\n  "name": "marathon",\n  "version": 1,\n}\n');
  const frame = await openChat(page);
  await newConversation(frame);
  await quickOpen(page, 'broken.json');
  await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 30_000 });
  // Keyboard only: F8 goes to the problem, Escape closes its peek, Ctrl+. opens the quick fixes.
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('F8');
  await page.waitForTimeout(300);
  await page.keyboard.press('Escape');
  const before = await lastAnswerId(frame);
  const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Fix with Marathon' }).first();
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+.');
    try {
      await fix.waitFor({ timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt >= 3) {
        throw error;
      }
      await page.keyboard.press('Escape');
    }
  }
  await screenshot(page, 'context-04-lightbulb');
  // The menu is keyboard-driven (a click-blocking layer covers it): move to the action, then Enter.
  for (let step = 0; step < 10 && !((await fix.getAttribute('class')) ?? '').includes('focused'); step++) {
    await page.keyboard.press('ArrowDown');
  }
  await page.keyboard.press('Enter');
  await frame.locator('[data-testid="msg-user"]', { hasText: 'Fix this problem in broken.json' }).waitFor({ timeout: 20_000 });
  await waitForNewAnswer(frame, before);
  const blocks = await lastUserBlocks();
  if (!blocks.some((block) => block.startsWith('<problems scope="broken.json"') && block.includes('severity="error"'))) {
    throw new Error(`the problem was not sent: ${JSON.stringify(blocks.map((block) => block.slice(0, 120)))}`);
  }
  await screenshot(page, 'context-05-fix-answer');
  await runFromPalette(page, 'View: Close All Editors');
});

test("the editor's context menu shows one Marathon submenu with Add File to Chat, Add Selection to Chat and Explain Selection, and its items run", async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await quickOpen(page, 'inventory.ts');
  // Select the first line, then right-click on the selection (a click elsewhere would move the cursor).
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('Shift+End');
  const selected = page.locator('.monaco-editor .selected-text').first();
  await selected.waitFor({ timeout: 10_000 });
  const box = await selected.boundingBox();
  if (box === null) {
    throw new Error('the selection is not drawn');
  }
  await page.mouse.click(box.x + Math.min(20, box.width / 2), box.y + box.height / 2, { button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ timeout: 10_000 });
  const topLevel = (await menu.locator('.action-label').allInnerTexts()).map((label) => label.trim());
  const ours = ['Add File to Chat', 'Add Selection to Chat', 'Explain Selection'];
  if (!topLevel.includes('Marathon') || ours.some((label) => topLevel.includes(label))) {
    throw new Error(`the context menu shows ${JSON.stringify(topLevel)}`);
  }
  await menu.locator('.action-label', { hasText: /^Marathon$/ }).hover();
  const submenu = page.locator('.context-view .monaco-submenu .monaco-menu').first();
  await submenu.waitFor({ timeout: 10_000 });
  const inside = (await submenu.locator('.action-label').allInnerTexts()).map((label) => label.trim()).filter((label) => label !== '');
  if (JSON.stringify(inside) !== JSON.stringify(ours)) {
    throw new Error(`the Marathon submenu shows ${JSON.stringify(inside)}`);
  }
  await screenshot(page, 'context-06-editor-submenu');
  await submenu.locator('.action-label', { hasText: 'Add Selection to Chat' }).click();
  const chip = frame.locator('[data-testid="chip"][data-kind="selection"]');
  await chip.waitFor({ timeout: 10_000 });
  await chip.locator('[data-testid="chip-remove"]').click();
  await chip.waitFor({ state: 'detached', timeout: 10_000 });
  await runFromPalette(page, 'View: Close All Editors');
});
