// Flat config: typescript-eslint's type-checked rules, and the layer boundaries of DESIGN.md as
// import zones (core, webview and shared each name what they may not import).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const vscodeOnlyInHost = { name: 'vscode', message: 'Only src/host and src/extension.ts may import vscode.' };

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'sample-workspace/**', 'test-results/**', 'bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // An async function without await still returns a promise, which is what its callers and
      // the interfaces it implements expect; rewriting it as Promise.resolve() says less.
      '@typescript-eslint/require-await': 'off',
      curly: 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
    },
  },
  {
    // Core is pure TypeScript: no VS Code, no host, no webview.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [vscodeOnlyInHost],
          patterns: [{ regex: '^(\\.\\./)+(host|webview|extension)(/|$)', message: 'src/core may import only src/core and src/shared.' }],
        },
      ],
    },
  },
  {
    // The webview is DOM only and talks to the host through the protocol alone.
    files: ['src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [vscodeOnlyInHost],
          patterns: [{ regex: '^((\\.\\./)+(core|host|extension)(/|$)|node:)', message: 'src/webview may import only src/webview and src/shared.' }],
        },
      ],
    },
  },
  {
    // The protocol is the contract between the layers and depends on none of them.
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [vscodeOnlyInHost], patterns: [{ regex: '^(\\.\\./|node:)', message: 'src/shared imports nothing from the other layers.' }] },
      ],
    },
  },
  {
    // The host never reaches into the webview bundle.
    files: ['src/host/**/*.ts', 'src/extension.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(\\./|(\\.\\./)+)webview(/|$)', message: 'The host talks to the webview through src/shared/protocol.ts only.' }] }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests and the emulator quote raw request JSON in their messages on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.mjs', 'esbuild.js'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'esbuild.js', 'eslint.config.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly', fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
