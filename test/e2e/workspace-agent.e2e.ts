// Agent mode as a person uses it (named to run after the other specs, whose editors and files it
// leaves as it found them): switch to Agent, watch tool cards, review an edit in the diff
// editor, approve a command, restore the workspace to a message. Screenshots go to test-results/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { emulator, newConversation, openChat, runFromPalette, screenshot, sendPrompt, test } from './harness';

const folder = process.env.MARATHON_E2E_FOLDER ?? '';
const inventory = () => fs.readFileSync(path.join(folder, 'src', 'inventory.ts'), 'utf8');

async function setMode(frame: Frame, mode: 'ask' | 'agent'): Promise<void> {
  await frame.locator('[data-testid="mode-toggle"]').selectOption(mode);
  await frame.locator(`[data-testid="agent-bar"][data-mode="${mode}"]`).waitFor({ timeout: 10_000 });
}

function card(frame: Frame, tool: string, status: string) {
  return frame.locator(`[data-testid="tool-card"][data-tool="${tool}"][data-status="${status}"]`).last();
}

/** Leaves the window as the next spec expects it: Ask mode, no notifications, no editors. */
async function cleanUp(page: Page, frame: Frame): Promise<void> {
  await setMode(frame, 'ask');
  await runFromPalette(page, 'Notifications: Clear All Notifications');
  await runFromPalette(page, 'View: Close All Editors');
}

async function expectationsOk(): Promise<void> {
  const { expectations } = (await emulator('expectations')) as { expectations: Array<{ ok: boolean; message: string }> };
  const failed = expectations.filter((entry) => !entry.ok);
  if (failed.length > 0) {
    throw new Error(`the model got unexpected tool results: ${JSON.stringify(failed)}`);
  }
}

async function waitForFile(page: Page, predicate: (text: string) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!predicate(inventory())) {
    if (Date.now() > deadline) {
      throw new Error(`src/inventory.ts never ${what}`);
    }
    await page.waitForTimeout(100);
  }
}

test('Agent mode: a tool card waits for approval, the edit is reviewed in a diff, the command runs once approved', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await setMode(frame, 'agent');
  const original = inventory();
  await emulator('reset', {});
  await emulator('config', { chunkDelayMs: 10 });
  await emulator('script', {
    replies: [
      { text: 'I will read the inventory module first.', toolUse: [{ id: 'toolu_e2e_read', name: 'read_file', input: { path: 'src/inventory.ts' } }] },
      {
        text: 'The default threshold is 5; raising it to 10.',
        expectToolResult: [{ toolUseId: 'toolu_e2e_read', includes: 'export function lowStock' }],
        toolUse: [{ id: 'toolu_e2e_edit', name: 'edit_file', input: { path: 'src/inventory.ts', old_text: 'threshold = 5', new_text: 'threshold = 10' } }],
      },
      {
        text: 'Checking the file.',
        expectToolResult: [{ toolUseId: 'toolu_e2e_edit', includes: 'Applied the change to src/inventory.ts' }],
        toolUse: [{ id: 'toolu_e2e_cmd', name: 'run_command', input: { command: 'grep -n "threshold = " src/inventory.ts' } }],
      },
      { text: 'Done: `lowStock` now defaults to a threshold of **10**.', expectToolResult: [{ toolUseId: 'toolu_e2e_cmd', includes: 'threshold = 10', isError: false }] },
    ],
  });
  await sendPrompt(frame, 'Raise the default low-stock threshold to 10 and check the file');

  // The read was auto-approved; the edit waits in the diff editor.
  await card(frame, 'read_file', 'done').waitFor({ timeout: 20_000 });
  const edit = card(frame, 'edit_file', 'awaitingApproval');
  await edit.waitFor({ timeout: 20_000 });
  await page.locator('.monaco-diff-editor').first().waitFor({ timeout: 15_000 });
  await page.locator('.tab', { hasText: 'proposed change' }).first().waitFor({ timeout: 10_000 });
  await page.waitForTimeout(600);
  if (!inventory().includes('threshold = 5')) {
    throw new Error('the file changed before the user accepted the edit');
  }
  await screenshot(page, 'agent-diff-review');
  await edit.locator('[data-testid="tool-approve"]').click();
  await waitForFile(page, (text) => text.includes('threshold = 10'), 'received the accepted edit');

  // The command is shown with its working folder and waits.
  const command = card(frame, 'run_command', 'awaitingApproval');
  await command.waitFor({ timeout: 20_000 });
  const cwd = await command.locator('[data-testid="tool-cwd"]').innerText();
  if (!cwd.includes(folder)) {
    throw new Error(`the command's card shows "${cwd}", not the working folder`);
  }
  await page.waitForTimeout(300);
  await screenshot(page, 'agent-tool-awaiting-approval');
  await command.locator('[data-testid="tool-approve"]').click();
  await card(frame, 'run_command', 'done').waitFor({ timeout: 20_000 });
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]', { hasText: 'now defaults to a threshold' }).waitFor({ timeout: 20_000 });

  // The result of a call is collapsible and shows what the model got.
  const result = card(frame, 'run_command', 'done').locator('[data-testid="tool-result"]');
  await result.locator('summary').click();
  if (!(await result.innerText()).includes('threshold = 10')) {
    throw new Error('the command card does not show its output');
  }
  await expectationsOk();
  await screenshot(page, 'agent-turn-done');

  // Restore to here on the user message puts the file back, after a confirmation that lists it.
  // The timeline is windowed: bring the first message of this conversation back into view.
  const userMessage = frame.locator('[data-testid="msg-user"]', { hasText: 'Raise the default low-stock threshold' });
  for (let tries = 0; tries < 20 && (await userMessage.count()) === 0; tries++) {
    await frame.locator('[data-testid="timeline"]').evaluate((element: { scrollTo(options: { top: number }): void }) => element.scrollTo({ top: 0 }));
    await page.waitForTimeout(150);
  }
  await userMessage.scrollIntoViewIfNeeded();
  await userMessage.hover();
  await userMessage.locator('[data-testid="restore-here"]').click();
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ timeout: 10_000 });
  if (!(await dialog.innerText()).includes('src/inventory.ts')) {
    throw new Error('the confirmation does not list the file');
  }
  await screenshot(page, 'agent-restore-confirm');
  await dialog.locator('.monaco-button', { hasText: 'Restore' }).first().click();
  await waitForFile(page, (text) => text === original, 'was restored');
  await emulator('config', { chunkDelayMs: 0 });
  await cleanUp(page, frame);
});

test('Agent mode: refusing a command tells the model, and auto-approve for the conversation is visible while on', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await setMode(frame, 'agent');
  await emulator('reset', {});
  await emulator('script', {
    replies: [
      { toolUse: [{ id: 'toolu_e2e_rm', name: 'run_command', input: { command: 'rm -rf src' } }] },
      { text: 'Understood, I will not delete anything.', expectToolResult: [{ toolUseId: 'toolu_e2e_rm', includes: 'refused', isError: true }] },
    ],
  });
  await sendPrompt(frame, 'Clean the project');
  const command = card(frame, 'run_command', 'awaitingApproval');
  await command.waitFor({ timeout: 20_000 });
  await command.locator('[data-testid="tool-refuse"]').click();
  await card(frame, 'run_command', 'refused').waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]', { hasText: 'will not delete' }).waitFor({ timeout: 20_000 });
  if (!fs.existsSync(path.join(folder, 'src'))) {
    throw new Error('the refused command ran');
  }
  await expectationsOk();

  await frame.locator('[data-testid="auto-approve-all-on"]').click();
  await frame.locator('[data-testid="auto-approve-indicator"]').waitFor({ state: 'visible', timeout: 10_000 });
  await screenshot(page, 'agent-auto-approve-on');
  await frame.locator('[data-testid="auto-approve-all-off"]').click();
  await frame.locator('[data-testid="auto-approve-indicator"]').waitFor({ state: 'hidden', timeout: 10_000 });
  await cleanUp(page, frame);
});

test('Agent mode: results the server cleared are marked on their cards, and the inspector shows the clearing', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await setMode(frame, 'agent');
  // Twelve reads of ~10,000 tokens each (20 KB, counted twice): clearing starts at 75,000 (half the
  // default 150,000 trigger) and clears all but the newest four, in batches.
  const dir = path.join(folder, 'src', 'big');
  fs.mkdirSync(dir, { recursive: true });
  const reads = 12;
  for (let i = 0; i < reads; i++) {
    fs.writeFileSync(path.join(dir, `part${i}.ts`), `export const part${i} = [\n` + `  'value ${i}: the quick brown fox jumps over',\n`.repeat(420) + '];\n');
  }
  await emulator('reset', {});
  await emulator('config', { tokenMultiplier: 2 });
  await emulator('script', {
    replies: [
      ...Array.from({ length: reads }, (_, i) => ({ text: i === 0 ? 'Reading the parts one by one.' : undefined, toolUse: [{ id: `toolu_e2e_part${i}`, name: 'read_file', input: { path: `src/big/part${i}.ts` } }] })),
      { text: 'All twelve parts read.' },
    ],
  });
  try {
    await sendPrompt(frame, 'Read every file under src/big');
    await frame.locator('[data-testid="msg-assistant"][data-status="done"]', { hasText: 'All twelve parts read' }).waitFor({ timeout: 60_000 });
    // The timeline is windowed: only cards near the viewport are in the DOM. The cleared reads are the
    // oldest, so look at them from the top, and at the newest from the bottom.
    const scrollTimeline = (to: 'top' | 'bottom') =>
      frame.evaluate(`{ const t = document.querySelector('[data-testid="timeline"]'); t.scrollTop = ${to === 'top' ? '0' : 't.scrollHeight'}; }`);
    const first = frame.locator('[data-testid="tool-card"][data-id="toolu_e2e_part0"]');
    await scrollTimeline('top');
    await first.waitFor({ state: 'attached', timeout: 10_000 });
    const cleared = frame.locator('[data-testid="tool-card"][data-cleared="true"]');
    await cleared.first().waitFor({ state: 'attached', timeout: 10_000 });
    const count = await cleared.count();
    if (count < 3) {
      throw new Error(`only ${count} cards are marked cleared`);
    }
    const note = await first.locator('[data-testid="tool-cleared"]').innerText();
    if (!/Cleared from Claude's context · [\d.]+k tokens freed/.test(note)) {
      throw new Error(`the first read's card says "${note}"`);
    }
    await scrollTimeline('bottom');
    const newest = frame.locator('[data-testid="tool-card"][data-id="toolu_e2e_part11"]');
    await newest.waitFor({ state: 'attached', timeout: 10_000 });
    if ((await newest.getAttribute('data-cleared')) === 'true') {
      throw new Error('the newest read is marked cleared');
    }
    await scrollTimeline('top');
    await first.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await screenshot(page, 'agent-tool-card-cleared');

    // Compacting now: the inspector lists what context editing had cleared before the summary.
    await scrollTimeline('bottom');
    await runFromPalette(page, 'Marathon: Compact Conversation Now');
    const marker = frame.locator('[data-testid="compaction-toggle"]').last();
    await marker.waitFor({ timeout: 30_000 });
    await marker.click();
    const section = frame.locator('[data-testid="compaction-clearing"]').last();
    await section.waitFor({ timeout: 10_000 });
    const text = await section.innerText();
    if (!/\d+ of \d+ tool results had been cleared/.test(text)) {
      throw new Error(`the inspector's clearing section says "${text}"`);
    }
    await section.scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await screenshot(page, 'agent-inspector-clearing');
    // The Agent summary comes in the fixed structure, shown as headings.
    const summary = frame.locator('[data-testid="compaction-summary"]').last();
    const headings = await summary.locator('h2').allInnerTexts();
    if (headings.join('|') !== 'Requests and intent|Decisions and constraints|Files touched and why|Errors met and fixed|Done|Pending|Next step') {
      throw new Error(`the summary's headings are ${JSON.stringify(headings)}`);
    }
    await summary.locator('h2', { hasText: 'Files touched and why' }).scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await screenshot(page, 'agent-inspector-summary-structure');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await emulator('config', { tokenMultiplier: 1 });
  }
  await cleanUp(page, frame);
});
