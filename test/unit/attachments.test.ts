import * as assert from 'node:assert/strict';
import {
  allowedInUntrusted,
  decodeText,
  delimit,
  editorsAttachment,
  fileAttachment,
  folderAttachment,
  formatBytes,
  gitChangesAttachment,
  isBinary,
  isInside,
  languageForPath,
  locationLabel,
  numberedExcerpt,
  problemsAttachment,
  selectionAttachment,
  severityName,
  stripAnsi,
  tailText,
  terminalAttachment,
  tooLargeProblem,
  truncateUtf8,
} from '../../src/core/attachments';
import type { StoredBlock } from '../../src/core/records';

const text = (block: StoredBlock) => String(block.text);

suite('attachment blocks', () => {
  test('a file is one delimited block naming its path and language, and its chip shows the path and tokens', () => {
    const { block, summary } = fileAttachment({ path: 'src/a.ts', language: 'typescript', text: 'const a = 1;\n' });
    assert.equal(text(block), '<file path="src/a.ts" language="typescript">\nconst a = 1;\n</file>');
    assert.equal(summary.kind, 'file');
    assert.equal(summary.label, 'src/a.ts');
    assert.ok(summary.tokens > 0);
    assert.equal(summary.pinned, undefined);
  });

  test('a multi-root workspace names the root in the block and the label', () => {
    const { block, summary } = fileAttachment({ path: 'src/a.ts', root: 'api', text: 'x' });
    assert.match(text(block), /^<file path="src\/a.ts" root="api">/);
    assert.equal(summary.label, 'api/src/a.ts');
    assert.equal(locationLabel({ path: 'b.ts' }), 'b.ts');
  });

  test('a truncated file says how much of it was attached', () => {
    const { block, summary } = fileAttachment({ path: 'big.log', text: 'head\n', truncated: { shownBytes: 5, totalBytes: 9000 } }, true);
    assert.match(text(block), /truncated="first 5 of 9000 bytes"/);
    assert.equal(summary.truncated, true);
    assert.equal(summary.pinned, true);
  });

  test('a closing tag inside the text cannot end the block early, and attributes are escaped', () => {
    const wrapped = delimit('file', { path: 'a "quoted" <name>.md' }, 'before </file> after');
    assert.equal(wrapped, '<file path="a &quot;quoted&quot; &lt;name&gt;.md">\nbefore <\\/file> after\n</file>');
    assert.equal(wrapped.match(/<\/file>/g)?.length, 1);
  });

  test('a selection carries its line range, in the block and on the chip', () => {
    const { block, summary } = selectionAttachment({ path: 'src/a.ts', language: 'typescript', startLine: 3, endLine: 7, text: 'let x;' });
    assert.match(text(block), /^<selection path="src\/a.ts" language="typescript" lines="3-7">\nlet x;\n<\/selection>$/);
    assert.equal(summary.label, 'src/a.ts:3-7');
    assert.equal(selectionAttachment({ path: 'a', startLine: 4, endLine: 4, text: 'y' }).summary.label, 'a:4');
  });

  test('a folder is listed as a tree, directories first, and cut after 500 files', () => {
    const { block, summary } = folderAttachment({ path: 'src', entries: ['z.ts', 'lib/b.ts', 'a.ts', 'lib/deep/c.ts'] });
    assert.equal(text(block), '<folder path="src" files="4">\nlib/\n  deep/\n    c.ts\n  b.ts\na.ts\nz.ts\n</folder>');
    assert.equal(summary.label, 'src/');
    const many = folderAttachment({ path: '', root: 'app', entries: Array.from({ length: 520 }, (_, i) => `f${String(i).padStart(3, '0')}.ts`) });
    assert.match(text(many.block), /… and 20 more files/);
    assert.equal(many.summary.truncated, true);
    assert.equal(many.summary.label, 'app/');
  });

  test('problems carry message, severity, position and source, most severe first', () => {
    const { block, summary } = problemsAttachment('the workspace', [
      { path: 'b.ts', line: 2, column: 1, severity: 'warning', message: 'Unused variable', source: 'ts', code: '6133' },
      { path: 'a.ts', line: 9, column: 5, severity: 'error', message: 'Type mismatch' },
    ]);
    const body = text(block);
    assert.match(body, /^<problems scope="the workspace" count="2">/);
    assert.ok(body.indexOf('Type mismatch') < body.indexOf('Unused variable'), 'errors come first');
    assert.match(body, /<problem path="b.ts" line="2" column="1" severity="warning" source="ts 6133">\nUnused variable\n<\/problem>/);
    assert.equal(summary.label, 'Problems in the workspace (2)');
    const one = problemsAttachment('a.ts', [{ path: 'a.ts', line: 9, column: 5, severity: 'error', message: 'Bad', excerpt: '> 9 | x' }]);
    assert.equal(one.summary.label, 'a.ts:9 error');
    assert.match(text(one.block), /Bad\n\n> 9 \| x/);
  });

  test('numbered excerpts mark the problem line and stay within the file', () => {
    const lines = ['one', 'two', 'three', 'four'];
    assert.equal(numberedExcerpt(lines, 0, 3, 2), ' 1 | one\n>2 | two\n 3 | three');
    assert.equal(numberedExcerpt(lines, 3, 99), ' 3 | three\n 4 | four');
  });

  test('diagnostic severities map from VS Code numbers', () => {
    assert.deepEqual([0, 1, 2, 3, 9].map(severityName), ['error', 'warning', 'information', 'hint', 'information']);
  });

  test('open editors are one attachment of file blocks, saying which could not be attached', () => {
    const { block, summary } = editorsAttachment([{ path: 'a.ts', text: 'a' }, { path: 'b.ts', text: 'b' }], ['big.bin is a binary file']);
    assert.match(text(block), /^<editors count="2">\n<file path="a.ts">\na\n<\/file>\n<file path="b.ts">\nb\n<\/file>\nNot attached: big.bin is a binary file\n<\/editors>$/);
    assert.equal(summary.label, 'Open editors (2)');
  });

  test('a terminal command carries the command line, exit code and output', () => {
    const { block, summary } = terminalAttachment({ terminal: 'bash', command: 'npm test', exitCode: 1, output: '1 failing' });
    assert.equal(text(block), '<terminal name="bash" command="npm test" exit-code="1">\n$ npm test\n1 failing\n</terminal>');
    assert.equal(summary.label, 'Terminal: npm test');
  });

  test('git changes hold the status and the diff of each repository', () => {
    const { block, summary } = gitChangesAttachment([{ status: ' M a.ts\n?? b.ts\n', diff: 'diff --git a/a.ts b/a.ts\n' }]);
    assert.match(text(block), /^<git-changes>\n<repository>\n M a.ts\n\?\? b.ts\n\ndiff --git/);
    assert.equal(summary.label, 'Git changes (2 files)');
  });
});

suite('attachment limits', () => {
  test('a NUL byte in the first 8,000 bytes makes a file binary; UTF-8 and UTF-16 text are not', () => {
    assert.equal(isBinary(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01])), true);
    assert.equal(isBinary(new TextEncoder().encode('plain text — ünïcode')), false);
    assert.equal(isBinary(new Uint8Array([0xff, 0xfe, 0x61, 0x00])), false);
    const late = new Uint8Array(9000).fill(0x61);
    late[8500] = 0;
    assert.equal(isBinary(late), false, 'only the start is looked at');
  });

  test('text decodes from UTF-8 without its BOM and from UTF-16', () => {
    assert.equal(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, 0x68, 0x69])), 'hi');
    assert.equal(decodeText(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00])), 'hi');
  });

  test('truncation ends at a line break and never inside a character', () => {
    const bytes = new TextEncoder().encode('line one\nline two\nline three\n');
    assert.equal(new TextDecoder().decode(truncateUtf8(bytes, 22)), 'line one\nline two\n');
    const accents = new TextEncoder().encode('ééééé'); // two bytes each, no line break
    const cut = truncateUtf8(accents, 5);
    assert.equal(cut.length, 4);
    assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(cut), 'éé');
    assert.equal(truncateUtf8(bytes, 1000), bytes);
  });

  test('an oversized file is refused with its size and the limit, offering the first part', () => {
    const problem = tooLargeProblem('logs/big.log', 3 * 1024 * 1024, 256 * 1024);
    assert.equal(problem.reason, 'tooLarge');
    assert.equal(problem.canTruncate, true);
    assert.match(problem.message, /logs\/big.log is 3 MiB, over the 256 KiB limit \(marathon.context.maxFileBytes\)/);
    assert.equal(formatBytes(512), '512 bytes');
    assert.equal(formatBytes(1536), '1.5 KiB');
  });

  test('containment compares whole path segments', () => {
    assert.equal(isInside('/ws', '/ws/src/a.ts'), true);
    assert.equal(isInside('/ws', '/ws'), true);
    assert.equal(isInside('/ws/', '/ws/a'), true);
    assert.equal(isInside('/ws', '/ws-other/a.ts'), false);
    assert.equal(isInside('/ws', '/etc/passwd'), false);
    assert.equal(isInside('C:\\Work', 'c:\\work\\a.ts', '\\', true), true);
  });

  test('only attachments that run a program are refused in Restricted Mode', () => {
    assert.equal(allowedInUntrusted('gitChanges'), false);
    for (const kind of ['file', 'selection', 'folder', 'problems', 'editors', 'terminal'] as const) {
      assert.equal(allowedInUntrusted(kind), true, kind);
    }
  });

  test('terminal output loses its escape sequences and keeps its end', () => {
    assert.equal(stripAnsi('\u001b[31mred\u001b[0m \u001b]633;C\u0007done'), 'red done');
    const long = Array.from({ length: 100 }, (_, i) => `line ${i}`).join('\n');
    const tail = tailText(long, 50);
    assert.equal(tail.truncated, true);
    assert.ok(tail.text.endsWith('line 99'));
    assert.ok(tail.text.startsWith('line '), 'cut at a line start');
    assert.deepEqual(tailText('short', 50), { text: 'short', truncated: false });
  });

  test('languages come from file names for files not open in an editor', () => {
    assert.equal(languageForPath('src/a.ts'), 'typescript');
    assert.equal(languageForPath('deep/Dockerfile'), 'dockerfile');
    assert.equal(languageForPath('README.MD'), 'markdown');
    assert.equal(languageForPath('.gitignore'), undefined);
  });
});

suite('attachments in exports', () => {
  test('an export shows what the user typed and names the attachments, without their text', async () => {
    const { transcriptMarkdown } = await import('../../src/core/transcript');
    const markdown = transcriptMarkdown('T', [
      {
        v: 1,
        kind: 'user',
        id: 'u1',
        at: 0,
        content: [fileAttachment({ path: 'src/a.ts', text: 'const secretish = 1;' }).block, { type: 'text', text: 'Explain it' }],
        attachments: [{ kind: 'file', label: 'src/a.ts', tokens: 9 }],
      },
    ]);
    assert.match(markdown, /Explain it\n\n_Attached: `src\/a.ts`_/);
    assert.ok(!markdown.includes('const secretish'));
  });
});
