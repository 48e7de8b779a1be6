// Runs this package's tests on their own (the root config's integration project needs infra/local-stack's globalSetup):
//   npx jest -c infra/chdb-server/jest.config.js
/** @type {import('jest').Config} */
module.exports = {
  rootDir: __dirname,
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120_000,
};
