import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/local/packageRoot';
import { childJson, runNode } from './nodeChild';
import { assertNoSecrets } from './secretHygiene';

// Runs in the child: the built composition root, as the CLI and the Functions host build it, and one
// App.scan with the options given (the tenant's ticket routing until the tenant registry lands). Prints
// the scan's JSON contract, or the error's code and message.
const DRIVER = `
const dist = process.env.DIST_ROOT;
const { loadConfig } = require(dist + '/src/config/config.js');
const { composeApp } = require(dist + '/src/composition.js');
const { scanResultJson } = require(dist + '/src/usecases/resultJson.js');
(async () => {
  let out;
  let app;
  try {
    app = composeApp(loadConfig(process.env));
    const result = await app.scan({ tenantId: process.env.SCAN_TENANT }, JSON.parse(process.env.SCAN_OPTIONS));
    out = { result: scanResultJson(result) };
  } catch (err) {
    out = { error: { code: err && err.code ? err.code : null, message: String(err && err.message) } };
  } finally {
    if (app) await app.close();
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

export interface ScanInChild {
  result?: any;
  error?: { code: string | null; message: string };
  stdout: string;
}

/**
 * One scan through dist/src/composition.js's App.scan in its own Node process (Node trusts the
 * emulator's certificate only through NODE_EXTRA_CA_CERTS at start-up). Nothing it prints may carry a secret.
 */
export async function runScanInChild(
  env: NodeJS.ProcessEnv,
  tenantId: string,
  options: Record<string, unknown>,
): Promise<ScanInChild> {
  const dist = join(packageRoot(), 'dist');
  if (!existsSync(join(dist, 'src', 'composition.js')))
    throw new Error(
      `${dist}/src/composition.js is missing: run \`npm run build\` before the integration tests.`,
    );
  const output = await runNode(
    ['-e', DRIVER],
    { ...env, DIST_ROOT: dist, SCAN_TENANT: tenantId, SCAN_OPTIONS: JSON.stringify(options) },
    'App.scan',
  );
  assertNoSecrets('the stdout of App.scan', output.stdout);
  return { ...childJson(output, 'App.scan'), stdout: output.stdout };
}
