// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'bench/results/**', 'test-artifacts/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // The core is sans-IO: no sockets, no files, no clock, no timers.
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', 'zeromq', 'ws', 'fs', 'net', 'timers'] },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'The core is fed time as an input.' },
        { name: 'setInterval', message: 'The core is fed time as an input.' },
        { name: 'process', message: 'The core does no I/O.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'The core is fed time as an input.' },
        { object: 'performance', property: 'now', message: 'The core is fed time as an input.' },
      ],
    },
  },
  {
    // What a browser loads: the SDK and the browser path of the ws transport.
    files: [
      'packages/client/src/**/*.ts',
      'packages/transport-ws/src/browser.ts',
      'packages/transport-ws/src/browser-ws-transport.ts',
      'packages/transport-ws/src/dial-websocket.ts',
      'packages/transport-ws/src/websocket-like.ts',
      'packages/transport-ws/src/websocket-url.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['node:*', 'ws', 'zeromq', 'fs', 'net'], message: 'This file is loaded by browsers: no Node-only imports.' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.config.ts'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
);
