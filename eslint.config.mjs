// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  // Layering (as GitHub Desktop does it with no-restricted-imports): each folder may import only
  // what its place in `gateway → core → api → transport → store → view` allows.
  {
    // Only app/ may talk to Electron; everything else runs under plain Node or in the page.
    files: ['main/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'only app/ imports electron' }],
          patterns: [
            { group: ['**/app/*', '**/renderer/*'], message: 'main/ runs under plain Node: no app/ or renderer/' },
          ],
        },
      ],
    },
  },
  {
    // The recovery worker runs over the store contract (main/store/contract.ts): any backend.
    files: ['main/recovery/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'only app/ imports electron' }],
          patterns: [
            { group: ['better-sqlite3', 'pg'], message: 'the worker reaches the data only through LifecycleStore' },
            {
              group: ['**/store/sqlite/*', '**/store/postgres/*'],
              message: 'the worker uses main/store/contract only',
            },
            { group: ['**/app/*', '**/renderer/*'], message: 'main/ runs under plain Node: no app/ or renderer/' },
          ],
        },
      ],
    },
  },
  {
    // Pure TypeScript shared by Node and the page: no Node, no Electron, no side of the app.
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'shared/ is pure TypeScript' }],
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'better-sqlite3'],
              message: 'shared/ runs in the page too: no Node APIs',
            },
            { group: ['**/main/*', '**/app/*', '**/renderer/*'], message: 'shared/ imports nothing of the app' },
          ],
        },
      ],
    },
  },
  {
    // The page talks to main only through the transport (window bridge or HTTP).
    files: ['renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'the renderer uses renderer/transport, never Electron' }],
          patterns: [
            { group: ['node:*', 'better-sqlite3'], message: 'the renderer runs in the page' },
            { group: ['**/main/*', '**/app/*'], message: 'the renderer reaches main/ only through renderer/transport' },
          ],
        },
      ],
    },
  },
  {
    // Raw IPC lives in the preload (renderer side) and the IPC adapter (main side) only.
    files: ['app/**'],
    ignores: ['app/preload.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              importNames: ['ipcRenderer', 'contextBridge'],
              message: 'only app/preload.ts uses ipcRenderer',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['app/**'],
    ignores: ['app/ipc.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='ipcMain']", message: 'only app/ipc.ts registers IPC handlers' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
