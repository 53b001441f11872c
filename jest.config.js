/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // No emulator token or secret may be logged by anything in any test (issue 7, secret hygiene).
  setupFilesAfterEnv: ['<rootDir>/test/setup/secretHygiene.ts'],
  // Type errors are caught by `npm run typecheck`; transpiling only keeps the suite fast.
  transform: { '^.+\\.ts$': '<rootDir>/test/setup/esbuildTransform.js' },
  // Integration tests start Azurite and the emulator; one worker per core is plenty.
  maxWorkers: 2,
  testTimeout: 60000,
};
