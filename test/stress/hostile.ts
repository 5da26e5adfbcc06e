// Hostile text for the webview: what a model, a compaction summary, a file name or an error text could
// carry to make the chat run script, load something, navigate, or break its layout. Every payload that
// could execute calls `__xss(<case id>)` (or `alert`), so an execution is caught and traced to its case.
import { between, pick } from './random';

/** A payload template; `X` becomes a call that reports case `id` if it ever runs. */
type Template = (X: string, id: number) => string;

/** Payloads aimed at script execution, loads, navigation and DOM clobbering. */
const EXECUTION: Template[] = [
  (X) => `<script>${X}</script>`,
  (X) => `<img src=x onerror="${X}">`,
  (_X, id) => `<img src="/pwned/${id}.png">`,
  (X) => `<svg onload="${X}"><circle r="5"/></svg>`,
  (X) => `<svg><script>${X}</script></svg>`,
  (X) => `<svg><a xlink:href="javascript:${X}"><text x="0" y="10">svg link</text></a></svg>`,
  (X) => `<svg><animate onbegin="${X}" attributeName="x" dur="1s"/></svg>`,
  (X) => `<svg><foreignObject><iframe src="javascript:${X}"></iframe></foreignObject></svg>`,
  (X) => `<iframe src="javascript:${X}"></iframe>`,
  (X) => `<iframe srcdoc="<script>parent.${X}</script>"></iframe>`,
  (X) => `<a href="javascript:${X}">click me</a>`,
  (X) => `[click me](javascript:${X})`,
  (X) => `[click me](JaVaScRiPt:${X})`,
  (X) => `[click me](  javascript:${X})`,
  (X) => `[click me](&#106;avascript:${X})`,
  (X) => `[click me](java\tscript:${X})`,
  (X) => `<javascript:${X}>`,
  (X) => `[click me][ref]\n\n[ref]: javascript:${X}`,
  (X) => `[data link](data:text/html;base64,${Buffer.from(`<script>${X}</script>`).toString('base64')})`,
  (X) => `<a href="data:text/html,<script>${X}</script>">data link</a>`,
  (X) => `![svg image](data:image/svg+xml;base64,${Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" onload="${X}"/>`).toString('base64')})`,
  (_X, id) => `![remote image](https://evil.example/${id}.png)`,
  (_X, id) => `![same-origin image](/pwned/${id}.png)`,
  (_X, id) => `<link rel="stylesheet" href="/pwned/${id}.css">`,
  (X) => `<meta http-equiv="refresh" content="0;url=javascript:${X}">`,
  (_X, id) => `<meta http-equiv="refresh" content="0;url=/pwned/${id}">`,
  (X) => `<base href="javascript:${X}//">[relative](a)`,
  (X) => `<form action="javascript:${X}"><button>go</button></form>`,
  (X) => `<button formaction="javascript:${X}">go</button>`,
  (X) => `<object data="javascript:${X}"></object><embed src="javascript:${X}">`,
  (X) => `<math><mtext><table><mglyph><style><img src=x onerror="${X}">`,
  (X) => `<noscript><p title="</noscript><img src=x onerror=${X}>">`,
  (X) => `<form><math><mtext></form><form><mglyph><style></math><img src onerror=${X}>`,
  (X) => `<details open ontoggle="${X}"><summary>s</summary></details>`,
  (X) => `<body onload="${X}">`,
  (X) => `<input autofocus onfocus="${X}">`,
  (X) => `<textarea autofocus onfocus="${X}"></textarea>`,
  (X) => `<video><source onerror="${X}"></video><audio src=x onerror="${X}"></audio>`,
  (X) => `<marquee onstart="${X}">m</marquee>`,
  (X) => `<template><script>${X}</script></template>`,
  (X) => `<scr<script>ipt>${X}</script>`,
  (X) => `<<script>script>${X}<</script>/script>`,
  (X) => `<img src=x:x onerror=${X}//`,
  (X) => `<a href="https://example.com" onclick="${X}" onmouseover="${X}">looks fine</a>`,
  (X) => `[title trick](https://example.com "t\\" onmouseover=\\"${X}")`,
  (X) => `<a href="vbscript:${X}">vb</a>`,
  () => `[a file](file:///etc/passwd) <a href="file:///etc/shadow">f</a>`,
  () => `[run a command](command:workbench.action.terminal.new) <a href="command:marathon.clearApiKey">c</a>`,
  () => `[vscode uri](vscode://marathon-dev.marathon/x) [webview uri](vscode-webview://x/y)`,
  (X) => `\`<img src=x onerror="${X}">\``,
  (X) => `\`\`\`html\n<script>${X}</script>\n\`\`\``,
  (X) => `\`\`\`js\n</code></pre><img src=x onerror="${X}">\n\`\`\``,
  (X) => `\`\`\`<img src=x onerror="${X}">\ncode\n\`\`\``,
  () => `\`\`\`ts ../../../etc/passwd\nconst x = 1;\n\`\`\``,
  (X) => `\`\`\`ts "src/a.ts" onmouseover="${X}"\nconst x = 1;\n\`\`\``,
  (X) => `| a | b |\n|---|---|\n| <img src=x onerror="${X}"> | [x](javascript:${X}) |`,
  (X) => `# <img src=x onerror="${X}"> heading`,
  (X) => `> <script>${X}</script> quoted`,
  (X) => `- item\n  - <svg onload="${X}">\n    1. [x](javascript:${X})`,
  (X) => `&lt;script&gt;${X}&lt;/script&gt; &#60;img src=x onerror=${X}&#62;`,
  (X) => `<img src=x onerror=&#x5f;&#x5f;xss(1)&#x3b;${X}>`,
  () => `<a id="acquireVsCodeApi">clobber</a><form name="getElementById"></form><img name="body">`,
  () => `<div id="root">fake root</div><p id="timeline" data-testid="prompt">fake prompt</p>`,
  (X) => `<div style="background:url('javascript:${X}')">bg</div>`,
  (X) => `<x onpointerover="${X}" style="position:fixed;inset:0">x</x>`,
  (X) => `<style>@import 'javascript:${X}'; body { display: none }</style>`,
  (X) => `<svg><style>@import "/pwned.css";</style><set attributeName="onmouseover" to="${X}"/></svg>`,
  (X) => `<isindex type=image src=1 onerror=${X}>`,
  (X) => `<frameset onload=${X}>`,
  (X) => `<img srcset="x 1x" onerror="${X}"><picture><source srcset="/pwned.png"><img></picture>`,
];

/** Payloads aimed at the layout: overlays, huge boxes, unbreakable text, deep nesting, bidi and other odd text. */
const LAYOUT: Template[] = [
  () => `<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;background:red;z-index:2147483647">overlay</div>`,
  () => `<span class="notices footer timeline-wrap composer prompt sr-only">class injection</span>`,
  () => `<div class="codicon codicon-loading codicon-modifier-spin" style="font-size:900px">big</div>`,
  () => `<h1 style="font-size:10em;width:5000px">wide heading</h1>`,
  () => `${'W'.repeat(5000)}`,
  () => `https://example.com/${'a'.repeat(3000)}`,
  () => `\`${'x'.repeat(4000)}\``,
  () => `\`\`\`\n${'y'.repeat(6000)}\n\`\`\``,
  () => `| ${Array.from({ length: 60 }, (_, i) => `column ${i}`).join(' | ')} |\n|${'---|'.repeat(60)}\n| ${'cell | '.repeat(60)}`,
  () => `${'>'.repeat(200)} deep quote`,
  () => Array.from({ length: 120 }, (_, i) => `${'  '.repeat(i)}- level ${i}`).join('\n'),
  () => `${'#'.repeat(6)} ${'Z\u0336\u0337\u0338'.repeat(400)}`,
  () => `a${'\u0301'.repeat(3000)}`,
  () => `\u202Egnp.exe\u202C [\u202Etxt.exe](https://example.com/\u202Efdp.exe) \u2066isolate\u2069 \u200F\u200Eltr`,
  () => `\u202Dforced ltr \u202Eforced rtl continues past the end of this message`,
  () => `zero\u200Bwidth\u200Cjoiner\u200Dand\uFEFFbom ${'\u200B'.repeat(2000)}`,
  () => `nul \u0000 bell \u0007 escape \u001b[31mred\u001b[0m backspace \b form feed \f`,
  () => `lone surrogates \uD800 \uDFFF \uDBFF and \uFFFE \uFFFF`,
  () => `carriage\rreturns\r\nand\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\nnewlines`,
  () => `${'\n'.repeat(3000)}tall`,
  () => `${'emoji 👩‍👩‍👧‍👦🏳️‍🌈 '.repeat(400)}`,
  () => `<table><tr><td>${'<table><tr><td>'.repeat(100)}nested${'</td></tr></table>'.repeat(100)}</td></tr></table>`,
  () => `${'*'.repeat(2000)}${'_'.repeat(2000)}${'['.repeat(2000)}`,
  () => `${'<div>'.repeat(3000)}unclosed`,
];

/** Where hostile text enters the webview. */
export type Surface =
  | 'assistantStream'
  | 'assistantRestored'
  | 'olderPage'
  | 'user'
  | 'summary'
  | 'error'
  | 'title'
  | 'search'
  | 'notice'
  | 'draft'
  | 'chip'
  | 'attachedName'
  | 'attachFailed';

export const SURFACES: readonly Surface[] = ['assistantStream', 'assistantRestored', 'olderPage', 'user', 'summary', 'error', 'title', 'search', 'notice', 'draft', 'chip', 'attachedName', 'attachFailed'];

export interface HostileCase {
  id: number;
  surface: Surface;
  text: string;
  /** Streamed answers arrive in these pieces (cut anywhere, also inside tags and entities). */
  pieces: string[];
  oneMegabyte: boolean;
}

/** A context the payload is wrapped in, so that each one meets the renderer in several states. */
const WRAPPERS: Array<(payload: string) => string> = [
  (payload) => payload,
  (payload) => `Here is the fix:\n\n${payload}\n\nHope this helps.`,
  (payload) => `1. first\n2. ${payload}\n3. third`,
  (payload) => `**bold ${payload} bold**`,
  (payload) => `[${payload}](https://example.com)`,
  (payload) => `\u202E${payload}\u202C`,
  (payload) => `text\n\n    ${payload.replace(/\n/g, '\n    ')}\n\ntext`,
  (payload) => `<div>\n${payload}\n</div>`,
];

function split(random: () => number, text: string): string[] {
  const pieces: string[] = [];
  let at = 0;
  while (at < text.length) {
    const size = between(random, 1, Math.max(1, Math.min(400, Math.ceil(text.length / 3))));
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  return pieces.length > 0 ? pieces : [''];
}

/** A 1 MB single line of the given kind. */
function megabyteLine(kind: number, X: string): string {
  const size = 1 << 20;
  const unit = [`x`, `<img src=x onerror="${X}">`, `[a](javascript:${X}) `, `\u202E<b>${X}</b>`, `| a `, `\`${X}\` `, `a\n# b\n`][kind % 7] ?? 'x';
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/**
 * Every payload on `surfacesPerPayload` surfaces (all by default), each in a seeded wrapper, streamed
 * answers cut at seeded points, plus one 1 MB line per surface. Deterministic for a given `random`.
 */
export function hostileCases(random: () => number, options: { surfacesPerPayload?: number; megabyteLines?: boolean } = {}): HostileCase[] {
  const templates = [...EXECUTION, ...LAYOUT];
  const perPayload = options.surfacesPerPayload ?? SURFACES.length;
  // Each payload meets `perPayload` surfaces, chosen in turn so that every surface gets its share.
  const pairs = templates.flatMap((template, index) => Array.from({ length: perPayload }, (_, n) => ({ template, surface: SURFACES[(index + n * 3) % SURFACES.length]! })));
  const cases: HostileCase[] = [];
  for (const surface of SURFACES) {
    for (const { template } of pairs.filter((pair) => pair.surface === surface)) {
      const id = cases.length + 1;
      const wrap = pick(random, WRAPPERS);
      const text = wrap(template(`__xss(${id})`, id));
      cases.push({ id, surface, text, pieces: surface === 'assistantStream' ? split(random, text) : [text], oneMegabyte: false });
    }
  }
  if (options.megabyteLines !== false) {
    // One per surface where a 1 MB line can arrive: answers (streamed and restored), summaries, errors,
    // titles, file names.
    (['assistantStream', 'assistantRestored', 'summary', 'error', 'title', 'chip', 'attachFailed'] as const).forEach((surface, index) => {
      const id = cases.length + 1;
      const text = megabyteLine(index, `__xss(${id})`);
      cases.push({ id, surface, text, pieces: surface === 'assistantStream' ? chunk(text, 64 * 1024) : [text], oneMegabyte: true });
    });
  }
  return cases;
}

function chunk(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) {
    pieces.push(text.slice(at, at + size));
  }
  return pieces;
}

/** A handful of payloads for the slower run through the emulator in real VS Code. */
export function hostileReplies(): string[] {
  return [0, 1, 3, 10, 11, 16, 18, 20, 30, 31, 44, 49, 52, 55, 61].map((index, n) => {
    const template = EXECUTION[index] ?? EXECUTION[0]!;
    return template(`__xss(${900 + n})`, 900 + n);
  }).concat(LAYOUT.slice(0, 4).map((template, n) => template('', 950 + n)), [LAYOUT[13]!('', 960)]);
}

export const TEMPLATE_COUNT = EXECUTION.length + LAYOUT.length;
