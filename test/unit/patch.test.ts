// Unified diffs from the chat: recognising them, reading the files they name, applying their hunks,
// and refusing hunks that do not fit.
import * as assert from 'node:assert/strict';
import { applyFilePatch, isUnifiedDiff, parseUnifiedDiff, type FilePatch } from '../../src/host/patch';

const FILE = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';
const DIFF = '--- a/src/x.ts\n+++ b/src/x.ts\n@@ -1,3 +1,3 @@\n export const a = 1;\n-export const b = 2;\n+export const b = 20;\n export const c = 3;\n';

function only(code: string): FilePatch {
  const parsed = parseUnifiedDiff(code);
  assert.ok('files' in parsed, 'refused' in parsed ? parsed.refused : '');
  assert.equal(parsed.files.length, 1);
  return parsed.files[0]!;
}

suite('Unified diffs for Apply', () => {
  test('a diff fence or a diff-shaped block is a diff; ordinary code is not', () => {
    assert.equal(isUnifiedDiff(DIFF, 'diff'), true);
    assert.equal(isUnifiedDiff(DIFF, undefined), true);
    assert.equal(isUnifiedDiff(DIFF, 'ts'), true);
    assert.equal(isUnifiedDiff('export const a = 1;\n', 'ts'), false);
    assert.equal(isUnifiedDiff('- a list item\n+ another\n', 'markdown'), false);
  });

  test('the file comes from +++ b/… without its prefix, and the hunks apply as a patch', () => {
    const file = only(DIFF);
    assert.equal(file.path, 'src/x.ts');
    assert.deepEqual(applyFilePatch(FILE, file), { text: FILE.replace('b = 2', 'b = 20') });
  });

  test('wrong line numbers and counts in hunk headers still apply where the context fits', () => {
    const file = only('--- a/x.ts\n+++ b/x.ts\n@@ -7,9 +7,1 @@\n export const b = 2;\n-export const c = 3;\n+export const c = 30;\n');
    assert.deepEqual(applyFilePatch(FILE, file), { text: FILE.replace('c = 3', 'c = 30') });
  });

  test('hunk headers without line numbers (@@ @@, @@ ... @@) are found by their context', () => {
    const file = only('--- a/x.ts\n+++ b/x.ts\n@@ ... @@\n export const b = 2;\n-export const c = 3;\n+export const c = 30;\n');
    assert.deepEqual(applyFilePatch(FILE, file), { text: FILE.replace('c = 3', 'c = 30') });
  });

  test('an empty line inside a hunk is a context line whose space was trimmed', () => {
    const source = 'a\n\nb\n';
    const file = only('--- a/t.txt\n+++ b/t.txt\n@@ -1,3 +1,3 @@\n a\n\n-b\n+B\n');
    assert.deepEqual(applyFilePatch(source, file), { text: 'a\n\nB\n' });
  });

  test('hunks that do not match the file are refused, naming the hunk; nothing is half applied', () => {
    const two = '--- a/src/x.ts\n+++ b/src/x.ts\n@@ -1 +1 @@\n-export const a = 1;\n+export const a = 10;\n@@ -3 +3 @@\n-export const c = 999;\n+export const c = 30;\n';
    const result = applyFilePatch(FILE, only(two));
    assert.ok('refused' in result);
    assert.match(result.refused, /does not match src\/x\.ts: hunk 2 of 2 \(near line 3\)/);
    assert.match(result.refused, /Nothing was changed/);
  });

  test('a multi-file diff gives one patch per file; new and deleted files are marked', () => {
    const parsed = parseUnifiedDiff(DIFF + '--- /dev/null\n+++ b/src/new.ts\n@@ -0,0 +1,1 @@\n+export const n = 1;\n--- a/src/old.ts\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n');
    assert.ok('files' in parsed);
    assert.deepEqual(parsed.files.map((f) => [f.path, f.isNew, f.isDelete]), [['src/x.ts', false, false], ['src/new.ts', true, false], ['src/old.ts', false, true]]);
    assert.deepEqual(applyFilePatch('', parsed.files[1]!), { text: 'export const n = 1;\n' });
  });

  test('a diff that cannot be read, or has no hunks, is refused with a message', () => {
    const garbled = parseUnifiedDiff('--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n?what\n');
    assert.ok('refused' in garbled && /could not be read/.test(garbled.refused), JSON.stringify(garbled));
    const empty = parseUnifiedDiff('--- a/x\n+++ b/x\n');
    assert.ok('refused' in empty && /no hunks/.test(empty.refused));
  });

  test('a file with Windows line endings takes a diff written with Unix ones', () => {
    const result = applyFilePatch(FILE.replace(/\n/g, '\r\n'), only(DIFF));
    assert.deepEqual(result, { text: FILE.replace('b = 2', 'b = 20').replace(/\n/g, '\r\n') });
  });
});
