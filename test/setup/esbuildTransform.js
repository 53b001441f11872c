'use strict';
// Jest's TypeScript transform: esbuild (already here for the Functions bundle) strips the types of each
// file on its own, as `isolatedModules` in tsconfig.json promises is safe. Type errors are
// `npm run typecheck`'s job. ts-jest did the same through TypeScript's transpileModule at about five
// times the CPU, which a fresh clone (cold Jest cache) paid for every file in every worker.
const { createHash } = require('node:crypto');
const { transformSync, version } = require('esbuild');

/** What tsconfig.json says that matters when compiling one file alone. */
const OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'node20',
  platform: 'node',
  sourcemap: 'external',
  // import() becomes require(), as tsc does for module commonjs: Jest's module registry sees it.
  supported: { 'dynamic-import': false },
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, verbatimModuleSyntax: false } },
};
const KEY = createHash('sha256')
  .update(__filename)
  .update(version)
  .update(JSON.stringify(OPTIONS))
  .digest('hex');

module.exports = {
  process(source, sourcefile) {
    const { code, map } = transformSync(source, { ...OPTIONS, sourcefile });
    return { code, map };
  },
  getCacheKey(source, sourcefile) {
    return createHash('sha256').update(KEY).update(sourcefile).update('\0').update(source).digest('hex');
  },
};
