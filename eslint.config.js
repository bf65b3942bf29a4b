// Lint is here for the boundaries, not for style. The rooms rule (lint/rooms.js) encodes which
// folder may import which (the table in docs/architecture.md); the recommended sets of ESLint,
// typescript-eslint and the Svelte plugin catch real mistakes. Rules whose only hits were
// deliberate idioms of this code are off, with the idiom named. `npm test` runs `npm run lint`
// as its own step.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import rooms from './lint/rooms.js';

export default [
  { ignores: ['out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/', '.cache/'] },
  // a disable comment for a rule that is off here is harmless, not a failure
  { linterOptions: { reportUnusedDisableDirectives: 'off' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  { languageOptions: { globals: globals.node } },
  {
    files: ['renderer/**', '**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { globals: globals.browser, parserOptions: { parser: tseslint.parser } },
  },
  {
    rules: {
      // untyped JSON from the wire and test doubles of library types
      '@typescript-eslint/no-explicit-any': 'off',
      // `const { dropped: _dropped, ...rest } = obj` leaves out a field on purpose
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // `cond ? a() : b()` as a statement
      '@typescript-eslint/no-unused-expressions': 'off',
      // errors are rethrown as one actionable line; the cause is logged where it is caught
      'preserve-caught-error': 'off',
      // etcd keys end in \x00 ranges
      'no-control-regex': 'off',
      // loop state declared before a `for (;;)` that always assigns it
      'no-useless-assignment': 'off',
      // polling loops in tests compare an optional gauge
      '@typescript-eslint/no-non-null-asserted-optional-chain': 'off',
      // the virtual list's rows are positions, not items
      'svelte/require-each-key': 'off',
    },
  },
  {
    // The `etcd3` package is a dev dependency: tests compare our etcd client against it; the app
    // talks to etcd through main/storage/etcd/client.ts alone.
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.svelte'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'etcd3', message: 'only tests may import etcd3 (a dev dependency): use main/storage/etcd/client.ts' }] }],
    },
  },
  {
    files: ['**/*.ts', '**/*.js', '**/*.mjs', '**/*.svelte'],
    plugins: { watchscope: rooms },
    rules: { 'watchscope/rooms': 'error' },
  },
];
