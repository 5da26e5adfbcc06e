// The contributions in package.json as the Settings UI and menus show them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Property {
  type?: string;
  format?: string;
  pattern?: string;
  patternErrorMessage?: string;
  enum?: string[];
  enumDescriptions?: string[];
  default?: unknown;
}

interface MenuItem {
  command?: string;
  submenu?: string;
  when?: string;
  group?: string;
}

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  engines: Record<string, string>;
  contributes: {
    configuration: { properties: Record<string, Property> };
    commands: Array<{ command: string; title: string; category?: string }>;
    submenus?: Array<{ id: string; label: string }>;
    menus: Record<string, MenuItem[]>;
  };
};
const properties = manifest.contributes.configuration.properties;

suite('Manifest: settings as the Settings UI shows them', () => {
  test('the empty default API base URL is valid; a value that is no http(s) URL is not, with a message', () => {
    const setting = properties['marathon.apiBaseUrl'];
    assert.ok(setting);
    assert.equal(setting.format, undefined, 'format "uri" flags the empty default as "URI expected"');
    assert.ok(setting.pattern && setting.patternErrorMessage);
    const pattern = new RegExp(setting.pattern);
    assert.equal(pattern.test(String(setting.default)), true, 'the default passes');
    for (const good of ['https://api.anthropic.com', 'http://127.0.0.1:8080/v1']) {
      assert.equal(pattern.test(good), true, good);
    }
    for (const bad of ['api.anthropic.com', 'ftp://x', 'not a url']) {
      assert.equal(pattern.test(bad), false, bad);
    }
  });

  test('every setting with options describes each option', () => {
    for (const [key, setting] of Object.entries(properties)) {
      if (setting.enum) {
        assert.equal(setting.enumDescriptions?.length, setting.enum.length, `${key} describes each of its options`);
      }
    }
  });

  test('no setting sits under another setting (VS Code ignores the inner one when both are set)', () => {
    const keys = Object.keys(properties);
    for (const key of keys) {
      assert.deepEqual(keys.filter((other) => other.startsWith(`${key}.`) && properties[key]?.type !== 'object'), [], `${key} has no settings under it`);
    }
  });

  test('the Node version is declared', () => {
    assert.match(manifest.engines['node'] ?? '', /20\.19/);
  });
});

suite('Manifest: menus as VS Code shows them', () => {
  const menus = manifest.contributes.menus;

  test("the chat view's title bar shows no button: the chat's own header has them, the rest is in its … menu", () => {
    const viewTitle = menus['view/title'] ?? [];
    const chatItems = viewTitle.filter((item) => item.when?.includes('view == marathon.chat'));
    assert.deepEqual(
      chatItems.filter((item) => item.group?.startsWith('navigation')).map((item) => item.command),
      [],
      'items in the navigation group are buttons in the title bar',
    );
    for (const command of ['marathon.newConversation', 'marathon.showConversations', 'marathon.openInEditor', 'marathon.compactNow', 'marathon.exportConversation', 'marathon.setApiKey']) {
      assert.ok(chatItems.some((item) => item.command === command), `${command} is still in the view's … menu`);
    }
  });

  test("the editor's context menu holds one Marathon submenu with Add File, Add Selection and Explain Selection", () => {
    const editorContext = menus['editor/context'] ?? [];
    assert.equal(editorContext.filter((item) => item.command?.startsWith('marathon.')).length, 0, 'no Marathon command sits bare in the context menu');
    const entries = editorContext.filter((item) => item.submenu !== undefined);
    assert.equal(entries.length, 1);
    const id = entries[0]?.submenu ?? '';
    assert.equal(manifest.contributes.submenus?.find((submenu) => submenu.id === id)?.label, 'Marathon');
    const items = menus[id] ?? [];
    assert.deepEqual(
      items.map((item) => item.command),
      ['marathon.addFileToChat', 'marathon.addSelectionToChat', 'marathon.explainSelection'],
    );
    const titles = items.map((item) => manifest.contributes.commands.find((command) => command.command === item.command)?.title);
    assert.deepEqual(titles, ['Add File to Chat', 'Add Selection to Chat', 'Explain Selection']);
    // The submenu shows wherever one of its items would.
    for (const item of items) {
      for (const clause of (item.when ?? '').split('||').map((part) => part.trim())) {
        assert.ok(entries[0]?.when?.includes(clause), `the submenu shows when ${clause}`);
      }
    }
  });

  test('every menu item names a contributed command or submenu', () => {
    const commands = new Set(manifest.contributes.commands.map((command) => command.command));
    const submenus = new Set((manifest.contributes.submenus ?? []).map((submenu) => submenu.id));
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) {
        assert.ok(item.command === undefined ? submenus.has(item.submenu ?? '') : commands.has(item.command), `${menu}: ${item.command ?? item.submenu}`);
      }
    }
  });
});
