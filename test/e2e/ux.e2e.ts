// What a newcomer meets first, end to end: Apply on a unified diff, attachments across hide/show and
// reload, the demo's scenes, and the chat in the sidebar at its default width.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { e2eFolder, emulator, newConversation, openChat, openFile, runCommand, runFromPalette, screenshot, sendAndWait, test, userSettingsFile, waitUntil } from './harness';

const lastAnswer = (frame: Frame) => frame.locator('[data-testid="msg-assistant"]').last();

async function fail(message: string): Promise<never> {
  throw new Error(message);
}

/** The text of the modified (right) side of the open diff editor (Monaco renders spaces as no-break spaces). */
async function diffModifiedText(page: Page): Promise<string> {
  return (await page.locator('.monaco-diff-editor .editor.modified .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
}

test('Apply on a ```diff block applies the patch: the diff editor shows the patched file, Apply writes it, a stale diff is refused', async (page) => {
  const file = path.join(e2eFolder, 'src', 'inventory.ts');
  const original = fs.readFileSync(file, 'utf8');
  const patched = original.replace('threshold = 5', 'threshold = 10');
  const diff = [
    '--- a/src/inventory.ts',
    '+++ b/src/inventory.ts',
    '@@ -11,3 +11,3 @@',
    '-export function lowStock(items: Item[], threshold = 5): Item[] {',
    '+export function lowStock(items: Item[], threshold = 10): Item[] {',
    '   return items.filter((item) => item.quantity < threshold);',
    ' }',
  ].join('\n');
  await runCommand(page, 'View: Close All Editors');
  await openFile(page, 'inventory.ts');
  const frame = await openChat(page);
  await newConversation(frame);
  await emulator('script', {
    replies: [
      { text: 'Raise the threshold:\n\n```diff\n' + diff + '\n```\n' },
      { text: 'Against an older file:\n\n```diff\n' + diff.replace('threshold = 5', 'threshold = 7') + '\n```\n' },
    ],
  });
  await sendAndWait(frame, 'Raise the low-stock threshold as a diff');
  await lastAnswer(frame).locator('[data-testid="code-apply"]').click();
  const diffTab = page.locator('.tabs-container .tab', { hasText: 'proposed change' });
  await diffTab.waitFor({ timeout: 15_000 });
  await page.locator('.monaco-diff-editor').first().waitFor();
  await waitUntil('the diff editor shows the patched file', async () => (await diffModifiedText(page)).includes('threshold = 10'));
  const shown = await diffModifiedText(page);
  if (shown.includes('@@') || shown.includes('+++ b/')) {
    await fail('the proposal shows the diff text instead of the patched file');
  }
  if (fs.readFileSync(file, 'utf8') !== original) {
    await fail('the file changed before the user accepted');
  }
  await screenshot(page, 'ux-apply-diff-patch');
  await page.locator('.editor-actions .action-label[aria-label^="Apply Proposed Change"]').first().click();
  await waitUntil('the patched file is written to disk', async () => fs.readFileSync(file, 'utf8') === patched);
  await diffTab.waitFor({ state: 'detached', timeout: 10_000 });

  // The same diff no longer matches (the line now reads 10): refused with a message, nothing opens.
  await sendAndWait(frame, 'And against the old file?');
  await runFromPalette(page, 'Notifications: Clear All Notifications');
  await lastAnswer(frame).locator('[data-testid="code-apply"]').click();
  await page.locator('.notification-toast', { hasText: 'does not match src/inventory.ts' }).first().waitFor({ timeout: 15_000 });
  await screenshot(page, 'ux-apply-diff-refused');
  if ((await diffTab.count()) > 0) {
    await fail('a diff that does not match opened a proposal');
  }
  fs.writeFileSync(file, original);
  await runFromPalette(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'View: Close All Editors');
});

/** Opens the Settings UI at one setting; returns its item (found by a phrase of its description). */
async function settingItem(page: Page, key: string, description: string): Promise<Locator> {
  await runCommand(page, 'View: Close All Editors');
  await runCommand(page, 'Preferences: Open User Settings');
  const search = page.locator('.settings-editor .settings-header .suggest-input-container textarea, .settings-editor .settings-header input').first();
  await search.waitFor({ timeout: 15_000 });
  // The search box is a Monaco input: select what it holds, then type over it.
  await search.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type(key);
  const item = page.locator('.settings-editor .setting-item-contents', { hasText: description }).first();
  await item.waitFor({ timeout: 15_000 });
  await page.waitForTimeout(500);
  return item;
}

async function settingInput(page: Page, key: string, description: string): Promise<Locator> {
  return (await settingItem(page, key, description)).locator('input').first();
}

test('the Settings UI shows no error for the empty default API base URL and checks a typed one', async (page) => {
  const item = await settingItem(page, 'marathon.apiBaseUrl', 'Base URL of the Messages API');
  const validation = item.locator('.setting-item-validation-message');
  const shownError = async () => ((await validation.isVisible().catch(() => false)) ? (await validation.innerText()).trim() : '');
  if ((await shownError()) !== '') {
    await fail(`the empty default shows an error: "${await shownError()}"`);
  }
  await screenshot(page, 'ux-settings-api-base-url');
  const input = item.locator('input').first();
  await input.fill('not a url');
  await waitUntil('a typed value that is no URL gets a clear message', async () => (await shownError()).includes('http:// or https:// URL'));
  await input.fill('');
  await waitUntil('clearing it again leaves no error', async () => (await shownError()) === '');

  // Each option's description (enumDescriptions) is checked on the manifest by the unit tests.
  await runCommand(page, 'View: Close All Editors');
});

/** Plays one demo scene from the empty state of a new conversation. */
async function playScene(frame: Frame, id: string, fresh = true): Promise<void> {
  // A second New Conversation right after the first could send before the view shows it.
  if (fresh) {
    await newConversation(frame);
  }
  await frame.locator('[data-testid="demo-scenes"]').waitFor({ timeout: 10_000 });
  await frame.locator(`[data-testid="demo-scene-${id}"]`).click();
}

const card = (frame: Frame, tool: string, status: string) => frame.locator(`[data-testid="tool-card"][data-tool="${tool}"][data-status="${status}"]`).last();

test('the demo backend plays its scenes from the empty state: a code answer to Apply, a compaction, an agent run, a fix as a diff', async (page) => {
  const file = path.join(e2eFolder, 'src', 'inventory.ts');
  const original = fs.readFileSync(file, 'utf8');
  await runCommand(page, 'View: Close All Editors');
  await emulator('reset', {});
  const frame = await openChat(page);
  await newConversation(frame);
  if ((await frame.locator('[data-testid^="demo-scene-"]').count()) !== 4) {
    await fail('the empty state does not offer the four demo scenes');
  }
  await screenshot(page, 'ux-demo-empty-state');
  const diffTab = page.locator('.tabs-container .tab', { hasText: 'proposed change' });

  // A code answer with Apply (the conversation opened above is still empty).
  await playScene(frame, 'code', false);
  await lastAnswer(frame).locator('[data-testid="code-apply"]').first().waitFor({ timeout: 20_000 });
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  await lastAnswer(frame).locator('[data-testid="code-apply"]').first().click();
  await diffTab.waitFor({ timeout: 15_000 });
  await waitUntil('the proposal adds totalQuantity', async () => (await diffModifiedText(page)).includes('totalQuantity'));
  await screenshot(page, 'ux-demo-scene-code');
  await page.locator('.editor-actions .action-label[aria-label^="Discard Proposed Change"]').first().click();
  await diffTab.waitFor({ state: 'detached', timeout: 10_000 });

  // A compaction: the answer, then Compact Now on its own.
  await playScene(frame, 'compaction');
  await frame.locator('[data-testid="msg-compaction"]').first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'ux-demo-scene-compaction');

  // An agent run: the edit and the command each wait for approval.
  await playScene(frame, 'agent');
  const edit = card(frame, 'edit_file', 'awaitingApproval');
  await edit.waitFor({ timeout: 20_000 });
  await screenshot(page, 'ux-demo-scene-agent-edit');
  await edit.locator('[data-testid="tool-approve"]').click();
  await waitUntil('the approved edit is written', async () => fs.readFileSync(file, 'utf8').includes('threshold = 10'));
  const command = card(frame, 'run_command', 'awaitingApproval');
  await command.waitFor({ timeout: 20_000 });
  await screenshot(page, 'ux-demo-scene-agent-command');
  await command.locator('[data-testid="tool-approve"]').click();
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]', { hasText: 'Finished' }).waitFor({ timeout: 20_000 });
  await screenshot(page, 'ux-demo-scene-agent-done');
  // Demo answers are labelled as the demo backend, and later steps of the run repeat no header name.
  // A string: the test build has no DOM typings.
  const names = await frame.evaluate<string[]>(
    `Array.from(document.querySelectorAll('[data-testid="msg-assistant"] .msg-head .msg-who')).filter((e) => e.offsetParent !== null).map((e) => e.textContent)`,
  );
  if (names.includes('Claude') || !names.includes('Demo backend')) {
    await fail(`the demo's answers are headed ${JSON.stringify(names)}`);
  }
  const stepCount = await frame.locator('[data-testid="msg-assistant"]').count();
  if (names.length >= stepCount) {
    await fail(`each of the ${stepCount} agent steps repeats a header name: ${JSON.stringify(names)}`);
  }
  await frame.locator('[data-testid="mode-toggle"]').selectOption('ask');
  fs.writeFileSync(file, original);
  await runCommand(page, 'View: Close All Editors');

  // A fix as a diff, applied as a patch.
  await openFile(page, 'inventory.ts');
  await playScene(frame, 'fix');
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  await lastAnswer(frame).locator('[data-testid="code-apply"]').first().click();
  await diffTab.waitFor({ timeout: 15_000 });
  await waitUntil('the patched file is shown', async () => (await diffModifiedText(page)).includes('item.quantity <= threshold'));
  await screenshot(page, 'ux-demo-scene-fix');
  await page.locator('.editor-actions .action-label[aria-label^="Discard Proposed Change"]').first().click();
  await runFromPalette(page, 'Notifications: Clear All Notifications');
  await runCommand(page, 'View: Close All Editors');
});

/** The meter's figures as the view shows them: the short line and the exact details. */
async function meterReading(frame: Frame): Promise<string> {
  const meter = frame.locator('[data-testid="meter"]');
  return `${await meter.locator('.meter-row').innerText()}\n${(await meter.getAttribute('title')) ?? ''}`;
}

test('the meter shows the same figures after switching away and back, follows a new trigger at once, and a "no problems" notice leaves when a problem appears', async (page) => {
  // Written first, so that Quick Open has found it by the time it is opened.
  const file = path.join(e2eFolder, 'notice-check.json');
  fs.writeFileSync(file, '{\n  "fine": true\n}\n');
  const frame = await openChat(page);
  await newConversation(frame);
  await sendAndWait(frame, 'Meter check: the pelican inventory, part one.');
  await sendAndWait(frame, 'Meter check: part two.');
  await frame.locator('[data-testid="compact-now"]').click();
  const marker = frame.locator('[data-testid="msg-compaction"]').last();
  await marker.waitFor({ timeout: 20_000 });
  // The marker's "→ N tokens" is what the meter shows right after it (the summary and what stays).
  const line = await marker.locator('.compaction-line').innerText();
  const after = /→ ([\d.,]+k?) tokens/.exec(line)?.[1];
  const shown = (await frame.locator('.meter-context').innerText()).split(' / ')[0];
  if (after === undefined || after !== shown) {
    await fail(`the marker says "→ ${after ?? '?'} tokens" but the meter shows ${shown ?? '?'}`);
  }
  const before = await meterReading(frame);
  await newConversation(frame);
  await frame.locator('[data-testid="history-toggle"]').click();
  await frame.locator('.history-search').fill('');
  await frame.locator('[data-testid="history-list"] .history-open', { hasText: 'Meter check: the pelican' }).first().click();
  await waitUntil('the conversation is open again', async () => (await frame.locator('[data-testid="title"]').innerText()).includes('Meter check'));
  await waitUntil('the meter shows what it showed before', async () => (await meterReading(frame)) === before, 10_000).catch(async () =>
    fail(`the meter changed on switching back:\n  before: ${before.replace(/\n/g, ' | ')}\n  after:  ${(await meterReading(frame)).replace(/\n/g, ' | ')}`),
  );

  // A new trigger, typed in the Settings UI, shows on the meter at once, before any turn.
  const originalSettings = fs.readFileSync(userSettingsFile(), 'utf8');
  const trigger = await settingInput(page, 'marathon.compaction.triggerTokens', 'Input tokens at which the server compacts');
  try {
    await trigger.fill('61000');
    await waitUntil('the meter shows the new trigger', async () => (await frame.locator('.meter-context').innerText()).endsWith('/ 61k'));
  } finally {
    await trigger.fill('150000');
    await runCommand(page, 'View: Close All Editors');
    fs.writeFileSync(userSettingsFile(), originalSettings);
  }
  await waitUntil('the meter shows the trigger from before', async () => (await frame.locator('.meter-context').innerText()).endsWith('/ 150k'));

  // "There are no problems in the workspace" leaves once a file has one (with every editor closed, no
  // language server reports any).
  try {
    const prompt = frame.locator('[data-testid="prompt"]');
    await prompt.click();
    await prompt.pressSequentially('@Problems', { delay: 20 });
    await frame.locator('[data-testid="picker-item"][aria-selected="true"]', { hasText: 'none in the workspace' }).waitFor({ timeout: 15_000 });
    await prompt.press('Enter');
    const notice = frame.locator('[data-testid="attach-problem"]', { hasText: 'There are no problems in the workspace' });
    await notice.waitFor({ timeout: 10_000 });
    fs.writeFileSync(file, '{\n  "fine": true,\n}\n');
    await openFile(page, 'notice-check.json');
    await page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').first().waitFor({ timeout: 30_000 });
    await notice.waitFor({ state: 'hidden', timeout: 10_000 }).catch(() => fail('the "no problems" notice stayed after a problem appeared'));
    await prompt.fill('');
  } finally {
    await runCommand(page, 'View: Close All Editors');
    fs.rmSync(file, { force: true });
  }
});
