// Browser end-to-end tests: Debian's Chromium, driven by playwright-core, uses Marathon in real VS Code
// (code-server) exactly as a person would. Screenshots go to test-results/.
// MARATHON_E2E_GREP runs only the tests whose name contains it (or one of its `|`-separated parts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { emulator, resultsDir, screenshot, tests, workbenchUrl } from './harness';

for (const file of fs.readdirSync(__dirname).sort()) {
  if (file.endsWith('.e2e.js')) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- spec files register themselves on load
    require(path.join(__dirname, file));
  }
}

async function main(): Promise<void> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-e2e-'));
  let context: BrowserContext | undefined;
  let passed = 0;
  let failed = 0;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => fs.appendFileSync(path.join(resultsDir, 'page-errors.log'), `${error.message}\n`));
    await emulator('reset', {});
    await page.goto(workbenchUrl);
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
    const grep = process.env.MARATHON_E2E_GREP;
    // Several parts may be given, separated by `|`.
    const parts = grep?.split('|').filter((part) => part !== '') ?? [];
    for (const { name, fn } of tests.filter((entry) => parts.length === 0 || parts.some((part) => entry.name.includes(part)))) {
      const started = Date.now();
      // A menu or widget left open by an earlier (failed) test must not swallow this test's clicks.
      for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Escape');
      }
      try {
        await fn(page);
        passed++;
        console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
      } catch (error) {
        failed++;
        console.log(`  ✘ ${name}\n    ${error instanceof Error ? error.message : String(error)}`);
        await screenshot(page, `failed-${tests.findIndex((entry) => entry.name === name) + 1}`).catch(() => undefined);
      }
    }
  } catch (error) {
    failed++;
    console.log(`  ✘ could not start the browser tests: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await context?.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  console.log(`ui: ${passed} passed, ${failed} failed`);
  process.exit(failed > 0 ? 1 : 0);
}

void main();
