/**
 * The whole suite again on Express 4 (4.21+): `express` resolves to the `express4` alias, so every app the tests
 * build (and the example shop) runs on Express 4's router, which does not catch rejected async handlers.
 */
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  moduleNameMapper: { '^express$': 'express4' },
  // Tests that start app processes (tsx, real `express`) run once, on Express 5, in the main pass; so does the Redis
  // Cluster failover (about Redis, not the router, and it writes artifacts/failover.json).
  testPathIgnorePatterns: [...base.testPathIgnorePatterns, '/spec/example-app/(processes|server)\\.spec\\.ts$', '/spec/transfer/transfer-processes\\.spec\\.ts$', '/spec/hardening/scale-out\\.spec\\.ts$', '/spec/cli/', '/spec/store/redis-failover\\.spec\\.ts$'],
};
