import fs from 'node:fs';
import path from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { AppError } from '../../src/errors';
import { assertDemoPackages, DEMO_PACKAGES } from '../../src/cli';

/**
 * Issue 11, finding 8: the demo's and the tests' tooling (Azurite, the emulator's fastify and selfsigned) is
 * not part of a production install, and the Functions bundle does not contain it.
 */
const ROOT = path.join(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const DEV_ONLY = ['azurite', 'fastify', 'selfsigned'];

describe('packaging: production dependencies', () => {
  test('when package.json is read, then azurite, fastify and selfsigned are dev dependencies only, and the demo checks for exactly those', () => {
    for (const name of DEV_ONLY) {
      expect([name, name in pkg.dependencies]).toEqual([name, false]);
      expect([name, name in pkg.devDependencies]).toEqual([name, true]);
    }
    expect([...DEMO_PACKAGES].sort()).toEqual(DEV_ONLY);
    const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; dependencies?: Record<string, string> }>;
    };
    for (const name of DEV_ONLY)
      expect([name, lock.packages[`node_modules/${name}`]?.dev]).toEqual([name, true]);
    expect(Object.keys(lock.packages[''].dependencies ?? {})).toEqual(Object.keys(pkg.dependencies));
  });

  test('when the Functions bundle is built, then nothing in its entry graph comes from azurite, fastify, selfsigned, the emulator or src/local', async () => {
    const entry = path.join(ROOT, 'dist/src/functions/index.js');
    if (!fs.existsSync(entry))
      throw new Error(`${entry} is missing: run npm run build (npm ci does) before this test.`);
    // The bundle's own configuration, built in memory with its metafile (the inputs esbuild followed).
    const { builds } = require(path.join(ROOT, 'esbuild.config.js')) as { builds: BuildOptions[] };
    const inputs: string[] = [];
    for (const options of builds) {
      const result = await build({ ...options, write: false, metafile: true, logLevel: 'silent' });
      inputs.push(...Object.keys((result.metafile as Metafile).inputs));
    }
    expect(inputs.length).toBeGreaterThan(100);
    expect(inputs.some((input) => input.includes('node_modules/@azure/data-tables/'))).toBe(true);
    const forbidden = inputs.filter((input) =>
      /node_modules\/(azurite|fastify|selfsigned|@fastify)\/|dist\/emulator\/|dist\/src\/local\//.test(input),
    );
    expect(forbidden).toEqual([]);
  });

  test('when the demo runs in an install without dev dependencies, then it stops with CLI.DEMO_UNAVAILABLE naming what is missing and saying to run npm ci', () => {
    expect(() => assertDemoPackages()).not.toThrow();
    const withoutAzurite = (id: string) => {
      if (id.startsWith('azurite/') || id.startsWith('fastify/'))
        throw Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
      return require.resolve(id);
    };
    let error: unknown;
    try {
      assertDemoPackages(withoutAzurite);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CLI.DEMO_UNAVAILABLE');
    expect((error as AppError).message).toMatch(/azurite, fastify\b/);
    expect((error as AppError).message).toMatch(/run npm ci/);
  });
});
