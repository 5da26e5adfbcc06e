// Builds the two bundles: the extension (Node, CommonJS, `vscode` external) and the chat webview
// (browser). `--production` minifies without source maps; `--watch` rebuilds on change.
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Prints errors in the `file:line:col: error: text` shape VS Code's esbuild problem matcher reads. */
const problemMatcherPlugin = {
  name: 'problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/** The codicon font ships beside the webview bundle; the webview loads nothing remote. */
function copyCodicons() {
  const from = path.join(__dirname, 'node_modules', '@vscode', 'codicons', 'dist');
  const to = path.join(__dirname, 'dist', 'webview');
  fs.mkdirSync(to, { recursive: true });
  for (const file of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(path.join(from, file), path.join(to, file));
}

function reportSizes() {
  const files = ['dist/extension.js', 'dist/engine.js', ...PLATFORMS.map((name) => `dist/${name}.js`), 'dist/mcp.js', 'dist/webview/main.js', 'dist/webview/main.css', 'dist/webview/codicon.ttf'];
  for (const file of files) {
    const full = path.join(__dirname, file);
    if (fs.existsSync(full)) console.log(`${file.padEnd(28)} ${(fs.statSync(full).size / 1024).toFixed(1).padStart(8)} KB`);
  }
}

/** The extension bundle reaches the engine bundle through `require('./engine.js')`, loaded on first use. */
const engineExternalPlugin = {
  name: 'engine-external',
  setup(build) {
    build.onResolve({ filter: /\/core\/engineBundle$/ }, () => ({ path: './engine.js', external: true }));
    // The MCP client (the MCP SDK and its schemas) is its own bundle too, loaded when a server starts.
    build.onResolve({ filter: /^\.\/runtime$/ }, (args) =>
      /[\\/]host[\\/]mcp[\\/]load\.ts$/.test(args.importer) ? { path: './mcp.js', external: true } : undefined,
    );
  },
};

/** Each cloud platform's client is its own bundle, loaded by the engine only when that platform is chosen. */
const PLATFORMS = ['bedrock', 'vertex', 'foundry'];

/** The engine reaches each platform bundle through `require('./<platform>.js')`. */
const platformExternalPlugin = {
  name: 'platform-external',
  setup(build) {
    build.onResolve({ filter: /\/platforms\/(bedrock|vertex|foundry)$/ }, (args) => ({ path: `./${path.basename(args.path)}.js`, external: true }));
  },
};

/**
 * A platform bundle takes `@anthropic-ai/sdk` from the engine (its `sharedSdkModules`) instead of a copy of
 * its own: one set of SDK classes for every platform, and no second SDK to parse.
 */
const sharedSdkPlugin = {
  name: 'shared-sdk',
  setup(build) {
    build.onResolve({ filter: /^@anthropic-ai\/sdk(\/.*)?$/ }, (args) => ({ path: args.path.replace(/\.js$/, ''), namespace: 'shared-sdk' }));
    build.onLoad({ filter: /.*/, namespace: 'shared-sdk' }, (args) => ({
      contents: `const shared = require('./engine.js').sharedSdkModules[${JSON.stringify(args.path)}];\n` +
        `if (!shared) throw new Error(${JSON.stringify(`The engine does not share ${args.path}`)});\nmodule.exports = shared;`,
      loader: 'js',
    }));
    build.onResolve({ filter: /^\.\/engine\.js$/ }, () => ({ path: './engine.js', external: true }));
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
  plugins: watch ? [problemMatcherPlugin] : [],
};

async function main() {
  if (production) {
    // A packaged build must not carry source maps left over from a development build.
    fs.rmSync(path.join(__dirname, 'dist'), { recursive: true, force: true });
  }
  copyCodicons();
  const contexts = await Promise.all([
    esbuild.context({
      ...common,
      entryPoints: ['src/extension.ts'],
      outfile: 'dist/extension.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      external: ['vscode'],
      // import() of the engine becomes a lazy require(), which the extension host loads like any CJS file.
      supported: { 'dynamic-import': false },
      plugins: [...common.plugins, engineExternalPlugin],
    }),
    esbuild.context({
      ...common,
      entryPoints: ['src/core/engineBundle.ts'],
      outfile: 'dist/engine.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      supported: { 'dynamic-import': false },
      plugins: [...common.plugins, platformExternalPlugin],
    }),
    ...PLATFORMS.map((name) =>
      esbuild.context({
        ...common,
        entryPoints: [`src/core/platforms/${name}.ts`],
        outfile: `dist/${name}.js`,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        supported: { 'dynamic-import': false },
        plugins: [...common.plugins, sharedSdkPlugin],
      }),
    ),
    esbuild.context({
      ...common,
      entryPoints: ['src/host/mcp/runtime.ts'],
      outfile: 'dist/mcp.js',
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      // jsonc-parser's `main` is a UMD build that requires its parts at run time; its ES build bundles.
      mainFields: ['module', 'main'],
    }),
    esbuild.context({
      ...common,
      entryPoints: { main: 'src/webview/main.ts' },
      outdir: 'dist/webview',
      platform: 'browser',
      format: 'iife',
      target: 'es2022',
    }),
  ]);
  if (watch) {
    await Promise.all(contexts.map((context) => context.watch()));
    return;
  }
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
  reportSizes();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
