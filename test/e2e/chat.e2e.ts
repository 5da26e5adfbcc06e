// The basic chat flow: open the view, send, stream, stop, reload.
import { reloadWindow, newConversation, openChat, screenshot, sendAndWait, sendPrompt, emulator, test } from './harness';

test('the Marathon view opens with the demo backend badge and an empty state', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await frame.locator('[data-testid="demo-badge"]').waitFor({ timeout: 10_000 });
  await screenshot(page, '01-empty-state');
});

test('a message sent with Enter streams an answer into the chat', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await emulator('config', { chunkDelayMs: 15 });
  await sendPrompt(frame, 'How do I reverse a list in Python?');
  const user = frame.locator('[data-testid="msg-user"]').last();
  await user.waitFor();
  if (!(await user.innerText()).includes('reverse a list')) {
    throw new Error('the user message is not shown');
  }
  // While streaming, the answer grows; then it is marked done.
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  await answer.waitFor();
  await frame.locator('[data-testid="msg-assistant"][data-status="done"]').last().waitFor({ timeout: 20_000 });
  const text = await answer.innerText();
  if (!text.includes('You said')) {
    throw new Error(`unexpected answer: ${text.slice(0, 200)}`);
  }
  await emulator('config', { chunkDelayMs: 0 });
  await screenshot(page, '02-streamed-answer');
});

test('markdown answers render code blocks with a language label and actions', async (page) => {
  const frame = await openChat(page);
  await sendAndWait(frame, 'Show me the markdown-demo please');
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  await answer.locator('pre code').first().waitFor();
  await answer.locator('[data-testid="code-copy"]').first().waitFor();
  if ((await answer.locator('table').count()) === 0) {
    throw new Error('the markdown table did not render');
  }
  await screenshot(page, '03-markdown');
});

test('Stop ends a long answer and keeps what arrived', async (page) => {
  const frame = await openChat(page);
  await newConversation(frame);
  await sendPrompt(frame, 'Write a long essay about marathons');
  const answer = frame.locator('[data-testid="msg-assistant"]').last();
  await answer.waitFor();
  await frame.locator('[data-testid="stop"]').waitFor({ timeout: 10_000 });
  // Let some text arrive first.
  const deadline = Date.now() + 10_000;
  while ((await answer.innerText()).length < 40 && Date.now() < deadline) {
    await page.waitForTimeout(100);
  }
  await frame.locator('[data-testid="stop"]').click();
  await frame.locator('[data-testid="msg-assistant"][data-status="stopped"]').last().waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="send"]').waitFor({ timeout: 10_000 });
  if ((await answer.innerText()).length < 20) {
    throw new Error('the partial answer was not kept');
  }
  await screenshot(page, '04-stopped');
});

test('the conversation is still there after reloading the window', async (page) => {
  let frame = await openChat(page);
  await newConversation(frame);
  await sendAndWait(frame, 'Remember the word persimmon');
  await reloadWindow(page);
  frame = await openChat(page);
  await frame.locator('[data-testid="msg-user"]', { hasText: 'persimmon' }).waitFor({ timeout: 20_000 });
  const title = await frame.locator('[data-testid="title"]').innerText();
  if (!title.includes('Remember the word')) {
    throw new Error(`the conversation title is "${title}" after the reload`);
  }
  await screenshot(page, '05-after-reload');
});

