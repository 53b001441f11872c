// ESLint for the TypeScript in src/, emulator/, bench/ and test/ (type-aware), and the CommonJS .js files.
// `npm run lint`; `npm test` runs it. Formatting is Prettier's job (`npm run format:check`): no rule here
// is stylistic, so eslint-config-prettier is not needed (its check finds only no-unexpected-multiline, off below).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', '.azurite/'] },
  // A disable comment that no longer silences anything fails the lint, so none outlive their reason.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    // Prettier breaks a chain before `[Symbol.asyncIterator]()` (test/integration/graphAuth.test.ts), which
    // this rule reads as a mistake; with Prettier's semicolons no line break is ambiguous.
    rules: { 'no-unexpected-multiline': 'off' },
  },
  {
    files: ['**/*.ts'],
    // Type-aware: the rules that need types are the ones that find bugs (floating and misused promises,
    // awaiting a non-promise, '[object Object]' in text, unbound methods, stale `!` and `as`).
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `any` is confined to JSON at the HTTP boundaries (Graph SDK `.get()`, `response.json()`, JSON.parse)
      // and is read there defensively (`?.`, `=== true`, Array.isArray, zod); tsc strict already refuses an
      // implicit any. Typing every boundary as `unknown` is a change of its own, not a lint fix.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Ports are Promise-returning; an `async` implementation with nothing to await (the stateless store,
      // the fakes) is how a throw becomes a rejection, as callers expect.
      '@typescript-eslint/require-await': 'off',
      // Matching control characters is the point where it happens (hiddenCharacters.ts, the ticket renderers).
      'no-control-regex': 'off',
      // `const { omitted: _omitted, ...rest } = x` is how a key is left out; `_` marks a name unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          ignoreRestSiblings: true,
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
        },
      ],
      // URLSearchParams (declared by @types/node here, not by lib) stringifies to its query string.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        {
          allow: [
            { name: ['Error', 'URL', 'URLSearchParams'], from: 'lib' },
            { name: ['URLSearchParams', 'URL'], from: 'package', package: 'url' },
          ],
        },
      ],
      // A catch block handing its caught value to reject() passes on what was thrown, which only-throw-error checks.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Beyond the recommended set, two that find bugs and cost nothing today: `return promise` inside
      // try/catch returns before the catch can see the rejection, and a switch over a union (incident
      // states, ticket systems, verdicts) must name every member, so a new member is handled everywhere.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
  {
    // Settings are read in src/config (and handed over by the entry points and the composition root):
    // the rules, the use cases and the adapters get typed settings, never the environment.
    files: ['src/core/**/*.ts', 'src/usecases/**/*.ts', 'src/adapters/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings in src/config and pass them in.' },
      ],
    },
  },
  {
    // The ticket fakes turn whatever JSON a client sent into the text they store, compare or quote back, as
    // the real services do; '[object Object]' there is the fake's answer to a malformed request, not a bug.
    files: ['emulator/tickets/**/*.ts'],
    rules: { '@typescript-eslint/no-base-to-string': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests load modules by computed path (docs.test.ts reads src/), JSON fixtures and the CommonJS esbuild config.
      '@typescript-eslint/no-require-imports': 'off',
      // Tests save console and stream methods and call them back with .call/.apply.
      '@typescript-eslint/unbound-method': 'off',
      // In a test an assertion spells out the shape a check expects; a redundant one cannot hide a shipped bug.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
  {
    // bin/, esbuild.config.js, jest.config.js: plain CommonJS for Node, not in a tsconfig, so not type-aware.
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        __filename: 'readonly',
        console: 'readonly',
      },
    },
  },
);
