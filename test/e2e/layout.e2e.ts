// The chat as it first meets the eye, in the sidebar at its default width: error and notice sentences
// in plain words, a header that fits, long pasted messages collapsed, pinned chips that stand out.
import type { Frame } from 'playwright-core';
import { emulator, newConversation, openChat, screenshot, sendPrompt, test } from './harness';

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
