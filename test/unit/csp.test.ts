// The chat page's Content Security Policy, read from the page the host serves (`renderHtml` builds it
// with `chatPageHtml`): scripts only by nonce, nothing inline, nothing remote, no network.
import * as assert from 'node:assert/strict';
import { chatPageHtml } from '../../src/host/webviewHtml';

/** Directive name → its sources, from a policy string. */
function parsePolicy(policy: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) {
      assert.ok(!directives.has(name), `${name} appears once`);
      directives.set(name, sources);
    }
  }
  return directives;
}

suite('Webview Content Security Policy', () => {
  const nonce = 'q1w2e3r4t5y6u7i8o9p0aA==';
  const cspSource = 'https://example.vscode-cdn.net';
  const html = chatPageHtml({ nonce, cspSource, asset: (name) => `${cspSource}/dist/webview/${name}`, surface: 'sidebar' });
  const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '';
  const directives = parsePolicy(policy);

  test('the page declares one policy, and each of its scripts is an asset that carries the nonce', () => {
    assert.equal(html.match(/Content-Security-Policy/g)?.length, 1);
    assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`]);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length > 0, 'the page loads its script');
    for (const [, attributes = '', body = ''] of scripts) {
      assert.ok(attributes.includes(`nonce="${nonce}"`), `a script without the nonce: ${attributes}`);
      assert.match(attributes, new RegExp(`src="${cspSource}/dist/webview/`), 'scripts come from the webview assets');
      assert.equal(body.trim(), '', 'no inline script');
    }
  });

  test('scripts run only by nonce: no unsafe-inline, no unsafe-eval, no hosts', () => {
    assert.deepEqual(directives.get('script-src'), [`'nonce-${nonce}'`]);
    assert.ok(!/unsafe-inline|unsafe-eval|unsafe-hashes|wasm-unsafe-eval|strict-dynamic/.test(policy), policy);
    assert.ok(!policy.includes('*'), 'no wildcard source');
  });

  test('everything else is closed: default none, no network, assets only from the webview origin', () => {
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('connect-src'), ["'none'"]);
    assert.deepEqual(directives.get('style-src'), [cspSource]);
    assert.deepEqual(directives.get('font-src'), [cspSource]);
    assert.deepEqual(directives.get('img-src'), [cspSource, 'data:']);
    assert.deepEqual([...directives.keys()].sort(), ['connect-src', 'default-src', 'font-src', 'img-src', 'script-src', 'style-src']);
  });

  test('every script element carries the nonce and loads a file; there is no inline script or handler', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    for (const [, attributes, body] of scripts) {
      assert.match(attributes ?? '', new RegExp(`nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`));
      assert.match(attributes ?? '', /src="[^"]+\/main\.js"/);
      assert.equal(body?.trim(), '');
    }
    assert.ok(!/\son[a-z]+=/i.test(html), 'no inline event handler');
    assert.ok(!/\sstyle=/i.test(html), 'no inline style');
  });
});
