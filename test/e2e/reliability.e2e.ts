// Reliability and security in real VS Code: the CSP of the page the host really serves, hostile model
// output and compaction summaries streamed through the emulator, and real SIGKILLs of the extension host
// while a conversation is being written, each followed by a reload that must reopen everything.
// (The 500+ case fuzz is test/stress/webview.fuzz.test.ts; the 100-kill run is test/stress/crash.test.ts.)
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { DEFAULT_SUMMARY_TEMPLATE } from '../emulator/compaction';
import { hostileReplies } from '../stress/hostile';
import { seededRandom } from '../stress/random';
import { chatFrame, emulator, newConversation, openChat, reloadWindow, runFromPalette, resultsDir, screenshot, sendPrompt, test, waitUntil } from './harness';

const ROOT = path.resolve(resultsDir, '..');

async function inPage<T>(target: Frame | Page, body: string): Promise<T> {
  return (await target.evaluate(`(() => { ${body} })()`));
}

/**
 * Sends a prompt and waits until its turn is over: the message is shown, nothing is generating, and
 * the last answer is in the wanted state. (Counting finished answers is not enough after a reload,
 * when the timeline shows only part of the conversation.)
 */
async function sendAndSettle(frame: Frame, text: string, status = 'done'): Promise<void> {
  const mine = frame.locator('[data-testid="msg-user"]', { hasText: text });
  const before = await mine.count();
  await sendPrompt(frame, text);
  await mine.nth(before).waitFor({ timeout: 20_000 });
  await waitUntil(`the answer to "${text.slice(0, 40)}"`, async () => {
    const idle = await frame.locator('[data-testid="send"]').isVisible();
    const last = await frame.locator('[data-testid="msg-assistant"]').last().getAttribute('data-status');
    return idle && last === status;
  }, 30_000);
}

/** Opens the chat; after a reload the side bar can come back closed while Marathon is its last view. */
async function showChat(page: Page): Promise<Frame> {
  try {
    return await openChat(page);
  } catch {
    await runFromPalette(page, 'Marathon: Focus on Chat View');
    return chatFrame(page);
  }
}

function serverPort(): string {
  return new URL(process.env.MARATHON_SERVER_URL ?? '').port;
}

/**
 * The extension host processes of the code-server this run started: `--type=extensionHost` children
 * whose environment points into this port's state folder (set by scripts/harness.mjs), newest first.
 */
function extensionHosts(): Array<{ pid: number; started: number }> {
  const marker = `XDG_DATA_HOME=${path.join(ROOT, '.vscode-test', `state-${serverPort()}`, 'xdg-data')}`;
  const found: Array<{ pid: number; started: number }> = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmdline.includes('--type=extensionHost')) {
        continue;
      }
      const environ = fs.readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (!environ.includes(marker)) {
        continue;
      }
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
      found.push({ pid: Number(name), started });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found.sort((a, b) => b.started - a.started);
}

/** The conversations folder (in this code-server's state) that holds a conversation containing `needle`. */
function conversationsFolder(needle: string): string {
  const storage = path.join(ROOT, '.vscode-test', `state-${serverPort()}`, 'user-data', 'User', 'workspaceStorage');
  for (const id of fs.readdirSync(storage)) {
    const folder = path.join(storage, id, 'marathon-dev.marathon', 'conversations');
    const files = fs.existsSync(folder) ? fs.readdirSync(folder).filter((name) => name.endsWith('.jsonl')) : [];
    if (files.some((name) => fs.readFileSync(path.join(folder, name), 'utf8').includes(needle))) {
      return folder;
    }
  }
  throw new Error(`no conversation file holds ${JSON.stringify(needle)}`);
}

interface FileCheck {
  users: string[];
  answers: number;
  tornLast: boolean;
  damaged: number;
}

function checkFile(file: string): FileCheck {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const last = lines.pop() ?? '';
  const result: FileCheck = { users: [], answers: 0, tornLast: last !== '', damaged: 0 };
  for (const line of lines) {
    try {
      const record = JSON.parse(line) as { kind?: string; content?: Array<{ type: string; text?: string }> };
      if (record.kind === 'user') {
        result.users.push(record.content?.at(-1)?.text ?? '');
      } else if (record.kind === 'assistant') {
        result.answers++;
      }
    } catch {
      result.damaged++;
    }
  }
  return result;
}

test('the chat page VS Code serves runs scripts only by nonce, with no unsafe-inline or unsafe-eval', async (page) => {
  const frame = await openChat(page);
  const report = await inPage<{ policy: string; scripts: Array<{ nonce: string; src: string; inline: boolean; text: string }> }>(
    frame,
    `return {
      policy: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
      scripts: Array.from(document.scripts).map((script) => ({ nonce: script.nonce || script.getAttribute('nonce') || '', src: script.src, inline: !script.src, text: (script.textContent || '').slice(0, 4000) })),
    };`,
  );
  const directives = new Map(report.policy.split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...sources]) => [name ?? '', sources]));
  const scriptSrc = directives.get('script-src') ?? [];
  if (scriptSrc.length !== 1 || !/^'nonce-[A-Za-z0-9+/=]{16,}'$/.test(scriptSrc[0] ?? '')) {
    throw new Error(`script-src is ${JSON.stringify(scriptSrc)}`);
  }
  if (/unsafe-inline|unsafe-eval/.test(report.policy) || directives.get('default-src')?.[0] !== "'none'" || directives.get('connect-src')?.[0] !== "'none'") {
    throw new Error(`the policy is ${report.policy}`);
  }
  const nonce = (scriptSrc[0] ?? '').slice("'nonce-".length, -1);
  // VS Code itself puts one inline script into every webview (the one that defines acquireVsCodeApi);
  // every other script is Marathon's, and runs only by its nonce.
  const ours = report.scripts.filter((script) => !(script.inline && script.text.includes('acquireVsCodeApi')));
  if (ours.length === 0 || ours.some((script) => script.inline || script.nonce !== nonce || !script.src.endsWith('/dist/webview/main.js'))) {
    throw new Error(`scripts: ${JSON.stringify(report.scripts.map((script) => ({ ...script, text: script.text.slice(0, 80) })))}`);
  }
  console.log(`    served CSP: ${report.policy.replace(/'nonce-[^']+'/, "'nonce-…'")}`);
});

test('hostile replies and a hostile compaction summary streamed through the emulator run nothing and keep the layout', async (page) => {
  const dialogs: string[] = [];
  const loads: string[] = [];
  const onDialog = (dialog: { message(): string; dismiss(): Promise<void> }) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  };
  const onRequest = (request: { url(): string }) => {
    if (/\/pwned|evil\.example|^javascript:|^data:text\/html/.test(request.url())) {
      loads.push(request.url());
    }
  };
  page.on('dialog', onDialog);
  page.on('request', onRequest);
  try {
    const frame = await openChat(page);
    await newConversation(frame);
    await frame.evaluate('window.__hits = []; window.__xss = (id) => window.__hits.push(id);');
    const replies = hostileReplies();
    // Small pieces, so that tags and entities arrive cut in half.
    await emulator('script', { replies: replies.map((text) => ({ text, chunks: 25 })) });
    for (const [index] of replies.entries()) {
      await sendAndSettle(frame, `hostile reply ${index + 1}`);
    }
    // A compaction whose summary is hostile: shown in the inspector.
    await emulator('config', { summaryTemplate: `${replies.slice(0, 8).join('\n\n')}\n\n{lastUser}` });
    await frame.locator('[data-testid="compact-now"]').click();
    await frame.locator('[data-testid="compaction-toggle"]').last().waitFor({ timeout: 20_000 });
    await frame.locator('[data-testid="compaction-toggle"]').last().click();
    await frame.locator('[data-testid="compaction-summary"]').last().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(800);
    const report = await inPage<{ hits: unknown[]; danger: string[]; promptOk: boolean; overflow: boolean }>(
      frame,
      `
      const timeline = document.querySelector('[data-testid="timeline"]');
      const danger = [];
      for (const element of timeline.querySelectorAll('script, iframe, object, embed, svg, math, img, style, link, meta, base, form, template, video, audio')) {
        danger.push('element ' + element.tagName);
      }
      for (const element of timeline.querySelectorAll('*')) {
        for (const attribute of Array.from(element.attributes)) {
          const name = attribute.name.toLowerCase();
          if (name.startsWith('on') || ['src', 'srcset', 'srcdoc', 'action', 'formaction', 'xlink:href'].includes(name)) {
            danger.push(name + ' on ' + element.tagName);
          }
          if (name === 'href' && !/^(https?:|mailto:)/i.test(attribute.value.trim())) {
            danger.push('href ' + attribute.value.slice(0, 60));
          }
        }
      }
      const prompt = document.querySelector('[data-testid="prompt"]');
      const box = prompt.getBoundingClientRect();
      const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
      return {
        hits: window.__hits,
        danger,
        promptOk: box.width > 50 && box.bottom <= window.innerHeight + 1 && (top === prompt || prompt.contains(top)),
        overflow: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
      };
      `,
    );
    await screenshot(page, 'reliability-hostile');
    const problems = [
      ...(report.hits.length > 0 ? [`payloads ran: ${JSON.stringify(report.hits)}`] : []),
      ...(dialogs.length > 0 ? [`dialogs: ${dialogs.join(', ')}`] : []),
      ...(loads.length > 0 ? [`loads: ${loads.join(', ')}`] : []),
      ...report.danger,
      ...(report.promptOk ? [] : ['the prompt is hidden or covered']),
      ...(report.overflow ? ['the page scrolls sideways'] : []),
    ];
    console.log(`    hostile through the emulator: ${replies.length} replies + 1 summary, ${report.hits.length + dialogs.length} executions, ${loads.length} loads`);
    if (problems.length > 0) {
      throw new Error(problems.join('\n'));
    }
  } finally {
    page.off('dialog', onDialog);
    page.off('request', onRequest);
    await emulator('config', { summaryTemplate: DEFAULT_SUMMARY_TEMPLATE });
  }
});

test('SIGKILL of the extension host while a conversation is written, 3 times: every reload reopens it whole', async (page) => {
  const random = seededRandom(31337);
  let frame = await showChat(page);
  await newConversation(frame);
  const kept: string[] = [];
  const figures = { kills: 0, tornTails: 0, lostWritten: 0, reopened: 0 };
  for (let kill = 1; kill <= 3; kill++) {
    const done = `crash ${kill}: remember the number ${kill * 7}`;
    await sendAndSettle(frame, done);
    kept.push(done);
    // A slow, long answer, so that the kill lands while it streams (or, with a short delay, while the
    // user's message is being written).
    await emulator('script', { replies: [{ text: `${'a long answer that keeps coming '.repeat(40)}`, chunks: 120, delayMs: 20 }] });
    const hosts = extensionHosts();
    if (hosts.length === 0) {
      throw new Error('no extension host process of this code-server was found');
    }
    const delayMs = Math.floor(random() * 1500);
    await sendPrompt(frame, `crash ${kill}: now write a slow answer`);
    await page.waitForTimeout(delayMs);
    process.kill(hosts[0]!.pid, 'SIGKILL');
    figures.kills++;
    await waitUntil('the extension host to be gone', async () => !fs.existsSync(`/proc/${hosts[0]!.pid}/cmdline`) || !extensionHosts().some((host) => host.pid === hosts[0]!.pid), 10_000);
    await screenshot(page, `reliability-killed-${kill}`);

    // On disk, as the kill left it: whole lines, at most a torn last one, every finished exchange there.
    const folder = conversationsFolder(kept[0]!);
    const files = fs.readdirSync(folder).filter((name) => name.endsWith('.jsonl'));
    const checks = files.map((name) => checkFile(path.join(folder, name)));
    figures.tornTails += checks.filter((check) => check.tornLast).length;
    if (checks.some((check) => check.damaged > 0)) {
      throw new Error(`kill ${kill}: a line other than the last is damaged`);
    }
    const mine = checks.find((check) => check.users.includes(kept[0]!));
    const missing = kept.filter((text) => !mine?.users.includes(text));
    figures.lostWritten += missing.length;
    if (missing.length > 0 || (mine?.answers ?? 0) < kept.length) {
      throw new Error(`kill ${kill}: records written before the kill are missing: ${JSON.stringify(missing)} (answers ${mine?.answers})`);
    }

    // A reload starts a new extension host; the conversation reopens with everything written.
    await reloadWindow(page);
    frame = await showChat(page);
    // The timeline shows the newest messages (older ones load on scrolling up); the file check above
    // covered the rest.
    await frame.locator('[data-testid="msg-user"]', { hasText: mine!.users.at(-1)! }).first().waitFor({ timeout: 30_000 });
    await frame.locator('[data-testid="title"]', { hasText: 'crash 1' }).waitFor({ timeout: 10_000 });
    const index = JSON.parse(fs.readFileSync(path.join(folder, 'index.json'), 'utf8')) as { conversations: Array<{ id: string }> };
    const listed = new Set(index.conversations.map((entry) => entry.id));
    await waitUntil('the index to list every conversation file', async () => {
      const now = JSON.parse(fs.readFileSync(path.join(folder, 'index.json'), 'utf8')) as { conversations: Array<{ id: string }> };
      return fs.readdirSync(folder).filter((name) => name.endsWith('.jsonl')).every((name) => now.conversations.some((entry) => `${entry.id}.jsonl` === name));
    });
    void listed;
    figures.reopened++;
    await screenshot(page, `reliability-reopened-${kill}`);
  }
  console.log(`    extension host kills: ${JSON.stringify(figures)}`);
});
