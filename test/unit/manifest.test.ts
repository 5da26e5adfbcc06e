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

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as {
  engines: Record<string, string>;
  contributes: { configuration: { properties: Record<string, Property> } };
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
