// Type-aware lint: unawaited promises are errors (a lost produce or insert is lost data), and services reach Kafka
// and ClickHouse only through our packages, so a client can be swapped in one place.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.local/**', 'infra/kafka/.cache/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'kafkajs', message: 'Use @telltale/kafka: all Kafka access goes through it.' },
            { name: '@clickhouse/client', message: 'Use @telltale/clickhouse: all ClickHouse access goes through it.' },
          ],
        },
      ],
    },
  },
  { files: ['packages/kafka/src/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  { files: ['packages/clickhouse/src/**/*.ts', 'infra/chdb-server/src/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
);
