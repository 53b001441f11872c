import { spawn } from 'node:child_process';
import { loadScenario, startEmulator } from '../../emulator';
import { startAzurite } from './azurite';
import { cliPath, emulatorEnv } from './emulatorEnv';

const say = (text: string) => process.stdout.write(`${text}\n`);

/**
 * The product's story on a laptop: an emulated tenant where two synchronized admins failed SSPR while
 * admin SSPR is off, a real Azurite for state, and the real CLI scanning it through the same
 * managed-identity and Graph wire format it uses in Azure.
 */
export async function runDemo(): Promise<number> {
  say('Starting the tenant emulator (HTTPS Graph + managed-identity endpoint) and Azurite (state)…');
  const scenario = loadScenario('demo');
  const [emulator, azurite] = await Promise.all([startEmulator({ scenario }), startAzurite()]);
  try {
    const tenantId = scenario.tenantId;
    const env = emulatorEnv(emulator, { STATE_STORAGE: azurite.connectionString });
    say(`\nScenario: ${scenario.description}`);
    say(`\n$ sspr-remediator scan --tenant ${tenantId}\n`);
    const scanned = await runCli(['scan', '--tenant', tenantId], env);
    if (scanned !== 0) return scanned;
    say('\nThe incident is recorded in Azure Tables (Azurite). The next scan starts at the checkpoint (minus the overlap)');
    say('and does not report the same events twice:\n');
    say(`$ sspr-remediator scan --tenant ${tenantId}\n`);
    const again = await runCli(['scan', '--tenant', tenantId], env);
    if (again !== 0) return again;
    say(`\n$ sspr-remediator incidents --tenant ${tenantId}\n`);
    const listed = await runCli(['incidents', '--tenant', tenantId], env);
    const writes = emulator.requests.filter((r) => r.method !== 'GET' && !(r.method === 'POST' && r.path.endsWith('/$batch')));
    say(`\nGraph requests seen by the emulator: ${emulator.requests.filter((r) => !r.batchItem && r.path.startsWith('/v1.0')).length}; writes to the tenant: ${writes.length} (report mode).`);
    return listed;
  } finally {
    await Promise.all([emulator.stop(), azurite.stop()]);
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], { env, stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
