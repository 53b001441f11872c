/**
 * Which way imports may point (issue 13): core ← use cases (and their ports) ← adapters ← the
 * composition root and the entry points. `npm test` runs `npm run deps`; a back-edge fails it with
 * the rule's name. See docs/ARCHITECTURE.md "Layers".
 * @type {import('dependency-cruiser').IConfiguration}
 */
const ENTRY = ['^src/(cli|report|composition)\\.ts$', '^src/(functions|local)/'];
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle is two modules pretending to be one, or a layer pointing back up.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      comment:
        'src/core holds the rules: it imports itself, errors.ts, zod, uuid (deterministic ids) and node built-ins only.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: {
        pathNot: ['^src/core/', '^src/errors\\.ts$', 'node_modules/(zod|uuid)/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'usecases-see-adapters-through-ports',
      comment: 'Use cases import core and ports; adapters reach them only through the composition root.',
      severity: 'error',
      from: { path: '^src/usecases/' },
      to: { path: ['^src/adapters/', '^src/config\\.ts$', ...ENTRY] },
    },
    {
      name: 'adapters-do-not-import-each-other',
      comment:
        'Each adapter stands alone; what they share lives in adapters/http (retries) and adapters/auth (credentials).',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/', pathNot: ['^src/adapters/$1/', '^src/adapters/(http|auth)/'] },
    },
    {
      name: 'adapters-do-not-reach-up',
      comment:
        'Adapters implement ports: they import core, ports and config, never a use case or an entry point.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/usecases/(?!ports/)', ...ENTRY] },
    },
    {
      name: 'entry-points-go-through-the-root',
      comment:
        'Triggers and the CLI import use cases, core, config and the composition root; adapters are the root’s to choose.',
      severity: 'error',
      from: { path: '^src/(functions/|cli\\.ts$|report\\.ts$)' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'shipped-code-does-not-import-the-emulator',
      comment: 'The emulator and its fakes are development tools; only src/local (the demo) may use them.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/local/' },
      to: { path: '^emulator/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a port typed with an adapter's type is still a back-edge.
    tsPreCompilationDeps: true,
  },
};
