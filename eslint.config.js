import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const FRAMEWORK = ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'kafkajs', 'class-validator', 'class-transformer', 'fastify', 'pino'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', fetch: 'readonly', performance: 'readonly', NodeJS: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // kafkajs is unmaintained: it stays behind the EventPublisher port.
    files: ['**/*.ts'],
    ignores: ['libs/messaging/src/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'use the EventPublisher port (libs/messaging)' }] }] },
  },
  {
    // The domain is pure: no framework, no database, no broker, and no wall clock.
    files: ['libs/call-session-domain/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: FRAMEWORK.map((group) => ({ group: [group], message: 'the call-session domain stays free of frameworks' })) }],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'time comes from command metadata' },
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'time comes from command metadata' },
      ],
    },
  },
);
