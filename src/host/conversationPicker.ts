// "Marathon: Show Conversations": a quick pick over all conversations to switch to, rename or delete one.
import * as vscode from 'vscode';
import type { ConversationSummary } from '../shared/protocol';

export interface ConversationPickerDeps {
  list(): Promise<ConversationSummary[]>;
  activeId(): string | undefined;
  switchTo(id: string): Promise<void>;
  rename(id: string, title: string): Promise<void>;
  delete(id: string): Promise<void>;
}

type Item = vscode.QuickPickItem & { id: string };

/** Resolves when the quick pick closes. */
export async function showConversationPicker(deps: ConversationPickerDeps): Promise<void> {
  const rename: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Rename' };
  const remove: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete' };
  const pick = vscode.window.createQuickPick<Item>();
  const load = async () => {
    const list = await deps.list();
    pick.items = list.map((entry) => ({
      id: entry.id,
      label: entry.title,
      description: entry.id === deps.activeId() ? 'current' : undefined,
      detail: `${entry.messageCount} messages · ${new Date(entry.updatedAt).toLocaleString()}`,
      buttons: [rename, remove],
    }));
  };
  pick.title = 'Marathon: Conversations';
  pick.placeholder = 'Switch to a conversation, or rename or delete one';
  pick.matchOnDetail = true;
  await load();
  await new Promise<void>((resolve) => {
    pick.onDidAccept(() => {
      const chosen = pick.selectedItems[0];
      pick.hide();
      if (chosen) {
        void deps.switchTo(chosen.id);
      }
    });
    pick.onDidTriggerItemButton(async (event) => {
      if (event.button === rename) {
        const title = await vscode.window.showInputBox({ title: 'Rename conversation', value: event.item.label, validateInput: (value) => (value.trim() ? undefined : 'The title cannot be empty.') });
        if (title) {
          await deps.rename(event.item.id, title.trim());
        }
      } else {
        await deps.delete(event.item.id);
      }
      await load();
      pick.show();
    });
    pick.onDidHide(() => {
      pick.dispose();
      resolve();
    });
    pick.show();
  });
}
