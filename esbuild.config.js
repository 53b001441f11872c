'use strict';
// Bundles the Functions app into dist/bundle/index.js, which package.json "main" names. Self-contained:
// a deployment needs dist/bundle/ and host.json, not node_modules. @azure/functions-core is provided by
// the Functions worker at run time and stays a require.
//
// The entry is tsc's output (dist/src/functions/index.js, from `npm run build`), not the .ts: its
// require() calls, `conditions: []` and `mainFields: ['main']` make esbuild resolve every package
// exactly as Node resolves the unbundled app (the CommonJS builds). From the .ts, esbuild would pick
// the packages' ESM builds, some of which use import.meta.url and fail when loaded as CommonJS.
//
// Two things are required lazily and go into their own files beside the bundle, so a cold start does
// not parse them (esbuild cannot split CommonJS output by itself):
// - the composition root (src/functions/root.ts requires it on the first invocation that needs it):
//   the Azure SDKs, the Graph client, the ticket sinks. Modules both files use (errors, core, config)
//   are copied into each; AppError's instanceof works across the copies (src/errors.ts says how).
// - applicationinsights (OpenTelemetry, ~6 MB), required by src/adapters/telemetry only when
//   APPLICATIONINSIGHTS_CONNECTION_STRING is set.
const fs = require('node:fs');
const path = require('node:path');
const esbuild = require('esbuild');

const outdir = path.join(__dirname, 'dist', 'bundle');
const entry = path.join(__dirname, 'dist', 'src', 'functions', 'index.js');
/** Packages loaded on demand: bundled separately, required from the main bundle by relative path. */
const LAZY = { applicationinsights: 'applicationinsights.js' };
/** Our own modules loaded on demand: the require() text that names them, and their tsc output. */
const LAZY_MODULES = {
  '../composition': { file: 'composition.js', from: path.join(__dirname, 'dist', 'src', 'composition.js') },
};

const shared = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['@azure/functions-core'],
  conditions: [],
  mainFields: ['main'],
  // Class and function names survive, so error names and stack traces stay readable in the logs.
  keepNames: true,
  minifySyntax: true,
  minifyWhitespace: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
};

const lazyChunks = {
  name: 'lazy-chunks',
  setup(build) {
    const all = { ...LAZY, ...Object.fromEntries(Object.entries(LAZY_MODULES).map(([k, v]) => [k, v.file])) };
    const names = Object.keys(all).map((name) => name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, (args) => ({
      path: `./${all[args.path]}`,
      external: true,
    }));
  },
};

const builds = [
  { ...shared, entryPoints: [entry], outfile: path.join(outdir, 'index.js'), plugins: [lazyChunks] },
  ...Object.values(LAZY_MODULES).map(({ file, from }) => ({
    ...shared,
    entryPoints: [from],
    outfile: path.join(outdir, file),
    plugins: [lazyChunks],
  })),
  ...Object.entries(LAZY).map(([name, file]) => ({
    ...shared,
    entryPoints: [require.resolve(name)],
    outfile: path.join(outdir, file),
  })),
];

module.exports = { builds, outdir };

if (require.main === module) {
  if (!fs.existsSync(entry)) {
    process.stderr.write(
      `${path.relative(process.cwd(), entry)} is missing: run npm run build (tsc, then this bundle).\n`,
    );
    process.exit(1);
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  Promise.all(builds.map((options) => esbuild.build(options)))
    .then(() => {
      for (const options of builds) {
        process.stdout.write(
          `bundle: ${path.relative(process.cwd(), options.outfile)} (${fs.statSync(options.outfile).size} bytes)\n`,
        );
      }
    })
    .catch(() => {
      process.exitCode = 1;
    });
}
