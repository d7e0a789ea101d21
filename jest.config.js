/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/spec/e2e/'],
  // jose 6 is ESM-only: ts-jest compiles it to CommonJS along with our sources.
  transform: { '^.+\\.[tj]s$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }] },
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  globalSetup: '<rootDir>/spec/support/redis-global-setup.ts',
  globalTeardown: '<rootDir>/spec/support/redis-global-teardown.ts',
  testTimeout: 20000,
};
