// The chat view end to end (issue #5): streaming render, code-block actions with Apply through the
// diff editor, hostile content, compaction markers after real compaction rounds, the meter, history
// and search, state across hide/show, moving and reloading, keyboard-only use, the editor tab,
// themes, and a 2,000-message conversation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { DEFAULT_SUMMARY_TEMPLATE } from '../emulator/compaction';
import {
  chatFrameOn,
  e2eFolder,
  emulator,
  newConversation,
  openChat,
  openFile,
  reloadWindow,
  resultsDir,
  runCommand,
  screenshot,
  selectTheme,
  sendAndWait,
  sendPrompt,
  test,
  userSettings,
  waitUntil,
  workbenchUrl,
} from './harness';
import { longConversationRecords } from './longConversation';

const answers = (frame: Frame) => frame.locator('[data-testid="msg-assistant"]');
const lastAnswer = (frame: Frame) => answers(frame).last();
const markers = (frame: Frame) => frame.locator('[data-testid="msg-compaction"]');

/**
 * Runs browser code in a page or frame and returns its value. The code is a string because the test
 * build has no DOM typings (adding them would leak DOM globals into the Node code).
 */
async function inPage<T>(target: Frame | Page, body: string): Promise<T> {
  return (await target.evaluate(`(() => { ${body} })()`));
}

async function pwned(frame: Frame): Promise<unknown> {
  return inPage<unknown>(frame, 'return window.__pwned;');
}

/** The text of the first visible text editor (Monaco renders spaces as no-break spaces). */
async function editorText(page: Page): Promise<string> {
  return (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
}

async function script(replies: object[]): Promise<void> {
  await emulator('script', { replies });
}

async function fail(message: string): Promise<never> {
  throw new Error(message);
}

/** Tokens from the meter's "12.3k / 150k" text. */
function parseTokens(text: string): number {
  const match = /([\d.]+)\s*([kM]?)/.exec(text.trim());
  if (!match) {
    return NaN;
  }
  const value = Number(match[1]);
  return match[2] === 'k' ? value * 1000 : match[2] === 'M' ? value * 1_000_000 : value;
}

async function meterTokens(frame: Frame): Promise<number> {
  return parseTokens(await frame.locator('.meter-context').innerText());
}

async function promptValue(frame: Frame): Promise<string> {
  return frame.locator('[data-testid="prompt"]').inputValue();
}

async function clearPrompt(frame: Frame): Promise<void> {
  await frame.locator('[data-testid="prompt"]').fill('');
}

// ---------------------------------------------------------------- streaming

test('a streamed answer renders block by block: finished blocks are kept, not re-rendered, and the end is announced', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  const text = [
    'First paragraph of the streamed answer, complete **before** the rest arrives.',
    '',
    'Second paragraph with `inline code`, still streaming.',
    '',
    '```ts',
    'const first = 1;',
    'const second = 2;',
    '```',
    '',
    'Last paragraph, after the code.',
  ].join('\n');
  await script([{ text, chunks: 48, delayMs: 60 }]);
  await sendPrompt(frame, 'Stream a few blocks please');
  const answer = lastAnswer(frame);
  await waitUntil('the code block starts streaming', async () => (await answer.locator('pre').count()) > 0);
  if ((await answer.getAttribute('aria-busy')) !== 'true') {
    await fail('a streaming answer is not marked busy');
  }
  await inPage(frame, `
    const answers = document.querySelectorAll('[data-testid="msg-assistant"]');
    answers[answers.length - 1].querySelector('.md p').dataset.e2eMark = 'first';`);
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  if ((await answer.locator('[data-e2e-mark="first"]').count()) !== 1) {
    await fail('the first paragraph was rendered again after it was finished');
  }
  if ((await answer.locator('pre code').count()) !== 1 || !(await answer.innerText()).includes('Last paragraph')) {
    await fail('the final answer is incomplete');
  }
  await waitUntil('the finished answer is announced politely', async () =>
    (await frame.locator('#root > .sr-only[aria-live="polite"]').innerText()).includes('Claude answered'),
  );
  if ((await frame.locator('[data-testid="timeline"]').getAttribute('aria-live')) !== 'off') {
    await fail('the timeline itself should not announce every delta');
  }
});

// ---------------------------------------------------------------- code blocks

test('code blocks copy to the clipboard and insert at the cursor of the editor', async (page) => {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(workbenchUrl).origin });
  await runCommand(page, 'View: Close All Editors');
  await openFile(page, 'inventory.ts');
  const frame = await openChat(page);
  await newConversation(frame);
  await script([{ text: 'Here it is:\n\n```ts\nexport const MARATHON_INSERTED = 42;\n```\n' }]);
  await sendAndWait(frame, 'Give me a constant');
  const answer = lastAnswer(frame);
  if ((await answer.locator('.code-lang').innerText()).trim() !== 'ts') {
    await fail('the code block has no language label');
  }
  await answer.locator('[data-testid="code-copy"]').click();
  await answer.locator('[data-testid="code-copy"] .codicon-check').waitFor({ timeout: 5_000 });
  await waitUntil('the clipboard holds the code', async () =>
    (await page.evaluate<string>('navigator.clipboard.readText()')).includes('MARATHON_INSERTED = 42'),
  );
  // Copy and Use in prompt work on whole messages too.
  await answer.hover();
  await answer.locator('[data-testid="msg-copy"]').click();
  await waitUntil('the clipboard holds the message', async () => (await page.evaluate<string>('navigator.clipboard.readText()')).startsWith('Here it is:'));
  await clearPrompt(frame);
  await answer.locator('[data-testid="msg-quote"]').click();
  if (!(await promptValue(frame)).startsWith('> Here it is:')) {
    await fail(`Use in prompt did not quote the answer: ${await promptValue(frame)}`);
  }
  await clearPrompt(frame);
  await answer.locator('[data-testid="code-insert"]').click();
  const editorLines = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await waitUntil('the code is inserted in the editor', async () => (await editorText(page)).includes('MARATHON_INSERTED'));
  await editorLines.click();
  await page.keyboard.press('Control+Z');
  await waitUntil('Undo removes the insertion', async () => !(await editorText(page)).includes('MARATHON_INSERTED'));
});

test('Apply shows the change in the diff editor and writes it only when accepted; Undo takes it back; Discard leaves the file alone', async (page) => {
  const file = path.join(e2eFolder, 'src', 'inventory.ts');
  const original = fs.readFileSync(file, 'utf8');
  const proposed = original.replace('threshold = 5', 'threshold = 10');
  await runCommand(page, 'View: Close All Editors');
  await openFile(page, 'inventory.ts');
  const frame = await openChat(page);
  await newConversation(frame);
  await script([
    { text: 'Raise the threshold:\n\n```ts\n' + proposed + '```\n' },
    { text: 'Or replace it all:\n\n```ts src/inventory.ts\nexport const everything = "gone";\n```\n' },
  ]);
  await sendAndWait(frame, 'Raise the low-stock threshold');
  await lastAnswer(frame).locator('[data-testid="code-apply"]').click();
  const diffTab = page.locator('.tabs-container .tab', { hasText: 'proposed change' });
  await diffTab.waitFor({ timeout: 15_000 });
  await page.locator('.monaco-diff-editor').first().waitFor();
  await page.waitForTimeout(500);
  if (fs.readFileSync(file, 'utf8') !== original) {
    await fail('the file changed before the user accepted');
  }
  await screenshot(page, 'apply-diff-editor');
  await page.locator('.editor-actions .action-label[aria-label^="Apply Proposed Change"]').first().click();
  await waitUntil('the accepted change is written to disk', async () => fs.readFileSync(file, 'utf8') === proposed);
  await diffTab.waitFor({ state: 'detached', timeout: 10_000 });
  // The file is shown after applying, so Undo is one keystroke away.
  const editorLines = page.locator('.editor-instance .monaco-editor .view-lines').first();
  await waitUntil('the edited file is shown', async () => (await editorText(page)).includes('threshold = 10'));
  await editorLines.click();
  await page.keyboard.press('Control+Z');
  await waitUntil('Undo restores the text', async () => (await editorText(page)).includes('threshold = 5'));
  await page.keyboard.press('Control+S');
  await waitUntil('the restored file is saved', async () => fs.readFileSync(file, 'utf8') === original);

  // A fence that names its file targets it, even with no editor open; Discard writes nothing.
  await runCommand(page, 'View: Close All Editors');
  await sendAndWait(frame, 'Now something drastic');
  const answer = lastAnswer(frame);
  if (!(await answer.locator('.code-lang').innerText()).includes('src/inventory.ts')) {
    await fail('the code block does not show the file it names');
  }
  await answer.locator('[data-testid="code-apply"]').click();
  await diffTab.waitFor({ timeout: 15_000 });
  await page.locator('.editor-actions .action-label[aria-label^="Discard Proposed Change"]').first().click();
  await diffTab.waitFor({ state: 'detached', timeout: 10_000 });
  await page.waitForTimeout(500);
  if (fs.readFileSync(file, 'utf8') !== original) {
    await fail('a discarded proposal changed the file');
  }
  await runCommand(page, 'View: Close All Editors');
});

// ---------------------------------------------------------------- hostile content

const HOSTILE_REPLY = [
  '# Hostile content',
  '<script>window.__pwned = 1</script>',
  '<img src=x onerror="window.__pwned = 2">',
  '[click me](javascript:window.__pwned=3)',
  '<svg onload="window.__pwned = 4"><script>window.__pwned = 5</script></svg>',
  '<a href="javascript:window.__pwned=6">raw link</a>',
  '<iframe src="javascript:window.__pwned=7"></iframe>',
  '<style>body { display: none !important; }</style>',
  '<div style="position:fixed;inset:0;background:red;z-index:99">overlay</div>',
  '<details open ontoggle="window.__pwned = 8">details</details>',
  '<<script>script>window.__pwned = 9<</script>/script>',
  '<math><mi xlink:href="javascript:window.__pwned=10">math</mi></math>',
  '![remote image](http://127.0.0.1:9/remote-image.png)',
  '<img src="http://127.0.0.1:9/remote-raw.png">',
  '[data link](data:text/html,<script>window.__pwned=11</script>)',
  '[vbscript](vbscript:msgbox(1))',
  '[command link](command:workbench.action.reloadWindow)',
  '<a href="command:marathon.clearApiKey">command anchor</a>',
  '<form action="https://example.com"><input value="x"><button>go</button></form>',
  'Malformed: <div <p <b>unclosed <i>tags <a href="https://example.com" onclick="window.__pwned=12">click</a',
  '`<img src=x onerror=window.__pwned=13>` in code',
  '',
  '```html',
  '<script>window.__pwned = 14</script><img src=x onerror="window.__pwned=15">',
  '```',
  '',
  'A huge line: ' + 'A'.repeat(20_000),
  '',
  '```text',
  'B'.repeat(4_000),
  '```',
  '',
  'A fine [web link](https://example.com/docs) stays.',
].join('\n');

test('hostile markdown and HTML from the model render as inert text: nothing executes, nothing loads, layout holds', async (page) => {
  const dialogs: string[] = [];
  const remote: string[] = [];
  const onDialog = (dialog: { message(): string; dismiss(): Promise<void> }) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  };
  const onRequest = (request: { url(): string }) => {
    if (request.url().includes('127.0.0.1:9/') || request.url().startsWith('javascript:')) {
      remote.push(request.url());
    }
  };
  page.on('dialog', onDialog);
  page.on('request', onRequest);
  try {
    const frame = await openChat(page);
    await newConversation(frame);
    await script([{ text: HOSTILE_REPLY, chunks: 30 }]);
    // The user's own text, the title made from it, and an error message are hostile too.
    await sendAndWait(frame, '<img src=x onerror="window.__pwned=20"> <script>window.__pwned=21</script> show me');
    await emulator('faults', {
      faults: [{ kind: 'http', status: 400, errorType: 'invalid_request_error', message: '<img src=x onerror="window.__pwned=22"><b>bold</b>' }],
    });
    await sendPrompt(frame, 'and now fail');
    await frame.locator('[data-testid="error-card"]').last().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1000);

    const report = await inPage<{
      pwned: unknown;
      handlers: string[];
      badTags: string[];
      hrefs: string[];
      styled: string[];
      wide: number;
      horizontalOverflow: boolean;
      promptVisible: boolean;
      bodyVisible: boolean;
      title: string;
      errorText: string;
    }>(
      frame,
      `
      const timeline = document.querySelector('[data-testid="timeline"]');
      const all = Array.from(document.querySelectorAll('*'));
      const handlers = all.filter((element) => Array.from(element.attributes).some((attribute) => attribute.name.toLowerCase().startsWith('on')));
      // <details> is ours only in compaction markers and thinking sections.
      const badTags = Array.from(timeline.querySelectorAll('script, img, svg, iframe, style, math, form, input, object, embed, details'))
        .filter((element) => element.closest('.compaction') === null && !element.classList.contains('thinking-details'));
      const hrefs = Array.from(timeline.querySelectorAll('a[href]')).map((anchor) => anchor.getAttribute('href') || '');
      const styled = Array.from(timeline.querySelectorAll('[style]')).filter((element) => !element.classList.contains('spacer'));
      const wide = Array.from(timeline.querySelectorAll('.entry')).filter((entry) => entry.scrollWidth > timeline.clientWidth + 1);
      const rect = document.querySelector('[data-testid="prompt"]').getBoundingClientRect();
      return {
        pwned: window.__pwned,
        handlers: handlers.map((element) => element.outerHTML.slice(0, 120)),
        badTags: badTags.map((element) => element.outerHTML.slice(0, 120)),
        hrefs,
        styled: styled.map((element) => element.outerHTML.slice(0, 120)),
        wide: wide.length,
        horizontalOverflow: timeline.scrollWidth > timeline.clientWidth + 1,
        promptVisible: rect.height > 0 && rect.bottom <= window.innerHeight + 1,
        bodyVisible: getComputedStyle(document.body).display !== 'none',
        title: document.querySelector('[data-testid="title"]').textContent,
        errorText: document.querySelector('[data-testid="error-card"] .error-message').textContent,
      };`,
    );
    const problems: string[] = [];
    if (report.pwned !== undefined) {
      problems.push(`script ran: window.__pwned = ${String(report.pwned)}`);
    }
    if (report.handlers.length > 0) {
      problems.push(`event handler attributes: ${report.handlers.join(' | ')}`);
    }
    if (report.badTags.length > 0) {
      problems.push(`forbidden elements: ${report.badTags.join(' | ')}`);
    }
    const badHref = report.hrefs.filter((href) => !/^(?:https?|mailto):/i.test(href));
    if (badHref.length > 0) {
      problems.push(`links with other schemes: ${badHref.join(', ')}`);
    }
    if (!report.hrefs.includes('https://example.com/docs')) {
      problems.push('the legitimate web link was lost');
    }
    if (report.styled.length > 0) {
      problems.push(`inline styles from content: ${report.styled.join(' | ')}`);
    }
    if (report.wide > 0 || report.horizontalOverflow) {
      problems.push(`${report.wide} items are wider than the view`);
    }
    if (!report.promptVisible || !report.bodyVisible) {
      problems.push('the prompt box is no longer visible');
    }
    if (!report.title.includes('<img')) {
      problems.push(`the hostile title is not shown as text: ${report.title}`);
    }
    if (!report.errorText.includes('<img')) {
      problems.push(`the hostile error is not shown as text: ${report.errorText}`);
    }
    if (dialogs.length > 0) {
      problems.push(`dialogs opened: ${dialogs.join(', ')}`);
    }
    if (remote.length > 0) {
      problems.push(`remote loads: ${remote.join(', ')}`);
    }
    // Clicking what used to be a javascript: link does nothing.
    await frame.locator('.msg-assistant a', { hasText: 'click me' }).first().click({ timeout: 5_000 }).catch(() => undefined);
    await page.waitForTimeout(300);
    if ((await pwned(frame)) !== undefined) {
      problems.push('clicking a javascript: link ran it');
    }
    await screenshot(page, 'hostile-content');
    if (problems.length > 0) {
      await fail(problems.join('\n    '));
    }
  } finally {
    page.off('dialog', onDialog);
    page.off('request', onRequest);
  }
});

// ---------------------------------------------------------------- compaction

test('a real compaction round adds a marker with kind, sizes, cost and time; the meter rises, then falls', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await emulator('config', {
    tokenMultiplier: 400,
    summaryTemplate: '## Summary\n\nWe discussed the **pelican inventory** ({messages} messages). Latest request: "{lastUser}". <img src=x onerror="window.__pwned=30">',
  });
  const readings: number[] = [];
  try {
    for (let turn = 1; turn <= 8 && (await markers(frame).count()) === 0; turn++) {
      await sendAndWait(frame, `Turn ${turn}: the pelican inventory needs restocking rules for ${turn * 3} items.`);
      readings.push(await meterTokens(frame));
    }
  } finally {
    await emulator('config', { tokenMultiplier: 1, summaryTemplate: DEFAULT_SUMMARY_TEMPLATE });
  }
  if ((await markers(frame).count()) === 0) {
    await fail(`no compaction after ${readings.length} turns; the meter read ${readings.join(', ')}`);
  }
  if (readings.length >= 3 && !((readings[1] ?? 0) > (readings[0] ?? 0))) {
    await fail(`the meter did not rise turn by turn: ${readings.join(', ')}`);
  }
  const peak = Math.max(...readings.slice(0, -1));
  if (!((readings.at(-1) ?? Infinity) < peak)) {
    await fail(`the meter did not fall after compacting: ${readings.join(', ')}`);
  }
  const marker = markers(frame).first();
  const line = await marker.locator('.compaction-line').innerText();
  for (const part of ['Context compacted', 'automatic', '→', 'tokens', '$']) {
    if (!line.includes(part)) {
      await fail(`the marker line lacks "${part}": ${line}`);
    }
  }
  if (!/\d{1,2}:\d{2}/.test(line)) {
    await fail(`the marker has no time: ${line}`);
  }
  const meterTitle = (await frame.locator('[data-testid="meter"]').getAttribute('title')) ?? '';
  for (const part of ['Compacts at', 'Context window', 'Cache hits', 'Estimated cost']) {
    if (!meterTitle.includes(part)) {
      await fail(`the meter's details lack "${part}"`);
    }
  }
});

test('expanding a compaction marker inspects it: the summary, what it covered, what was put back, and Use in prompt', async (page) => {
  const frame = await openChat(page);
  const marker = markers(frame).first();
  await marker.locator('[data-testid="compaction-toggle"]').click();
  const inspector = marker.locator('[data-testid="compaction-inspector"]');
  await inspector.waitFor({ timeout: 5_000 });
  const text = await inspector.innerText();
  if (!/Summary of \d+ earlier messages/.test(text) || !text.includes('pelican inventory')) {
    await fail(`the inspector does not show the summary: ${text.slice(0, 300)}`);
  }
  if ((await inspector.locator('[data-testid="compaction-summary"] strong').count()) === 0) {
    await fail('the summary is not rendered as markdown');
  }
  const putBack = inspector.locator('[data-testid="compaction-put-back"] li');
  if ((await putBack.count()) === 0 || !(await putBack.first().innerText()).includes('Turn')) {
    await fail('the current request is not listed as put back verbatim');
  }
  if ((await pwned(frame)) !== undefined) {
    await fail('the summary ran a script');
  }
  await marker.scrollIntoViewIfNeeded();
  await screenshot(page, 'compaction-inspector');
  await marker.screenshot({ path: path.join(resultsDir, 'compaction-inspector-marker.png') });
  await clearPrompt(frame);
  await putBack.first().locator('[data-action="quote-item"]').click();
  if (!(await promptValue(frame)).startsWith('> Turn')) {
    await fail(`Use in prompt did not quote the message: ${await promptValue(frame)}`);
  }
  await clearPrompt(frame);
  await inspector.locator('[data-action="use-summary"]').click();
  if (!(await promptValue(frame)).includes('pelican inventory')) {
    await fail('Use in prompt did not insert the summary');
  }
  await clearPrompt(frame);
});

test('search covers every segment, including messages the model now sees only as a summary, and jumps to the hit', async (page) => {
  const frame = await openChat(page);
  await frame.locator('[data-testid="history-toggle"]').click();
  const search = frame.locator('.history-search');
  await search.fill('Turn 1:');
  const hit = frame.locator('[data-testid="search-hit"]').first();
  await hit.waitFor({ timeout: 10_000 });
  if ((await hit.locator('.hit-badge').count()) === 0) {
    await fail('a hit in a summarized segment is not marked as summarized');
  }
  await hit.click();
  const target = frame.locator('[data-testid="msg-user"].flash', { hasText: 'Turn 1:' });
  await target.waitFor({ timeout: 10_000 });
  if (!(await target.isVisible())) {
    await fail('the hit is not scrolled into view');
  }
  await frame.locator('.segment-banner:not([hidden])').waitFor({ timeout: 5_000 });
  await screenshot(page, 'search-hit-in-summarized-segment');
  // Leave the history as a user would find it: no query.
  await frame.locator('[data-testid="history-toggle"]').click();
  await search.fill('');
  await frame.locator('[data-testid="history-toggle"]').click();
  await frame.locator('[data-testid="prompt"]').click();
});

test('Compact now adds an on-demand marker, a failed compaction and a fallback trim get their own markers', async (page) => {
  const frame = await openChat(page);
  // Something to compact, whatever ran before this test.
  await sendAndWait(frame, 'Something to compact later: the pelican migration plan.');
  // The list is windowed: only what is near the viewport is in the DOM, so look at the end.
  await inPage(frame, `const t = document.querySelector('[data-testid="timeline"]'); t.scrollTop = t.scrollHeight;`);
  await page.waitForTimeout(300);
  const before = await markers(frame).count();
  await frame.locator('[data-testid="compact-now"]').click();
  await waitUntil('an on-demand marker appears', async () => (await markers(frame).count()) > before, 20_000);
  const onDemand = markers(frame).last();
  if (!(await onDemand.innerText()).includes('on demand')) {
    await fail(`the new marker is not on demand: ${await onDemand.innerText()}`);
  }
  // A failed on-demand compaction.
  await emulator('faults', { faults: [{ kind: 'on-demand-fail', stopReason: 'max_tokens' }] });
  await frame.locator('[data-testid="compact-now"]').click();
  const failed = frame.locator('[data-testid="msg-compaction"][data-kind="failed"]');
  await failed.first().waitFor({ timeout: 20_000 });
  if (!(await failed.first().innerText()).includes('Compaction failed')) {
    await fail('the failed marker does not say so');
  }
  await failed.first().locator('[data-testid="compaction-toggle"]').click();
  await failed.first().locator('[data-action="compact-now"]').waitFor();
  // Compaction unavailable twice: the oldest turns are trimmed instead.
  await sendAndWait(frame, 'One more exchange before the trim, about pelicans.');
  const unavailable = { kind: 'http', status: 529, errorType: 'overloaded_error', errorCode: 'compaction_unavailable', message: 'Compaction is unavailable' };
  await emulator('faults', { faults: [unavailable, unavailable] });
  await sendAndWait(frame, 'Needs room: keep going with the pelicans.');
  const trim = frame.locator('[data-testid="msg-compaction"][data-kind="trim"]');
  await trim.first().waitFor({ timeout: 20_000 });
  const trimText = await trim.first().innerText();
  if (!trimText.includes('Oldest messages trimmed') || !trimText.includes('no longer sent')) {
    await fail(`the trim marker is unclear: ${trimText}`);
  }
  await trim.first().scrollIntoViewIfNeeded();
  await screenshot(page, 'compaction-failed-and-trim-markers');
});

test('the compaction mode switches from the view, and the meter follows it', async (page) => {
  const frame = await openChat(page);
  const select = frame.locator('[data-testid="mode-select"]');
  await select.selectOption('manual');
  await waitUntil('the meter shows the window as the limit', async () => (await frame.locator('.meter-window').innerText()) === 'window');
  await select.selectOption('pause');
  await waitUntil('the meter shows the trigger again', async () => (await frame.locator('.meter-window').innerText()).startsWith('window '));
  await waitUntil('the setting says pause', async () => userSettings()['marathon.compaction.mode'] === 'pause');
  await select.selectOption('auto');
  await waitUntil('the setting is back to auto', async () => (userSettings()['marathon.compaction.mode'] ?? 'auto') === 'auto');
  // Every write fires its own change event, and they may arrive late: the select must settle on the last choice.
  await waitUntil('the select shows auto', async () => (await select.inputValue()) === 'auto');
  await page.waitForTimeout(500);
  if ((await select.inputValue()) !== 'auto') {
    await fail(`the mode did not stay on auto: the select shows ${await select.inputValue()}`);
  }
});

// ---------------------------------------------------------------- themes

test('the view looks right in light, dark and high-contrast themes', async (page) => {
  const frame = await openChat(page);
  const marker = markers(frame).first();
  if ((await marker.count()) > 0 && (await marker.locator('[data-testid="compaction-inspector"]').count()) === 0) {
    await marker.locator('[data-testid="compaction-toggle"]').click();
  }
  const themes: Array<[string, string]> = [
    ['Default Light Modern', 'light'],
    ['Default Dark Modern', 'dark'],
    ['Default High Contrast', 'high-contrast'],
    ['Default High Contrast Light', 'high-contrast-light'],
  ];
  const problems: string[] = [];
  try {
    for (const [theme, name] of themes) {
      await selectTheme(page, theme);
      await page.waitForTimeout(800);
      await marker.scrollIntoViewIfNeeded().catch(() => undefined);
      await screenshot(page, `theme-${name}`);
      const colors = await inPage<{ kind: string; text: number; prompt: number }>(
        frame,
        `
        const parse = (value) => (value.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
        const channel = (c) => {
          const v = c / 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        };
        const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
        const contrast = (a, b) => {
          const x = luminance(parse(a));
          const y = luminance(parse(b));
          return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
        };
        // The page is transparent over the view's own background, which VS Code paints from these.
        const root = getComputedStyle(document.documentElement);
        const probe = document.createElement('div');
        probe.style.color = root.getPropertyValue('--vscode-sideBar-background').trim() || root.getPropertyValue('--vscode-editor-background').trim();
        document.body.append(probe);
        const background = getComputedStyle(probe).color;
        probe.remove();
        const prompt = getComputedStyle(document.querySelector('[data-testid="prompt"]'));
        const row = getComputedStyle(document.querySelector('.prompt-row')).backgroundColor;
        return {
          kind: document.body.className,
          text: contrast(getComputedStyle(document.body).color, background),
          prompt: contrast(prompt.color, row === 'rgba(0, 0, 0, 0)' ? background : row),
        };`,
      );
      if (colors.text < 4.5 || colors.prompt < 4.5) {
        problems.push(`${theme}: contrast text ${colors.text.toFixed(1)}, prompt ${colors.prompt.toFixed(1)} (${colors.kind})`);
      }
    }
  } finally {
    await selectTheme(page, 'Default Light Modern');
  }
  if (problems.length > 0) {
    await fail(problems.join('; '));
  }
});

// ---------------------------------------------------------------- history

test('the history lists conversations and switches between them; a search hit opens its conversation at the message', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await sendAndWait(frame, 'Tell me about kumquats and their cousins');
  await newConversation(frame);
  await sendAndWait(frame, 'Something about figs instead');
  await frame.locator('[data-testid="history-toggle"]').click();
  const list = frame.locator('[data-testid="history-list"]');
  await list.waitFor();
  await frame.locator('.history-search').fill('');
  await list.locator('.history-open', { hasText: 'Tell me about kumquats' }).first().click();
  await waitUntil('the title switches', async () => (await frame.locator('[data-testid="title"]').innerText()).includes('kumquats'));
  await frame.locator('[data-testid="msg-user"]', { hasText: 'kumquats' }).waitFor();
  // Search across titles and text; a hit in another conversation switches to it and shows the message.
  await frame.locator('[data-testid="history-toggle"]').click();
  await frame.locator('.history-search').fill('figs instead');
  const hit = frame.locator('[data-testid="search-hit"]', { hasText: 'figs' }).first();
  await hit.waitFor({ timeout: 10_000 });
  await hit.click();
  await waitUntil('the hit conversation opens', async () => (await frame.locator('[data-testid="title"]').innerText()).includes('figs'));
  await frame.locator('[data-testid="msg-user"].flash', { hasText: 'figs' }).waitFor({ timeout: 10_000 });
  // Rename inline.
  await frame.locator('[data-testid="title"]').click();
  const input = frame.locator('.title-input');
  await input.fill('Figs, renamed');
  await input.press('Enter');
  await waitUntil('the title is renamed', async () => (await frame.locator('[data-testid="title"]').innerText()) === 'Figs, renamed');
  await frame.locator('[data-testid="history-toggle"]').click();
  await frame.locator('.history-search').fill('');
  await list.locator('.history-title', { hasText: 'Figs, renamed' }).first().waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="history-toggle"]').click();
});

// ---------------------------------------------------------------- state across hide/show, move, reload

async function fillConversation(frame: Frame, turns: number): Promise<void> {
  for (let turn = 1; turn <= turns; turn++) {
    await sendAndWait(frame, `Scroll test ${turn}: show me the markdown-demo`);
  }
}

/** Scrolls the timeline to its top and returns the first user message visible there. */
async function scrollToTop(frame: Frame): Promise<string> {
  await inPage(frame, `document.querySelector('[data-testid="timeline"]').scrollTop = 0;`);
  await frame.waitForTimeout(600);
  return firstVisibleUser(frame);
}

const FIRST_VISIBLE_USER = `
  const timeline = document.querySelector('[data-testid="timeline"]');
  const top = timeline.getBoundingClientRect().top;
  const users = Array.from(document.querySelectorAll('[data-testid="msg-user"]'));
  const visible = users.find((element) => element.getBoundingClientRect().bottom > top);
  return visible ? visible.querySelector('.user-text').textContent : '';`;

async function firstVisibleUser(frame: Frame): Promise<string> {
  return inPage<string>(frame, FIRST_VISIBLE_USER);
}

async function promptFocused(frame: Frame): Promise<boolean> {
  return inPage<boolean>(frame, `return document.activeElement !== null && document.activeElement.getAttribute('data-testid') === 'prompt';`);
}

async function atBottom(frame: Frame): Promise<boolean> {
  return inPage<boolean>(frame, `const t = document.querySelector('[data-testid="timeline"]'); return t.scrollHeight - t.scrollTop - t.clientHeight < 30;`);
}

async function expectRestored(frame: Frame, draft: string, firstVisible: string, when: string): Promise<void> {
  await waitUntil(`the draft is back ${when}`, async () => (await promptValue(frame)) === draft, 10_000);
  await frame.waitForTimeout(500);
  if (await atBottom(frame)) {
    await fail(`the scroll position was lost ${when}`);
  }
  const visible = await firstVisibleUser(frame);
  if (visible !== firstVisible) {
    await fail(`after ${when} the first visible message is "${visible}", was "${firstVisible}"`);
  }
}

test('the draft and the scroll position survive hiding the view, moving it to the panel, and reloading the window', async (page) => {
  let frame = await openChat(page);
  await newConversation(frame);
  await fillConversation(frame, 4);
  const firstVisible = await scrollToTop(frame);
  if (firstVisible === '' || (await atBottom(frame))) {
    await fail('the timeline did not scroll');
  }
  const draft = 'A draft I have not sent yet';
  await frame.locator('[data-testid="prompt"]').fill(draft);
  await page.waitForTimeout(400);

  // Hide: show the Explorer instead, then come back.
  await page.locator('.activitybar .action-item a.action-label[aria-label^="Explorer"]').click();
  await page.waitForTimeout(800);
  frame = await openChat(page);
  await expectRestored(frame, draft, firstVisible, 'hiding and showing the view');

  // Move the view to the panel.
  await runCommand(page, 'View: Move View');
  const input = page.locator('.quick-input-widget input');
  await input.fill('Chat');
  await page.waitForTimeout(500);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Chat' }).first().click();
  await page.waitForTimeout(500);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'New Panel Entry' }).first().click();
  await page.waitForTimeout(1000);
  frame = await chatFrameOn(page, 'sidebar');
  await expectRestored(frame, draft, firstVisible, 'moving the view to the panel');
  await screenshot(page, 'view-moved-to-panel');
  await runCommand(page, 'View: Reset View Locations');
  await page.waitForTimeout(1000);

  // Reload the window.
  await reloadWindow(page);
  frame = await openChat(page);
  await expectRestored(frame, draft, firstVisible, 'reloading the window');
  await clearPrompt(frame);
});

// ---------------------------------------------------------------- keyboard

test('keyboard only: focus lands in the prompt, Enter sends, Shift+Enter adds a line, Escape stops, Up edits, Tab reaches every control', async (page) => {
  let frame = await openChat(page);
  await newConversation(frame);
  await sendAndWait(frame, 'Warm-up: show me the markdown-demo');
  await runCommand(page, 'Marathon: Focus on Chat View');
  frame = await openChat(page);
  await waitUntil('the prompt has focus', async () => promptFocused(frame));
  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  if ((await promptValue(frame)) !== 'line one\nline two') {
    await fail(`Shift+Enter did not add a line: ${JSON.stringify(await promptValue(frame))}`);
  }
  for (let i = 0; i < 'line one\nline two'.length; i++) {
    await page.keyboard.press('Backspace');
  }
  await page.keyboard.type('Keyboard only: write a long essay about marathons');
  if ((await promptValue(frame)) !== 'Keyboard only: write a long essay about marathons') {
    await fail(`the prompt holds ${JSON.stringify(await promptValue(frame))}`);
  }
  await page.keyboard.press('Enter');
  await answers(frame).last().waitFor();
  await frame.locator('[data-testid="stop"]').waitFor({ timeout: 10_000 });
  await page.waitForTimeout(600);
  await page.keyboard.press('Escape');
  await frame.locator('[data-testid="msg-assistant"][data-status="stopped"]').last().waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="send"]').waitFor({ timeout: 10_000 });
  // Up in the empty box edits the last message; Enter sends the edit, which replaces it.
  await waitUntil('the prompt has focus again', async () => promptFocused(frame), 5_000).catch(
    async () => frame.locator('[data-testid="prompt"]').focus(),
  );
  await page.keyboard.press('ArrowUp');
  await waitUntil('the last message is in the box', async () => (await promptValue(frame)).startsWith('Keyboard only:'));
  await page.keyboard.press('End');
  await page.keyboard.type(' (edited)');
  await page.keyboard.press('Enter');
  await frame.locator('[data-testid="msg-user"]', { hasText: '(edited)' }).waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="stop"]').waitFor({ timeout: 10_000 });
  await page.keyboard.press('Escape');
  await frame.locator('[data-testid="send"]').waitFor({ timeout: 10_000 });
  // The conversation is short enough to be all in the page once scrolled to its top.
  await inPage(frame, `document.querySelector('[data-testid="timeline"]').scrollTop = 0;`);
  await page.waitForTimeout(500);
  const texts = await inPage<string[]>(frame, `return Array.from(document.querySelectorAll('[data-testid="msg-user"] .user-text')).map((element) => element.textContent);`);
  if (texts.filter((text) => text.startsWith('Keyboard only:')).join('|') !== 'Keyboard only: write a long essay about marathons (edited)') {
    await fail(`the edited message did not replace the original: ${JSON.stringify(texts)}`);
  }
  // Tab from the title to the end of the page: every control is reached, and focus is visible.
  await frame.locator('[data-testid="title"]').focus();
  const reached = new Set<string>();
  const unfocusable: string[] = [];
  for (let i = 0; i < 400; i++) {
    const info = await inPage<{ id: string; visible: boolean } | null>(
      frame,
      `
      const active = document.activeElement;
      if (active === null || active === document.body) {
        return null;
      }
      const style = getComputedStyle(active);
      const row = active.closest('.prompt-row');
      const outline = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
      const rowBorder = row !== null && getComputedStyle(row).borderColor !== 'rgba(0, 0, 0, 0)';
      return {
        id: active.dataset.testid || active.dataset.action || active.getAttribute('aria-label') || active.tagName,
        visible: outline || rowBorder,
      };`,
    );
    if (info === null) {
      break;
    }
    reached.add(info.id);
    if (!info.visible) {
      unfocusable.push(info.id);
    }
    await page.keyboard.press('Tab');
  }
  const expected = ['title', 'new-conversation', 'history-toggle', 'compact-now', 'export', 'open-in-editor', 'timeline', 'code-copy', 'code-insert', 'code-apply', 'msg-copy', 'effort-select', 'mode-select', 'mode-toggle', 'prompt', 'send'];
  const missing = expected.filter((id) => !reached.has(id));
  if (missing.length > 0) {
    await fail(`Tab never reached: ${missing.join(', ')} (reached ${[...reached].join(', ')})`);
  }
  if (unfocusable.length > 0) {
    await fail(`focus is not visible on: ${[...new Set(unfocusable)].join(', ')}`);
  }
});

// ---------------------------------------------------------------- errors

test('an error card says what happened and Retry fixes it: the message is kept once, retry notices collapse and leave, the card goes', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  const overloaded = { kind: 'http', status: 500, errorType: 'api_error', message: 'Internal server error' };
  await emulator('faults', { faults: [overloaded, overloaded, overloaded, overloaded, overloaded] });
  const retryNotices = frame.locator('.notice', { hasText: 'Retrying in' });
  let mostRetryNotices = 0;
  await sendPrompt(frame, 'This one fails first');
  const card = frame.locator('[data-testid="error-card"]').last();
  const deadline = Date.now() + 20_000;
  while ((await card.count()) === 0) {
    mostRetryNotices = Math.max(mostRetryNotices, await retryNotices.count());
    if (Date.now() > deadline) {
      await fail('no error card within 20 s');
    }
    await page.waitForTimeout(50);
  }
  if (mostRetryNotices > 1) {
    await fail(`the retry attempts showed ${mostRetryNotices} notices at once, not one`);
  }
  await waitUntil('the retry notice leaves once the turn has settled', async () => (await retryNotices.count()) === 0);
  // One copy only: the message stays in the timeline with Retry, and the prompt box is not refilled.
  if ((await promptValue(frame)) !== '') {
    await fail(`the failed message was also put back in the prompt box: "${await promptValue(frame)}"`);
  }
  if ((await frame.locator('[data-testid="msg-user"]', { hasText: 'This one fails first' }).count()) !== 1) {
    await fail('the failed message is not shown once in the timeline');
  }
  await screenshot(page, 'ux-error-card');
  await card.locator('[data-testid="retry"]').click();
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  await waitUntil('the error card leaves after Retry answered', async () => (await frame.locator('[data-testid="error-card"]').count()) === 0);
  if ((await retryNotices.count()) !== 0) {
    await fail('a retry notice stayed after the answer');
  }
});

// ---------------------------------------------------------------- editor tab

test('the chat opens in an editor tab beside the sidebar; both stay in sync, and the tab comes back after a reload', async (page) => {
  const sidebar = await openChat(page);
  await newConversation(sidebar);
  await sidebar.locator('[data-testid="open-in-editor"]').click();
  const editor = await chatFrameOn(page, 'editor');
  if ((await editor.locator('[data-testid="open-in-editor"]:not([hidden])').count()) !== 0) {
    await fail('the editor tab offers to open itself');
  }
  await sendAndWait(editor, 'Sent from the editor tab: hello there');
  await sidebar.locator('[data-testid="msg-user"]', { hasText: 'Sent from the editor tab' }).waitFor({ timeout: 10_000 });
  await sidebar.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 10_000 });
  await screenshot(page, 'chat-in-editor-tab');
  await reloadWindow(page);
  const restored = await chatFrameOn(page, 'editor', 60_000);
  await restored.locator('[data-testid="msg-user"]', { hasText: 'Sent from the editor tab' }).waitFor({ timeout: 20_000 });
  await runCommand(page, 'View: Close All Editors');
});

// ---------------------------------------------------------------- 2,000 messages

/** The folder where this workspace's conversations live on the code-server side. */
function conversationsFolder(): string {
  const port = new URL(process.env.MARATHON_SERVER_URL ?? workbenchUrl).port;
  const storage = path.join(resultsDir, '..', '.vscode-test', `state-${port}`, 'user-data', 'User', 'workspaceStorage');
  for (const entry of fs.readdirSync(storage)) {
    const folder = path.join(storage, entry, 'marathon-dev.marathon', 'conversations');
    // The server side describes a workspace in meta.json ({ name }), a desktop one in workspace.json.
    const descriptors = ['meta.json', 'workspace.json'].map((name) => path.join(storage, entry, name)).filter((file) => fs.existsSync(file));
    if (fs.existsSync(folder) && descriptors.some((file) => fs.readFileSync(file, 'utf8').includes(path.basename(e2eFolder)))) {
      return folder;
    }
  }
  throw new Error(`no Marathon conversations folder under ${storage}`);
}

async function renderedItems(frame: Frame): Promise<number> {
  return frame.locator('[data-testid="timeline"] .entry').count();
}

test('a 2,000-message conversation opens at its last screen, loads older messages on scrolling up, and keeps the DOM bounded', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame); // the conversations folder exists from here on
  const id = 'c-e2elong00-2000';
  const records = longConversationRecords(2000);
  fs.writeFileSync(path.join(conversationsFolder(), `${id}.jsonl`), records.map((record) => JSON.stringify(record)).join('\n') + '\n');
  await newConversation(frame); // lists the conversations again, which finds the new file
  await frame.locator('[data-testid="history-toggle"]').click();
  const row = frame.locator('.history-open', { hasText: 'Long conversation (2000 messages)' }).first();
  await row.waitFor({ timeout: 10_000 });
  const started = Date.now();
  await row.click();
  await frame.locator('[data-testid="msg-assistant"]', { hasText: 'Answer 1999.' }).waitFor({ timeout: 20_000 });
  const firstPaintMs = Date.now() - started;
  if (!(await atBottom(frame))) {
    await fail('the conversation did not open at its last screen');
  }
  const initial = await renderedItems(frame);
  let maxRendered = initial;
  // Scroll up through several pages: older messages arrive, the DOM stays bounded.
  const oldestLoaded = async () =>
    inPage<number>(
      frame,
      `return Math.min(...Array.from(document.querySelectorAll('[data-testid="msg-user"] .user-text'))
        .map((element) => Number((/Message (\\d+)/.exec(element.textContent) || [])[1])));`,
    );
  const startOldest = await oldestLoaded();
  for (let i = 0; i < 12; i++) {
    await inPage(frame, `document.querySelector('[data-testid="timeline"]').scrollTop = 0;`);
    await page.waitForTimeout(350);
    maxRendered = Math.max(maxRendered, await renderedItems(frame));
  }
  const endOldest = await oldestLoaded();
  if (!(endOldest < startOldest)) {
    await fail(`scrolling up loaded nothing older (oldest message ${startOldest} → ${endOldest})`);
  }
  if (maxRendered > 200) {
    await fail(`the DOM held ${maxRendered} messages`);
  }
  const result = { messages: 2000, firstPaintMs, initialRendered: initial, maxRendered, oldestAfterScrolling: endOldest };
  fs.writeFileSync(path.join(resultsDir, 'long-conversation-e2e.json'), JSON.stringify(result, null, 2));
  console.log(`    2,000 messages: first paint ${firstPaintMs} ms after the switch; ${initial} items rendered, at most ${maxRendered}`);
  await screenshot(page, 'long-conversation');
  // Opening a row closes the history; leave it closed for the tests after this one.
  if (await frame.locator('.history-search').isVisible()) {
    await frame.locator('[data-testid="history-toggle"]').click();
  }
  await newConversation(frame);
});

