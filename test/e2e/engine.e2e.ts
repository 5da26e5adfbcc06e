// The conversation engine seen from the UI: compactions happen during a real chat and survive a reload.
import { reloadWindow, emulator, newConversation, openChat, screenshot, sendAndWait, test } from './harness';

test('a conversation goes through two compactions and keeps them, and its messages, after a reload', async (page) => {
  let frame = await openChat(page);
  await newConversation(frame);
  // Inflate the emulator's token count so the default 150,000-token trigger is reached in a few turns.
  await emulator('config', { tokenMultiplier: 400 });
  try {
    for (let turn = 1; turn <= 7; turn++) {
      await sendAndWait(frame, `Turn ${turn}: let us keep working on the inventory module together.`);
      if ((await frame.locator('[data-testid="msg-compaction"]').count()) >= 2) {
        break;
      }
    }
  } finally {
    await emulator('config', { tokenMultiplier: 1 });
  }
  const markers = await frame.locator('[data-testid="msg-compaction"]').count();
  if (markers < 2) {
    throw new Error(`expected two compaction markers, saw ${markers}`);
  }
  await screenshot(page, '06-two-compactions');
  await reloadWindow(page);
  frame = await openChat(page);
  await frame.locator('[data-testid="msg-user"]', { hasText: 'Turn 1:' }).first().waitFor({ timeout: 20_000 }).catch(async () => {
    // The newest screen is shown first; older turns load on scrolling up.
    await frame.locator('[data-testid="msg-user"]').last().waitFor({ timeout: 5_000 });
  });
  const after = await frame.locator('[data-testid="msg-compaction"]').count();
  if (after < 2) {
    throw new Error(`after the reload ${after} compaction markers are shown`);
  }
  await screenshot(page, '07-compactions-after-reload');
});
