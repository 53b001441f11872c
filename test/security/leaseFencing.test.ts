import { BlobServiceClient } from '@azure/storage-blob';
import type { RunningEmulator } from '../../emulator';
import { emulatorActionEnv, emulatorEnv } from '../../src/local/emulatorEnv';
import { parseJson, runCli, type CliRun } from '../helpers/cli';
import { useEmulatedWorld } from '../helpers/emulatedWorld';

/**
 * Issue 11, finding 2: an instance that loses its tenant lease mid-scan must stop writing, and the
 * instance that takes the tenant over must not redo an action the first one may still have in flight.
 * Scanner A's ticket create is held by the fake until A gives up on it (its attempt timeout), and
 * only then stored: the latest a request sent before the lease was lost can land. Meanwhile the lease
 * is broken and scanner B runs. Before fencing, B found no ticket, filed its own, and A's landed too.
 */
const world = useEmulatedWorld();

const jobsCreated = (emulator: RunningEmulator) =>
  emulator.requests.filter((r) => r.method === 'PUT' && r.path.includes('/jobs/') && r.status === 201);

/** Resolves when `ready()` holds; fails with A's output if A ends first (no clock involved). */
async function whileRunning(run: Promise<CliRun>, ready: () => boolean): Promise<void> {
  let ended: CliRun | undefined;
  void run.then((result) => (ended = result));
  while (!ready()) {
    if (ended)
      throw new Error(
        `scanner A ended (exit ${ended.code}) before its ticket request was held:\n${ended.stdout}\n${ended.stderr}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('when a scanner loses its lease while its ticket create is in flight and a second scanner takes over, then there is one ticket and one runbook job', async () => {
  const { emulator, tenantId } = await world.emulate('admin-policy-off');
  const env = emulatorEnv(emulator, {
    STATE_STORAGE: world.azurite.connectionString,
    ACTION_MODE: 'remediate',
    TENANT_LEASE_SECONDS: '15',
    ...emulatorActionEnv(emulator, 'servicenow'),
  });
  emulator.tickets.lateNext('servicenow', 'POST');

  const scannerA = runCli(['scan', '--tenant', tenantId, '--json'], env);
  await whileRunning(scannerA, () => emulator.tickets.held === 1);
  // As an operator (or a storage hiccup that ends the renewals) would: the tenant is free at once.
  const lock = BlobServiceClient.fromConnectionString(world.azurite.connectionString)
    .getContainerClient('sspr-leases')
    .getBlobClient(`${tenantId}.lock`);
  await lock.getBlobLeaseClient().breakLease(0);
  const scannerB = await runCli(['scan', '--tenant', tenantId, '--json'], env);
  const a = await scannerA;

  expect(emulator.tickets.servicenow.incidents).toHaveLength(1);
  expect(jobsCreated(emulator)).toHaveLength(1);
  expect(scannerB.code).toBe(0);
  const [incident] = parseJson(scannerB).incidents;
  expect(incident).toMatchObject({
    state: 'resolved',
    ticket: { system: 'servicenow', id: emulator.tickets.servicenow.incidents[0].sysId },
  });
  // A noticed and stopped: its scan fails with the lease lost, not with a second write.
  expect(a.code).not.toBe(0);
  expect(`${a.stdout}\n${a.stderr}`).toContain('STATE.LEASE_LOST');
}, 240_000);
