// The demo backend's scenes: each prompt the empty state offers gets its scripted scene from the
// emulator, the agent scene walks through an edit and a command, and Fix with Marathon gets a diff
// that applies to the file.
import * as assert from 'node:assert/strict';
import { applyFilePatch, parseUnifiedDiff } from '../../src/host/patch';
import { DEMO_SCENES } from '../../src/webview/demoScenes';
import { sceneOf, scenePlan } from '../emulator/scenes';
import type { Message } from '../emulator/types';

const TOOLS = ['read_file', 'edit_file', 'run_command'];
const user = (text: string): Message => ({ role: 'user', content: [{ type: 'text', text }] });
const textOf = (plan: ReturnType<typeof scenePlan>) => plan?.pieces.join('') ?? '';

function diffIn(text: string): string {
  const match = /```diff\n([\s\S]*?)```/.exec(text);
  assert.ok(match?.[1], 'the answer holds a ```diff block');
  return match[1];
}

suite('Demo scenes', () => {
  test('every scene the empty state offers is one the emulator plays', () => {
    assert.deepEqual(DEMO_SCENES.map((scene) => sceneOf(scene.prompt)), DEMO_SCENES.map((scene) => scene.id));
    assert.equal(scenePlan([user('Hello there')], TOOLS, 0), undefined, 'other prompts get the ordinary reply');
  });

  test('the code scene answers with a code block naming the file, for Apply', () => {
    const text = textOf(scenePlan([user(DEMO_SCENES.find((s) => s.id === 'code')!.prompt)], [], 0));
    assert.match(text, /```ts src\/inventory\.ts\n[\s\S]*totalQuantity[\s\S]*```/);
  });

  test('the agent scene asks for an edit, then a command, then sums up; in Ask mode it says to switch', () => {
    const prompt = user(DEMO_SCENES.find((s) => s.id === 'agent')!.prompt);
    const first = scenePlan([prompt], TOOLS, 0);
    assert.equal(first?.toolUses[0]?.name, 'edit_file');
    assert.equal(first?.stopReason, 'tool_use');
    const result = (id: string, isError = false): Message => ({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: 'ok', is_error: isError }] });
    const call = (id: string): Message => ({ role: 'assistant', content: [{ type: 'tool_use', id, name: 'x', input: {} }] });
    const second = scenePlan([prompt, call('t1'), result('t1')], TOOLS, 0);
    assert.equal(second?.toolUses[0]?.name, 'run_command');
    const last = scenePlan([prompt, call('t1'), result('t1'), call('t2'), result('t2', true)], TOOLS, 0);
    assert.equal(last?.toolUses.length, 0);
    assert.match(textOf(last), /command was refused or failed/);
    assert.match(textOf(scenePlan([prompt], [], 0)), /needs \*\*Agent mode\*\*/);
  });

  test('the fix scene answers with a diff that applies to the sample file', () => {
    const sample = 'export interface Item {\n  sku: string;\n  name: string;\n  quantity: number;\n}\n\nexport function restock(items: Item[], sku: string, amount: number): Item[] {\n  return items.map((item) => (item.sku === sku ? { ...item, quantity: item.quantity + amount } : item));\n}\n\nexport function lowStock(items: Item[], threshold = 5): Item[] {\n  return items.filter((item) => item.quantity < threshold);\n}\n';
    const parsed = parseUnifiedDiff(diffIn(textOf(scenePlan([user(DEMO_SCENES.find((s) => s.id === 'fix')!.prompt)], [], 0))));
    assert.ok('files' in parsed);
    const result = applyFilePatch(sample, parsed.files[0]!);
    assert.ok('text' in result && result.text.includes('item.quantity <= threshold'));
  });

  test('Fix with Marathon on any problem gets a diff built from the problem excerpt that applies', () => {
    const prompt = '<problem path="src/a.ts" line="2">Cannot find name x.\n\n   1 | const a = 1;\n>  2 | const b = x;\n   3 | </problem>\nFix this problem in src/a.ts (line 2): Cannot find name x.\nReply with the fix as a unified diff in a ```diff block that I can apply to the file, then explain it in a sentence or two.';
    const parsed = parseUnifiedDiff(diffIn(textOf(scenePlan([user(prompt)], [], 0))));
    assert.ok('files' in parsed);
    assert.equal(parsed.files[0]?.path, 'src/a.ts');
    assert.deepEqual(applyFilePatch('const a = 1;\nconst b = x;\n', parsed.files[0]), { text: 'const a = 1;\n// TODO (demo fix): Cannot find name x.\nconst b = x;\n' });
  });
});
