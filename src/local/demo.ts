import { spawn } from 'node:child_process';
import { loadScenario, startEmulator } from '../../emulator';
import { startAzurite } from './azurite';
import { cliPath, emulatorActionEnv, emulatorEnv } from './emulatorEnv';

const say = (text: string) => process.stdout.write(`${text}\n`);

/**
 * The product's story on a laptop: an emulated tenant where two synchronized admins failed SSPR while
 * admin SSPR is off, a real Azurite for state, and the real CLI acting on it in remediate mode through
 * the same managed identity, Graph, Resource Manager and webhook wire formats it uses in Azure.
 */
export async function runDemo(): Promise<number> {
  say('Starting the tenant emulator (Graph, Resource Manager, a webhook receiver, managed identity) and Azurite…');
  const scenario = loadScenario('demo');
  const [emulator, azurite] = await Promise.all([startEmulator({ scenario }), startAzurite()]);
  try {
    const tenantId = scenario.tenantId;
    const report = emulatorEnv(emulator, { STATE_STORAGE: azurite.connectionString });
    const remediate = { ...report, ...emulatorActionEnv(emulator, 'webhook'), ACTION_MODE: 'remediate' };
    say(`\nScenario: ${scenario.description}`);

    say(`\n1. Report mode (the default) finds and proves the cause, and changes nothing:\n\n$ sspr-remediator scan --tenant ${tenantId}\n`);
    const reported = await runCli(['scan', '--tenant', tenantId], report);
    if (reported !== 0) return reported;
    const writes = emulator.requests.filter((r) => r.method !== 'GET' && !(r.method === 'POST' && r.path.endsWith('/$batch')));
    say(`\nWrites to the tenant so far: ${writes.length}.`);

    say(`\n2. Remediate mode: one ticket, the Enable-AdminSspr runbook, the policy re-read, the ticket resolved:\n`);
    say(`$ ACTION_MODE=remediate TICKET_SYSTEM=webhook sspr-remediator scan --tenant ${tenantId}\n`);
    const remediated = await runCli(['scan', '--tenant', tenantId], remediate);
    if (remediated !== 0) return remediated;

    const events = emulator.tickets.webhook.deliveries.map((delivery) => (delivery.body as { event: string }).event);
    const jobs = emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201).length;
    say(`\nSeen by the fakes: webhook events [${events.join(', ')}], runbook jobs started: ${jobs}.`);
    say(`\n3. Running it again changes nothing: no second ticket, no second job.\n\n$ sspr-remediator incidents --all --tenant ${tenantId}\n`);
    const rerun = await runCli(['scan', '--tenant', tenantId, '--json'], remediate, 'ignore');
    if (rerun !== 0) return rerun;
    return await runCli(['incidents', '--all', '--tenant', tenantId], remediate);
  } finally {
    await Promise.all([emulator.stop(), azurite.stop()]);
  }
}

function runCli(args: string[], env: NodeJS.ProcessEnv, stdout: 'inherit' | 'ignore' = 'inherit'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], { env, stdio: ['ignore', stdout, 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
