// Two projects so a run can pick fast unit tests or the ones that need the real broker and ClickHouse.
// Integration tests are `*.int.test.ts`; globalSetup starts local Kafka + embedded ClickHouse unless
// KAFKA_BROKERS / CLICKHOUSE_URL point at running ones.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = {
  transform,
  testEnvironment: 'node',
  roots: ['<rootDir>/services', '<rootDir>/packages', '<rootDir>/infra'],
  moduleFileExtensions: ['ts', 'js', 'json'],
};

/** @type {import('jest').Config} */
module.exports = {
  // NOTE: jest-circus reads testTimeout from the top level only (a project's own is ignored): integration tests wait
  // for real brokers and processes on 2 shared cores. Fault scenarios pass their own, longer timeouts.
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['**/src/**/*.test.ts', '!**/src/**/*.int.test.ts', '!**/src/**/*.faults.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/src/**/*.int.test.ts'],
      globalSetup: '<rootDir>/infra/local-stack/src/jest.global-setup.ts',
      globalTeardown: '<rootDir>/infra/local-stack/src/jest.global-teardown.ts',
    },
    // The load-and-fault suite (infra/faults): starts its own stacks with the launcher, on ports offset by 20000.
    // FAULTS_PROFILE=short (default) takes minutes; `pnpm test:faults` runs the full one.
    { ...common, displayName: 'faults', testMatch: ['**/src/**/*.faults.test.ts'] },
  ],
};
