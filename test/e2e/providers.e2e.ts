// A user chooses Amazon Bedrock with Marathon: Select Provider, signed in with the AWS test
// credentials of the environment, and chats through a compaction; the header shows provider and
// region, and Compact Now says why Bedrock cannot compact on demand.
import * as fs from 'node:fs';
import type { Page } from 'playwright-core';
import { emulator, emulatorUrl, newConversation, openChat, runCommand, screenshot, sendAndWait, test, userSettings, userSettingsFile, waitUntil } from './harness';

const PROVIDER_KEYS = ['marathon.provider', 'marathon.bedrock.baseUrl', 'marathon.bedrock.region', 'marathon.bedrock.profile', 'marathon.bedrock.authentication', 'marathon.bedrock.model', 'marathon.compaction.triggerTokens'];

function writeSettings(change: (settings: Record<string, unknown>) => void): void {
  const settings = fs.existsSync(userSettingsFile()) ? userSettings() : {};
  change(settings);
  fs.writeFileSync(userSettingsFile(), JSON.stringify(settings, null, 2));
}

async function pick(page: Page, label: string): Promise<void> {
  const row = page.locator('.quick-input-list .monaco-list-row', { has: page.locator('.label-name', { hasText: label }) }).first();
  await row.waitFor({ timeout: 10_000 });
  await row.click();
}

/** Accepts the prefilled value of the walkthrough's next input box. */
async function accept(page: Page, prompt: RegExp, value?: string): Promise<void> {
  const message = page.locator('.quick-input-widget .quick-input-message', { hasText: prompt });
  await message.first().waitFor({ timeout: 10_000 });
  if (value !== undefined) {
    await page.locator('.quick-input-widget input').fill(value);
  }
  await page.keyboard.press('Enter');
}

test('a user selects Amazon Bedrock with AWS credentials and chats through a compaction', async (page) => {
  // The endpoint is the emulator's Bedrock (as a VPC endpoint would be set); credentials come from the
  // AWS chain of the environment, never from settings.
  writeSettings((settings) => {
    settings['marathon.bedrock.baseUrl'] = emulatorUrl;
    settings['marathon.compaction.triggerTokens'] = 50_000;
  });
  try {
    const frame = await openChat(page);
    await newConversation(frame);
    await runCommand(page, 'Marathon: Select Provider');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Amazon Bedrock' }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, 'providers-1-select-provider');
    await pick(page, 'Amazon Bedrock');
    await pick(page, 'AWS credentials');
    await accept(page, /AWS profile/);
    await accept(page, /AWS region/, 'us-east-1');
    await accept(page, /Model/);
    const connected = page.locator('.notification-toast', { hasText: 'Connected to Amazon Bedrock (us-east-1)' }).first();
    await connected.waitFor({ timeout: 30_000 });
    await screenshot(page, 'providers-2-connected');

    const badge = frame.locator('[data-testid="provider-badge"]');
    await waitUntil('the header shows Bedrock and its region', async () => (await badge.isVisible()) && (await badge.innerText()).includes('Bedrock · us-east-1'));
    const compact = frame.locator('[data-testid="compact-now"]');
    await waitUntil('Compact Now says why it is unavailable', async () => (await compact.getAttribute('aria-disabled')) === 'true');

    await emulator('reset', {});
    await emulator('config', { tokenMultiplier: 60 });
    for (let turn = 1; turn <= 8 && (await frame.locator('[data-testid="compaction-toggle"]').count()) === 0; turn++) {
      await sendAndWait(frame, `Question ${turn} for Bedrock: ${'how does the parser handle this case? '.repeat(20)}`);
    }
    await frame.locator('[data-testid="compaction-toggle"]').last().waitFor({ timeout: 20_000 });
    const { requests } = (await emulator('requests')) as { requests: Array<{ path: string; auth?: string }> };
    if (!requests.every((request) => request.path.startsWith('/model/') && request.auth?.startsWith('sigv4:AKIAMARATHONTEST0001:us-east-1'))) {
      throw new Error(`every turn went to Bedrock, signed with SigV4: ${JSON.stringify(requests.map((request) => [request.path, request.auth]))}`);
    }
    await compact.hover();
    await page.waitForTimeout(1200);
    await screenshot(page, 'providers-3-bedrock-compacted');
    await compact.click();
    await page.waitForTimeout(500);
    await screenshot(page, 'providers-4-compact-now-unavailable');
  } finally {
    writeSettings((settings) => {
      for (const key of PROVIDER_KEYS) {
        delete settings[key];
      }
    });
    await emulator('config', { tokenMultiplier: 1 });
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press('Escape');
    }
    await runCommand(page, 'Notifications: Clear All Notifications').catch(() => undefined);
  }
});
