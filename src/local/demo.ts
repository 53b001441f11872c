import { spawn } from 'node:child_process';
import { loadScenario, startEmulator, type RunningEmulator } from '../../emulator';
import { startAzurite } from './azurite';
import { cliPath, emulatorActionEnv, emulatorEnv } from './emulatorEnv';

const say = (text: string) => process.stdout.write(`${text}\n`);

/**
 * The product's story on a laptop: an emulated tenant where two synchronized admins failed SSPR while
 * admin SSPR is off, a real Azurite for state, and the real CLI acting on it in remediate mode through
 * the same managed identity, Graph, Resource Manager and webhook wire formats it uses in Azure.
 */
export async function runDemo(): Promise<number> {
  say(
    'Starting the tenant emulator (Graph, Resource Manager, a webhook receiver, managed identity) and Azurite…',
  );
  const scenario = loadScenario('demo');
  const [emulator, azurite] = await Promise.all([startEmulator({ scenario }), startAzurite()]);
  try {
    const tenantId = scenario.tenantId;
    const report = emulatorEnv(emulator, { STATE_STORAGE: azurite.connectionString });
    const remediate = { ...report, ...emulatorActionEnv(emulator, 'webhook'), ACTION_MODE: 'remediate' };
    say(`\nScenario: ${scenario.description}`);

    say(
      `\n1. Report mode (the default) finds and proves the cause, and changes nothing:\n\n$ sspr-remediator scan --tenant ${tenantId}\n`,
    );
    const reported = await runCli(['scan', '--tenant', tenantId], report);
    if (reported !== 0) return reported;
    const writes = emulator.requests.filter(
      (r) => r.method !== 'GET' && !(r.method === 'POST' && r.path.endsWith('/$batch')),
    );
    say(`\nWrites to the tenant so far: ${writes.length}.`);

    say(
      `\n2. Remediate mode acts on the incident step 1 recorded (kept in Azurite). Step 1 already read the failures, so this\n` +
        `   scan finds none new; it files one ticket, starts the Enable-AdminSspr runbook, re-reads the policy and resolves the ticket:\n`,
    );
    const command = `$ ACTION_MODE=remediate TICKET_SYSTEM=webhook sspr-remediator scan --tenant ${tenantId}\n`;
    say(command);
    const remediated = await runCli(['scan', '--tenant', tenantId], remediate);
    if (remediated !== 0) return remediated;
    const afterFix = seenByFakes(emulator);
    say(`\nSeen by the fakes: ${seenText(afterFix)}.`);

    say(
      `\n3. The same scan again, to show nothing is done twice: the incident is resolved and every action is in the journal.\n`,
    );
    say(command);
    const rerun = await runCli(['scan', '--tenant', tenantId], remediate);
    if (rerun !== 0) return rerun;
    const afterRerun = seenByFakes(emulator);
    const nothingTwice = afterRerun.tickets === afterFix.tickets && afterRerun.jobs === afterFix.jobs;
    say(
      `\nSeen by the fakes after both scans: ${seenText(afterRerun)}.${nothingTwice ? ' No second ticket, no second job.' : ''}`,
    );

    say(`\n$ sspr-remediator incidents --all --tenant ${tenantId}\n`);
    return await runCli(['incidents', '--all', '--tenant', tenantId], remediate);
  } finally {
    await Promise.all([emulator.stop(), azurite.stop()]);
  }
}

/** What the emulator's webhook receiver and Automation account recorded: the demo's claims are read from them. */
function seenByFakes(emulator: RunningEmulator) {
  const events = emulator.tickets.webhook.deliveries.map(
    (delivery) => (delivery.body as { event: string }).event,
  );
  return {
    events,
    tickets: events.filter((event) => event === 'opened').length,
    jobs: emulator.automationJobs().length,
  };
}

function seenText({ events, tickets, jobs }: ReturnType<typeof seenByFakes>): string {
  return `tickets created: ${tickets} (webhook events: ${events.join(', ')}), runbook jobs started: ${jobs}`;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath(), ...args], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
