import { readFileSync } from 'node:fs';
import type { BudgetStats } from '../adapters/storage/tableAuditBudget';
import { composeApp } from '../composition';
import { loadConfig } from '../config/config';
import { toAppError } from '../errors';

/**
 * A stand-in for one Functions instance of a many-tenant deployment (issue 15), for the fleet
 * benchmark and its tests: scans the tenants it is given, `concurrency` at a time, through the same
 * composition root as the CLI and the Functions app (so with STATE_STORAGE and
 * FLEET_AUDIT_REQUESTS_PER_10S every audit request takes a share of the shared budget). Each tenant
 * signs in as the multi-tenant app registration the environment names (FLEET_CLIENT_ID,
 * FLEET_CREDENTIAL, AZURE_AUTHORITY_HOST pointing at the emulator's sign-in endpoint), exactly as the
 * deployed app does. Laptop-only: never deployed.
 *
 *   node dist/src/local/fleetWorker.js < input.json    (FleetWorkerInput on stdin, FleetWorkerReport on stdout)
 */
export interface FleetWorkerInput {
  tenants: string[];
  concurrency: number;
}

export interface FleetScan {
  tenantId: string;
  /** The error code when the scan failed. */
  code?: string;
  startedAt: number;
  endedAt: number;
  graphRequests: number;
  throttled: number;
}

export interface FleetWorkerReport {
  pid: number;
  scans: FleetScan[];
  /** Peak resident set size of this process, MB. */
  peakRssMb: number;
  /** What the shared budget cost this process, when it was on. */
  budget?: BudgetStats;
}

export async function runFleetWorker(
  input: FleetWorkerInput,
  env: NodeJS.ProcessEnv,
): Promise<FleetWorkerReport> {
  const config = loadConfig(env);
  const app = composeApp(config);
  const scans: FleetScan[] = [];
  let next = 0;
  const lane = async () => {
    while (next < input.tenants.length) {
      const tenantId = input.tenants[next++];
      const startedAt = Date.now();
      try {
        const result = await app.scan({ tenantId });
        scans.push({
          tenantId,
          startedAt,
          endedAt: Date.now(),
          graphRequests: result.graphRequests.total,
          throttled: result.graphRequests.throttled,
        });
      } catch (err) {
        // One tenant's failure (no consent, 403, throttled for too long) never stops the others.
        scans.push({
          tenantId,
          code: toAppError(err).code,
          startedAt,
          endedAt: Date.now(),
          graphRequests: 0,
          throttled: 0,
        });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, input.concurrency) }, lane));
  } finally {
    await app.close();
  }
  return {
    pid: process.pid,
    scans,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    budget: app.auditBudgetStats?.(),
  };
}

if (require.main === module) {
  const input = JSON.parse(readFileSync(0, 'utf8')) as FleetWorkerInput;
  runFleetWorker(input, process.env).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err: unknown) => {
      const error = toAppError(err);
      process.stderr.write(`error ${error.code}: ${error.message}\n`);
      process.exitCode = 1;
    },
  );
}
