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
  // A guard against a hung test, not a budget: most tests start real processes (Node, the CLI, the
  // Functions bundle, Azurite), which take several times longer while other work shares the machine.
  testTimeout: 300_000,
  // How long a worker may take to exit once its files are done before Jest kills it and warns "a
  // worker process has failed to exit gracefully". Nothing is left open in a worker at the end (no
  // server, socket, child process or ref'd timer: it reaches its exit handler within ~20 ms), but the
  // parent saw the exit only 0.66-0.76 s later on a busy machine, past Jest's 500 ms default.
  workerGracefulExitTimeout: 5_000,
};
