// One lint config for the workspace. The core block is the purity fence: core runs unchanged in
// Node, in the browser and in the deterministic simulator, so it may not reach for the clock,
// randomness, timers, Node or the DOM. A test (core/test/purity.test.ts) checks the same thing.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const impureGlobals = [
  'Date', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'queueMicrotask', 'performance', 'process', 'window', 'document', 'navigator', 'fetch',
  'crypto', 'require', 'Buffer', 'global', 'globalThis', 'self',
].map((name) => ({ name, message: 'core is pure: inject time, randomness and I/O instead.' }));

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', 'data/**', '**/test-results/**', '**/playwright-report/**', 'tmp/**', 'nemesis-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['core/src/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'core is pure: use the seeded PRNG from config.' }],
      'no-restricted-imports': ['error', {
        paths: ['fs', 'path', 'os', 'http', 'https', 'net', 'child_process', 'crypto', 'events', 'timers', 'util', 'worker_threads']
          .map((name) => ({ name, message: 'core is pure: no Node APIs.' })),
        patterns: [
          { group: ['node:*'], message: 'core is pure: no Node APIs.' },
          { group: ['react', 'react-dom', 'express', 'socket.io*', 'pino*', '@raft-kv/node-server', '@raft-kv/playground'],
            message: 'core depends on nothing.' },
        ],
      }],
    },
  },
  {
    files: ['playground/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
