// UI latency in real VS Code: from Enter in the prompt box to the request arriving at the emulator
// (both clocks are this machine's). Run by scripts/bench.mjs with the e2e environment set.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { figure, median, round, type Figure } from './figures';

interface Recorded {
  path: string;
  at: number;
}

export async function uiLatencyBench(sends: number): Promise<Figure[]> {
  const { openChat, newConversation, sendAndWait, emulatorUrl, workbenchUrl } = await import('../e2e/harness');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'marathon-bench-ui-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(workbenchUrl);
    const frame = await openChat(page);
    await newConversation(frame);
    await sendAndWait(frame, 'Warm up');
    const latencies: number[] = [];
    for (let i = 0; i < sends; i++) {
      const prompt = frame.locator('[data-testid="prompt"]');
      await prompt.fill(`Latency probe ${i}`);
      const before = (await (await fetch(`${emulatorUrl}/_emulator/requests`)).json()) as { requests: Recorded[] };
      const pressed = Date.now();
      await prompt.press('Enter');
      for (let waited = 0; waited < 500; waited++) {
        const { requests } = (await (await fetch(`${emulatorUrl}/_emulator/requests`)).json()) as { requests: Recorded[] };
        const arrived = requests.slice(before.requests.length).find((request) => request.path === '/v1/messages');
        if (arrived) {
          latencies.push(arrived.at - pressed);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await frame.locator('[data-testid="send"]').waitFor({ timeout: 20_000 });
    }
    return [figure('latency', 'Enter in the prompt box to the request leaving the host', round(median(latencies), 1), 'ms')];
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [outFile] = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
  uiLatencyBench(process.argv.includes('--quick') ? 3 : 7)
    .then((figures) => fs.writeFileSync(outFile!, JSON.stringify({ figures, failures: [] }, null, 2)))
    .catch((error: unknown) => fs.writeFileSync(outFile!, JSON.stringify({ figures: [], failures: [`ui: ${error instanceof Error ? error.stack : String(error)}`] }, null, 2)));
}
