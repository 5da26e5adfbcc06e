// The chat as it first meets the eye, in the sidebar at its default width: error and notice sentences
// in plain words, a header that fits, long pasted messages collapsed, pinned chips that stand out.
import type { Frame, Page } from 'playwright-core';
import { emulator, newConversation, openChat, screenshot, screenshotSidebar, sendAndWait, sendPrompt, test, waitUntil } from './harness';

async function fail(message: string): Promise<never> {
  throw new Error(message);
}

/** Runs browser code in the frame (a string: the test build has no DOM typings). */
async function inFrame<T>(frame: Frame, body: string): Promise<T> {
  return frame.evaluate<T>(`(() => { ${body} })()`);
}

test('an API message that quotes a field between backticks shows it as code, with no literal backticks', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await emulator('faults', { faults: [{ kind: 'http', status: 400, errorType: 'invalid_request_error', message: '`max_tokens`: must be at most 64000' }] });
  await sendPrompt(frame, 'Say something long');
  const message = frame.locator('[data-testid="error-card"] .error-message').last();
  await message.waitFor({ timeout: 20_000 });
  const text = await message.innerText();
  if (text.includes('`')) {
    await fail(`the error card shows literal backticks: ${text}`);
  }
  if ((await message.locator('code', { hasText: 'max_tokens' }).count()) !== 1) {
    await fail(`the quoted field is not shown as code: ${await message.innerHTML()}`);
  }
  const noticeBackticks = await inFrame<string[]>(frame, `return Array.from(document.querySelectorAll('.notice-text')).map((e) => e.textContent).filter((t) => t.includes('\`'));`);
  if (noticeBackticks.length > 0) {
    await fail(`notices show literal backticks: ${noticeBackticks.join(' | ')}`);
  }
  await screenshot(page, 'layout-error-code');
});

/** The header, the badges and the prompt as measured in the chat page. */
interface HeaderLayout {
  title: { text: string; scrollWidth: number; clientWidth: number; scrollHeight: number; clientHeight: number; width: number; bottom: number };
  rowWidth: number;
  actionsTop: number;
  demo: { visible: boolean; text: string; scrollWidth: number; clientWidth: number; wordsWidth: number };
  placeholder: { text: string; width: number; room: number };
}

function measureHeader(frame: Frame): Promise<HeaderLayout> {
  return inFrame<HeaderLayout>(
    frame,
    `
    const title = document.querySelector('[data-testid="title"]');
    const row = document.querySelector('.header-row');
    const rowStyle = getComputedStyle(row);
    const badge = document.querySelector('[data-testid="demo-badge"]');
    const words = badge.querySelector('span:not(.codicon)');
    const prompt = document.querySelector('[data-testid="prompt"]');
    const style = getComputedStyle(prompt);
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.fontStyle + ' ' + style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
    const rect = title.getBoundingClientRect();
    return {
      title: { text: title.textContent, scrollWidth: title.scrollWidth, clientWidth: title.clientWidth, scrollHeight: title.scrollHeight, clientHeight: title.clientHeight, width: rect.width, bottom: rect.bottom },
      rowWidth: row.clientWidth - parseFloat(rowStyle.paddingLeft) - parseFloat(rowStyle.paddingRight),
      actionsTop: document.querySelector('.header-actions').getBoundingClientRect().top,
      demo: { visible: badge.offsetParent !== null, text: badge.innerText, scrollWidth: badge.scrollWidth, clientWidth: badge.clientWidth, wordsWidth: words ? words.getBoundingClientRect().width : 0 },
      placeholder: { text: prompt.placeholder, width: context.measureText(prompt.placeholder).width, room: prompt.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) },
    };`,
  );
}

/** The labels of the chat view's buttons in the side bar's title bar (not its … menu). */
async function titleBarButtons(page: Page): Promise<string[]> {
  return page.evaluate<string[]>(
    `Array.from(document.querySelectorAll('.part.sidebar .composite.title .title-actions .action-label, .part.sidebar .pane-header .actions .action-label'))
      .filter((e) => e.offsetParent !== null)
      .map((e) => e.getAttribute('aria-label') || e.textContent || '')`,
  );
}

const HEADER_BUTTONS = /New Conversation|Show Conversations|Open Chat in Editor/;

test('the sidebar layout at its default width: the title has a line of its own and reads whole, the demo badge keeps its words, the placeholder fits one line, and the title bar repeats none of the header buttons', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await frame.locator('[data-testid="prompt"]').fill('');
  const sidebarWidth = await page.evaluate<number>(`document.querySelector('.part.sidebar').getBoundingClientRect().width`);
  await screenshotSidebar(page, 'layout-sidebar-empty');

  const empty = await measureHeader(frame);
  if (empty.placeholder.width > empty.placeholder.room) {
    await fail(`the placeholder "${empty.placeholder.text}" needs ${Math.ceil(empty.placeholder.width)} px, the prompt has ${Math.floor(empty.placeholder.room)} (side bar ${sidebarWidth} px)`);
  }

  // The view's title bar: nothing the header already offers; the … menu still has it all.
  const buttons = await titleBarButtons(page);
  if (buttons.some((label) => HEADER_BUTTONS.test(label))) {
    await fail(`the view's title bar repeats the header's buttons: ${JSON.stringify(buttons)}`);
  }
  await page.locator('.part.sidebar .composite.title .title-actions .action-label[aria-label*="More Actions"]').first().click();
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ timeout: 10_000 });
  await page.waitForTimeout(300); // the menu fades in
  await screenshot(page, 'layout-view-menu');
  const items = await menu.locator('.action-label').allInnerTexts();
  for (const wanted of ['New Conversation', 'Show Conversations', 'Open Chat in Editor']) {
    if (!items.some((item) => item.includes(wanted))) {
      await fail(`the view's … menu lacks ${wanted}: ${JSON.stringify(items)}`);
    }
  }
  await page.keyboard.press('Escape');

  // A conversation with a moderately long title (as the first message would give it).
  await sendAndWait(frame, 'Why does the inventory loader drop the last row of each page?');
  const title = 'Why does the inventory loader drop the last row of each page?';
  await frame.locator('[data-testid="title"]').click();
  await frame.locator('.title-input').fill(title);
  await frame.locator('.title-input').press('Enter');
  await frame.locator('[data-testid="title"]', { hasText: title }).waitFor({ timeout: 10_000 });
  const shown = await measureHeader(frame);
  await frame.locator('[data-testid="prompt"]').focus();
  await page.mouse.move(800, 400);
  await screenshotSidebar(page, 'layout-sidebar-conversation');
  if (shown.title.scrollWidth > shown.title.clientWidth || shown.title.scrollHeight > shown.title.clientHeight + 1) {
    await fail(`the title is cut: ${JSON.stringify(shown.title)} (side bar ${sidebarWidth} px)`);
  }
  if (shown.title.bottom > shown.actionsTop + 1 || shown.title.width < shown.rowWidth * 0.9) {
    await fail(`the title does not have a full line above the actions: title ${JSON.stringify(shown.title)}, row ${shown.rowWidth} px, actions at ${shown.actionsTop}`);
  }
  if (!shown.demo.visible || !shown.demo.text.includes('Demo backend') || shown.demo.wordsWidth < 20 || shown.demo.scrollWidth > shown.demo.clientWidth) {
    await fail(`the demo badge lost its words: ${JSON.stringify(shown.demo)}`);
  }
  // The meter's two switches share a line under the figures, each showing its whole label.
  const switches = await frame.evaluate<Array<{ top: number; cut: boolean }>>(
    `['effort-select', 'mode-select'].map((id) => { const e = document.querySelector('[data-testid="' + id + '"]'); const r = e.getBoundingClientRect(); return { top: Math.round(r.top), cut: e.scrollWidth > e.clientWidth }; })`,
  );
  if (switches[0]?.top !== switches[1]?.top || switches.some((entry) => entry.cut)) {
    await fail(`the effort and compaction switches do not share one line whole: ${JSON.stringify(switches)} (side bar ${sidebarWidth} px)`);
  }
});

/** Where a message's text and toggle are, and what they show. */
interface LongMessage {
  chars: number;
  hasLast: boolean;
  top: number;
  height: number;
  toggle: { text: string; expanded: string | null; focused: boolean; inView: boolean };
}

function measureMessage(frame: Frame, id: string): Promise<LongMessage> {
  return inFrame<LongMessage>(
    frame,
    `
    const message = document.querySelector('[data-testid="msg-user"][data-id="${id}"]');
    const text = message.querySelector('.user-text');
    const toggle = message.querySelector('[data-testid="long-text-toggle"]');
    const view = document.querySelector('[data-testid="timeline"]').getBoundingClientRect();
    const at = toggle.getBoundingClientRect();
    return {
      chars: text.textContent.length,
      hasLast: text.textContent.includes('line 2000:'),
      top: text.getBoundingClientRect().top,
      height: message.getBoundingClientRect().height,
      toggle: { text: toggle.innerText.trim(), expanded: toggle.getAttribute('aria-expanded'), focused: document.activeElement === toggle, inView: at.top >= view.top && at.bottom <= view.bottom },
    };`,
  );
}

/** Scrolls the timeline to its top or its end until the virtual window settles there. */
async function scrollTimeline(frame: Frame, to: 'top' | 'end', until: () => Promise<boolean>): Promise<void> {
  await waitUntil(`the timeline is scrolled to its ${to}`, async () => {
    await inFrame(frame, `const t = document.querySelector('[data-testid="timeline"]'); t.scrollTop = ${to === 'top' ? '0' : 't.scrollHeight'}; return null;`);
    await frame.waitForTimeout(100);
    return until();
  });
}

test('the layout of a long pasted message: 80 KB shows its first lines and a Show all button that expands it in place, stays open while scrolled out of the window, and collapses again; Use in prompt takes the whole text', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  const pasted = Array.from({ length: 2000 }, (_, i) => `line ${i + 1}: the quick brown fox jumps`).join('\n');
  // A long answer after it, so that scrolling to the end takes the message out of the virtual window.
  const answer = Array.from({ length: 120 }, (_, i) => `Paragraph ${i + 1} of the answer, long enough to take a couple of lines in the sidebar.`).join('\n\n');
  await emulator('script', { replies: [{ text: answer, chunks: 10 }] });
  await sendAndWait(frame, pasted);
  // The end shows the answer; the message is above, out of the window: scroll up to it.
  const users = frame.locator('[data-testid="msg-user"]');
  await scrollTimeline(frame, 'top', async () => (await users.count()) === 1);
  const id = (await users.first().getAttribute('data-id')) ?? '';
  const message = frame.locator(`[data-testid="msg-user"][data-id="${id}"]`);
  await message.scrollIntoViewIfNeeded();

  const collapsed = await measureMessage(frame, id);
  if (collapsed.toggle.text !== 'Show all (2,000 lines)' || collapsed.toggle.expanded !== 'false' || collapsed.hasLast || collapsed.chars > 1000 || collapsed.height > 400) {
    await fail(`the pasted message is not collapsed: ${JSON.stringify(collapsed)}`);
  }
  await screenshotSidebar(page, 'layout-long-collapsed');

  // Use in prompt takes the whole text, not the preview.
  await message.hover();
  await message.locator('[data-testid="msg-quote"]').click();
  const quoted = await frame.locator('[data-testid="prompt"]').inputValue();
  if (quoted.length < pasted.length || !quoted.includes('line 2000:')) {
    await fail(`Use in prompt took ${quoted.length} characters of ${pasted.length}`);
  }
  await frame.locator('[data-testid="prompt"]').fill('');

  // From the keyboard: Enter on the button expands the message in place; the focus stays on the button.
  await message.scrollIntoViewIfNeeded();
  const before = await measureMessage(frame, id);
  await message.locator('[data-testid="long-text-toggle"]').focus();
  await page.keyboard.press('Enter');
  await waitUntil('the message is expanded', async () => (await measureMessage(frame, id)).toggle.expanded === 'true');
  await frame.waitForTimeout(300);
  const expanded = await measureMessage(frame, id);
  if (!expanded.hasLast || expanded.chars < pasted.length || expanded.toggle.text !== 'Show less' || !expanded.toggle.focused) {
    await fail(`Show all did not show the whole message: ${JSON.stringify(expanded)}`);
  }
  if (Math.abs(expanded.top - before.top) > 2) {
    await fail(`expanding moved the message from ${before.top} to ${expanded.top}: it should stay in place`);
  }
  await screenshotSidebar(page, 'layout-long-expanded');

  // Out of the window and back: still expanded, at the height measured when it was expanded.
  await scrollTimeline(frame, 'end', async () => (await message.count()) === 0);
  await scrollTimeline(frame, 'top', async () => (await message.count()) === 1);
  const again = await measureMessage(frame, id);
  if (again.toggle.expanded !== 'true' || !again.hasLast || Math.abs(again.height - expanded.height) > 2) {
    await fail(`after scrolling away and back the message is ${JSON.stringify(again)}, expanded it was ${expanded.height} px high`);
  }

  // Show less, from the button that stays in view while the long text scrolls by: the button stays in view.
  await message.locator('[data-testid="long-text-toggle"]').click();
  await waitUntil('the message is collapsed', async () => (await measureMessage(frame, id)).toggle.expanded === 'false');
  await frame.waitForTimeout(300);
  const closed = await measureMessage(frame, id);
  if (closed.hasLast || closed.toggle.text !== 'Show all (2,000 lines)' || !closed.toggle.inView) {
    await fail(`Show less left ${JSON.stringify(closed)}`);
  }

  // A search hit in the hidden part opens the message whole.
  await frame.locator('[data-testid="history-toggle"]').click();
  await frame.locator('.history-search').fill('line 1999:');
  await frame.locator('[data-testid="search-hit"]').first().click();
  await waitUntil('the hit opens the message whole', async () => (await measureMessage(frame, id)).toggle.expanded === 'true');
  if (!(await measureMessage(frame, id)).hasLast) {
    await fail('the message a search hit opened does not show its hidden part');
  }
  await frame.locator('[data-testid="history-toggle"]').click();
  await frame.locator('.history-search').fill('');
  await frame.locator('[data-testid="history-toggle"]').click();
});
