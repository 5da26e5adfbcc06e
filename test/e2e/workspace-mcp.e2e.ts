// MCP as a person sets it up (named to run after the other specs; it removes its server again): add a
// server to .vscode/mcp.json, trust it in the prompt that names its command, see it running in
// Marathon: MCP Servers, and let Claude call one of its tools after approving the call. Also measures the
// time from a window opening to the server's tools being available. Screenshots go to test-results/.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { e2eFolder, emulator, newConversation, openChat, runFromPalette, screenshot, sendPrompt, test, waitUntil } from './harness';

const EVERYTHING = path.resolve(__dirname, '..', '..', '..', 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const mcpJson = () => path.join(e2eFolder, '.vscode', 'mcp.json');

async function setMode(frame: Frame, mode: 'ask' | 'agent'): Promise<void> {
  await frame.locator('[data-testid="mode-toggle"]').selectOption(mode);
  await frame.locator(`[data-testid="agent-bar"][data-mode="${mode}"]`).waitFor({ timeout: 10_000 });
}

/** Opens Marathon: MCP Servers and returns the row of `name` once its state reads `state`. */
async function serverRow(page: Page, name: string, state: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await runFromPalette(page, 'Marathon: MCP Servers');
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: name }).filter({ hasText: state });
    try {
      await row.first().waitFor({ timeout: 1500 });
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw error;
      }
      await page.keyboard.press('Escape');
      await page.waitForTimeout(200);
    }
  }
}

test('MCP: a server added to .vscode/mcp.json is trusted, listed as running, and Claude calls its tool after approval', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  fs.mkdirSync(path.dirname(mcpJson()), { recursive: true });
  fs.writeFileSync(mcpJson(), JSON.stringify({ servers: { everything: { type: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] } } }, null, 2));

  // The trust prompt names the command the server runs; nothing starts before the answer.
  const prompt = page.locator('.notification-toast', { hasText: 'start the MCP server "everything"' });
  await prompt.waitFor({ timeout: 30_000 });
  if (!(await prompt.innerText()).includes(EVERYTHING)) {
    throw new Error('the trust prompt does not name the command');
  }
  await screenshot(page, 'mcp-trust-prompt');
  await prompt.locator('a.monaco-button, .monaco-button', { hasText: 'Trust and Start' }).first().click();

  await serverRow(page, 'everything', 'Running');
  await page.waitForTimeout(300);
  await screenshot(page, 'mcp-servers-list');
  await page.keyboard.press('Escape');

  // Claude calls a tool of the server; the card shows server, tool and arguments, and waits.
  await setMode(frame, 'agent');
  await emulator('reset', {});
  await emulator('script', {
    replies: [
      { text: 'I will ask the everything server to add them.', toolUse: [{ id: 'toolu_e2e_mcp', name: 'everything__get-sum', input: { a: 19, b: 23 } }] },
      { text: 'The server says the sum is **42**.', expectToolResult: [{ toolUseId: 'toolu_e2e_mcp', includes: '42', isError: false }] },
    ],
  });
  await sendPrompt(frame, 'Add 19 and 23 with the MCP server');
  const waiting = frame.locator('[data-testid="tool-card"][data-tool="everything__get-sum"][data-status="awaitingApproval"]');
  await waiting.waitFor({ timeout: 20_000 });
  const text = await waiting.innerText();
  if (!text.includes('everything › get-sum') || !text.includes('"a": 19')) {
    throw new Error(`the approval card does not show server, tool and arguments: ${text}`);
  }
  await page.waitForTimeout(300);
  await screenshot(page, 'mcp-approval-card');
  await waiting.locator('[data-testid="tool-approve"]').click();
  const done = frame.locator('[data-testid="tool-card"][data-tool="everything__get-sum"][data-status="done"]');
  await done.waitFor({ timeout: 20_000 });
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]', { hasText: 'the sum is' }).waitFor({ timeout: 20_000 });
  await done.locator('[data-testid="tool-result"] summary').click();
  await waitUntil('the result shows the sum', async () => (await done.innerText()).includes('42'));
  await page.waitForTimeout(300);
  await screenshot(page, 'mcp-tool-result');
  const { expectations } = (await emulator('expectations')) as { expectations: Array<{ ok: boolean; message: string }> };
  if (expectations.some((entry) => !entry.ok)) {
    throw new Error(`the model got unexpected tool results: ${JSON.stringify(expectations)}`);
  }

  // From a window opening to the trusted server's tools being available.
  const navigated = page.waitForEvent('framenavigated', { predicate: (candidate) => candidate === page.mainFrame(), timeout: 60_000 });
  await runFromPalette(page, 'Developer: Reload Window');
  await navigated;
  const opened = Date.now();
  await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
  await serverRow(page, 'everything', 'Running');
  console.log(`    MCP: window open → everything server's tools available in ${Date.now() - opened} ms`);
  await page.keyboard.press('Escape');

  // Leave the window as the next spec expects it: no server, Ask mode, no notifications.
  fs.rmSync(path.dirname(mcpJson()), { recursive: true, force: true });
  await waitUntil('the removed server left the list', async () => {
    await runFromPalette(page, 'Marathon: MCP Servers');
    await page.waitForTimeout(300);
    const listed = await page.locator('.quick-input-list .monaco-list-row', { hasText: 'everything' }).count();
    await page.keyboard.press('Escape');
    return listed === 0;
  }, 20_000);
  const chat = await openChat(page);
  await setMode(chat, 'ask');
  await runFromPalette(page, 'Notifications: Clear All Notifications');
});
