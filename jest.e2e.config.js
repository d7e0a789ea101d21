/** Browser tests of the example shop in headless Chromium (Debian's package), run by `npm run test:e2e`. */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: ['**/spec/e2e/**/*.e2e.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: undefined,
  globalTeardown: undefined,
  testTimeout: 60000,
  maxWorkers: 1,
};
