// Typed ESLint for the TypeScript sources (src, tools, tests, bench): typescript-eslint's strict and stylistic
// type-checked rule sets, plus the project's own rules. `npm run lint`; .ci/run runs it before the tests.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Both are in the type-checked sets; named here because the project relies on them.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // A ternary inside a ternary is hard to read: use if/else, a lookup table or a small function.
      'no-nested-ternary': 'error',
      // Index-signature members are read with brackets (env['PORT'], line['msg']), as for a Record.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // Numbers read naturally in messages ("between 0 and 65535"); anything else must be made a string.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // It would turn `x as T` into `x!`, which no-non-null-assertion (strict) forbids: narrow instead.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // A name that must exist but is not used starts with _: express knows an error handler by its four
      // parameters (_next), and a rest sibling leaves out a key ({ fhirServers: _, ...rest }).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // jest types its asymmetric matchers (expect.any, expect.objectContaining, expect.stringMatching) as any, so
    // every toMatchObject({ text: expect.any(String) }) would count as an unsafe assignment.
    files: ['tests/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  {
    files: ['**/*.js'],
    extends: [js.configs.recommended],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
