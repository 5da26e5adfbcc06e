// Markdown → sanitized DOM for model output. The pipeline is markdown-it (no raw HTML) →
// DOMPurify (strict allowlist) → our own decoration (code toolbars), so nothing the model writes
// can add markup, styles, scripts or remote loads; only our trusted UI is added after sanitizing.
import MarkdownIt from 'markdown-it';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { button, h } from './dom';

const languages = {
  bash, c, cpp, csharp, css, diff, go, java, javascript, json, markdown, python, rust, shell, sql, typescript, xml, yaml,
};
for (const [name, language] of Object.entries(languages)) {
  hljs.registerLanguage(name, language);
}
hljs.registerAliases(['sh', 'zsh', 'shellscript'], { languageName: 'bash' });
hljs.registerAliases(['console', 'terminal'], { languageName: 'shell' });
hljs.registerAliases(['html', 'xhtml', 'svg', 'vue'], { languageName: 'xml' });
hljs.registerAliases(['jsonc', 'json5'], { languageName: 'json' });

/** Highlighting a huge block on every streamed frame costs more than it is worth. */
const MAX_HIGHLIGHT_CHARS = 60_000;

const md = new MarkdownIt({
  html: false,
  linkify: true,
  typographer: false,
  highlight(code: string, lang: string): string {
    const name = lang.trim().toLowerCase();
    if (name === '' || code.length > MAX_HIGHLIGHT_CHARS || hljs.getLanguage(name) === undefined) {
      return ''; // markdown-it escapes the code itself
    }
    try {
      return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
    } catch {
      return '';
    }
  },
});

// Only links with a scheme: fuzzy matching turns file names such as `setup.py` or `notes.md`
// into links to made-up domains (.py and .md are country TLDs).
md.linkify.set({ fuzzyLink: false });

// Table alignment arrives as `style="text-align:…"`, which the sanitizer forbids; use classes.
md.core.ruler.push('marathon_align', (state) => {
  for (const token of state.tokens) {
    if (token.type !== 'th_open' && token.type !== 'td_open') {
      continue;
    }
    const align = /text-align:\s*(left|center|right)/.exec(String(token.attrGet('style') ?? ''))?.[1];
    if (token.attrs !== null) {
      token.attrs = token.attrs.filter(([name]) => name !== 'style');
    }
    if (align !== undefined) {
      token.attrSet('class', `md-align-${align}`);
    }
  }
  return true;
});

// A fence may name its file after the language (```ts src/a.ts): Apply targets it. The path rides
// on the code element's title (an attribute the sanitizer keeps) until decorate() moves it.
const FENCE_PATH = /^[\w@.\-/\\]*[./\\][\w@.\-/\\]*$/;
md.core.ruler.push('marathon_fence_path', (state) => {
  for (const token of state.tokens) {
    if (token.type !== 'fence') {
      continue;
    }
    const words = token.info.trim().split(/\s+/);
    const candidate = words[1]?.replace(/^(?:file|path)=/, '').replace(/^["']|["']$/g, '');
    if (candidate !== undefined && candidate.length <= 300 && FENCE_PATH.test(candidate) && !candidate.includes('..')) {
      token.attrSet('title', candidate);
    }
  }
  return true;
});

// No remote images: an image becomes a link the user can choose to open outside the webview.
md.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  if (token === undefined) {
    return '';
  }
  const alt = self.renderInlineAsText(token.children ?? [], options, env) || 'image';
  const src = String(token.attrGet('src') ?? '');
  return `<a href="${md.utils.escapeHtml(src)}">${md.utils.escapeHtml(`[image: ${alt}]`)}</a>`;
};

const ALLOWED_TAGS = [
  'a', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'li', 'ol', 'p',
  'pre', 's', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
];
const ALLOWED_CLASS = /^(?:hljs(?:-[\w-]+)?|language-[\w+#.-]+|md-align-(?:left|center|right)|[\w-]+_)$/;

DOMPurify.addHook('uponSanitizeAttribute', (_node, data) => {
  if (data.attrName === 'class') {
    // Only classes our renderer emits (highlight.js tokens, code language, table alignment).
    const kept = data.attrValue.split(/\s+/).filter((name) => ALLOWED_CLASS.test(name));
    data.attrValue = kept.join(' ');
    data.keepAttr = kept.length > 0;
  }
});

function sanitize(html: string): DocumentFragment {
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'title', 'class', 'start'],
    FORBID_TAGS: ['style', 'svg', 'math', 'img', 'form', 'input', 'iframe'],
    FORBID_ATTR: ['style', 'src', 'srcset'],
    ALLOWED_URI_REGEXP: /^(?:https?|mailto):/i,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

function languageOf(code: Element): string | undefined {
  for (const name of Array.from(code.classList)) {
    if (name.startsWith('language-')) {
      return name.slice('language-'.length);
    }
  }
  return undefined;
}

/** Adds the trusted UI around sanitized content: code toolbars, scrollable tables, link titles. */
function decorate(fragment: DocumentFragment): void {
  for (const pre of Array.from(fragment.querySelectorAll('pre'))) {
    const code = pre.querySelector('code');
    if (code === null) {
      continue;
    }
    code.classList.add('hljs');
    const language = languageOf(code);
    const path = code.getAttribute('title') ?? undefined;
    code.removeAttribute('title');
    const toolbar = h(
      'div',
      { class: 'code-toolbar' },
      h('span', { class: 'code-lang', text: path === undefined ? (language ?? 'text') : `${language ?? 'text'} · ${path}`, title: path }),
      button({ label: 'Copy code', icon: 'copy', action: 'code-copy', testid: 'code-copy', title: 'Copy' }),
      button({
        label: 'Insert code at cursor',
        icon: 'insert',
        action: 'code-insert',
        testid: 'code-insert',
        title: 'Insert at cursor',
      }),
      button({
        label: 'Apply code to the editor',
        icon: 'git-pull-request-go-to-changes',
        action: 'code-apply',
        testid: 'code-apply',
        class: 'code-apply',
        title: 'Apply (shows a diff first)',
      }),
    );
    const wrapper = h('div', { class: 'code-block' });
    if (path !== undefined) {
      wrapper.dataset.path = path;
    }
    pre.replaceWith(wrapper);
    wrapper.append(toolbar, pre);
  }
  for (const table of Array.from(fragment.querySelectorAll('table'))) {
    const wrapper = h('div', { class: 'table-wrap' });
    table.replaceWith(wrapper);
    wrapper.append(table);
  }
  for (const link of Array.from(fragment.querySelectorAll('a[href]'))) {
    link.setAttribute('title', link.getAttribute('href') ?? '');
  }
}

/** Renders one markdown text to a sanitized, decorated fragment. */
export function renderMarkdown(text: string): DocumentFragment {
  const fragment = sanitize(md.render(text));
  decorate(fragment);
  return fragment;
}

/**
 * Serializes a rendered fragment for the per-item cache, so an item scrolled back into view is
 * rebuilt from HTML we produced (already sanitized) instead of being parsed as markdown again.
 */
export function fragmentHtml(fragment: DocumentFragment): string {
  const holder = document.createElement('div');
  holder.append(fragment.cloneNode(true));
  return holder.innerHTML;
}

/** Rebuilds DOM from HTML that `fragmentHtml` produced. Never call with any other string. */
export function fromCachedHtml(html: string): DocumentFragment {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content;
}
