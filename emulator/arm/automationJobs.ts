import { randomUUID } from 'node:crypto';
import { policyChangeEntry } from '../scenarioEvents';
import { stableId } from '../stableIds';
import type { TenantState } from '../tenantState';

/** Job statuses Automation reports; the last four end a job. */
export type JobStatus = 'New' | 'Running' | 'Completed' | 'Failed' | 'Stopped' | 'Suspended';

export interface ArmJob {
  /** The name the client chose in the PUT URL. */
  name: string;
  jobId: string;
  resourceId: string;
  runbook: string;
  parameters: Record<string, string>;
  status: JobStatus;
  creationTime: string;
  startTime: string | null;
  endTime: string | null;
  lastModifiedTime: string;
  exception: string | null;
  /** What the runbook wrote with Write-Output so far, one entry a line. */
  output: string[];
}

interface JobRecord {
  job: ArmJob;
  timers: NodeJS.Timeout[];
}

/**
 * The emulated Enable-AdminSspr.ps1 param block. Kept here rather than imported from src so the
 * emulator stays a stand-in for Azure, not a copy of the app; test/infra/runbook.test.ts keeps the
 * real script, the app's constant and this list in step.
 */
export const EMULATED_RUNBOOK_PARAMETERS = {
  TenantId: { mandatory: true, validateSet: null },
  IncidentId: { mandatory: true, validateSet: null },
  Method: { mandatory: false, validateSet: ['Graph', 'Msol'] },
  Environment: { mandatory: false, validateSet: ['Global', 'USGov', 'USGovDoD', 'China'] },
} as const satisfies Record<string, { mandatory: boolean; validateSet: readonly string[] | null }>;

// A WeakMap so TenantState (not ours to change) carries no ARM fields and jobs die with the tenant.
const jobsByTenant = new WeakMap<TenantState, Map<string, JobRecord>>();

function store(tenant: TenantState): Map<string, JobRecord> {
  let jobs = jobsByTenant.get(tenant);
  if (!jobs) {
    jobs = new Map();
    jobsByTenant.set(tenant, jobs);
  }
  return jobs;
}

/** Every job created on this tenant's Automation account, in creation order: for tests to observe. */
export function armJobs(tenant: TenantState): ArmJob[] {
  return [...store(tenant).values()].map((record) => record.job);
}

export function findJob(tenant: TenantState, resourceId: string): ArmJob | undefined {
  return store(tenant).get(resourceId.toLowerCase())?.job;
}

/** Stops pending status changes, so a closed server leaves no timers behind. */
export function cancelJobTimers(tenant: TenantState): void {
  for (const record of store(tenant).values()) for (const timer of record.timers) clearTimeout(timer);
}

/** Automation passes parameter values through a JSON parse (Az PowerShell sends `"\"Graph\""`); plain text stays as is. */
export function parameterValue(raw: string): string {
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'string' ? parsed : raw;
  } catch {
    return raw;
  }
}

/** Creates the job and schedules its life: New, Running, then the scenario's outcome after runForMs. */
export function createJob(
  tenant: TenantState,
  input: { name: string; resourceId: string; runbook: string; parameters: Record<string, string> },
): ArmJob {
  const { runForMs } = tenant.scenario.automation;
  const now = isoNow(tenant);
  const job: ArmJob = {
    name: input.name,
    jobId: randomUUID(),
    resourceId: input.resourceId,
    runbook: input.runbook,
    parameters: input.parameters,
    status: 'New',
    creationTime: now,
    startTime: null,
    endTime: null,
    lastModifiedTime: now,
    exception: null,
    output: [],
  };
  const record: JobRecord = { job, timers: [] };
  store(tenant).set(input.resourceId.toLowerCase(), record);
  // A sandbox takes a moment to start; a very short run still shows Running once.
  const activateMs = Math.min(250, Math.floor(runForMs / 2));
  record.timers.push(
    setTimeout(() => start(tenant, job), activateMs).unref(),
    setTimeout(() => finish(tenant, job), runForMs).unref(),
  );
  return job;
}

function start(tenant: TenantState, job: ArmJob): void {
  if (job.status !== 'New') return;
  job.status = 'Running';
  job.startTime = job.lastModifiedTime = isoNow(tenant);
  job.output.push(
    `Connecting to Microsoft Graph (${parameterValue(job.parameters.Environment ?? 'Global')}) with the Automation account's managed identity.`,
  );
}

/** Runs the emulated script body once: the effects on the tenant happen here, never on a GET. */
function finish(tenant: TenantState, job: ArmJob): void {
  if (job.status !== 'New' && job.status !== 'Running') return;
  start(tenant, job);
  const { automation, tenantId } = tenant.scenario;
  const args = Object.fromEntries(
    Object.entries(job.parameters).map(([key, value]) => [key.toLowerCase(), parameterValue(value)]),
  );
  const method = args.method ?? 'Graph';
  const end = (status: JobStatus, exception: string | null = null) => {
    job.status = status;
    job.exception = exception;
    job.endTime = job.lastModifiedTime = isoNow(tenant);
  };

  // PowerShell checks ValidateSet when it binds parameters, before the first line runs.
  for (const [name, rule] of Object.entries(EMULATED_RUNBOOK_PARAMETERS)) {
    const value = args[name.toLowerCase()];
    if (
      rule.validateSet &&
      value !== undefined &&
      !(rule.validateSet as readonly string[]).some(
        (allowed) => allowed.toLowerCase() === value.toLowerCase(),
      )
    ) {
      job.output = [];
      return end(
        'Failed',
        `Cannot validate argument on parameter '${name}'. The argument "${value}" does not belong to the set "${rule.validateSet.join(',')}" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.`,
      );
    }
  }
  // The script refuses to touch a tenant other than the one the incident is about.
  if ((args.tenantid ?? '').toLowerCase() !== tenantId.toLowerCase()) {
    return end(
      'Failed',
      `The managed identity signed in to tenant ${tenantId}, not ${args.tenantid ?? '(none)'}. Run the runbook in an Automation account of the incident's tenant.`,
    );
  }

  const before = currentValue(tenant);
  if (method.toLowerCase() === 'msol') {
    job.output.push(
      'WARNING: MSOnline was retired in 2025; Set-MsolCompanySettings no longer works. Use -Method Graph.',
    );
    job.output.push('Set-MsolCompanySettings failed: the MSOnline service is no longer available.');
  } else if (automation.outcome === 'fails') {
    return end(
      'Failed',
      'Update-MgPolicyAuthorizationPolicy_UpdateExpanded: Insufficient privileges to complete the operation. Status: 403 (Forbidden) ErrorCode: Authorization_RequestDenied',
    );
  } else if (before === true) {
    job.output.push('allowedToUseSSPR is already True; nothing to change.');
  } else if (automation.outcome === 'fixes') {
    job.output.push(`allowedToUseSSPR is ${psBool(before)}; switching it on.`);
    switchOn(tenant, automation.account);
  } else {
    // completes-without-fix: the update call returned, but the value did not change (e.g. replication, a policy guard).
    job.output.push(`allowedToUseSSPR is ${psBool(before)}; switching it on.`);
  }
  job.output.push(
    JSON.stringify({
      incidentId: args.incidentid ?? null,
      allowedToUseSSPR: currentValue(tenant),
      method: method.toLowerCase() === 'msol' ? 'Msol' : 'Graph',
    }),
  );
  end('Completed');
}

/** The same write a Graph PATCH makes, with the audit record credited to the Automation account's identity. */
function switchOn(tenant: TenantState, account: string): void {
  const { tenantId } = tenant.scenario;
  tenant.policy = true;
  const timeMs = tenant.clockMs();
  tenant.timeline.add(
    policyChangeEntry(
      tenantId,
      stableId(tenantId, 'runbook', account, timeMs, tenant.requests.length),
      timeMs,
      true,
      {
        kind: 'app',
        app: {
          // A system-assigned identity's service principal is named after its Automation account.
          appId: stableId(tenantId, 'automation-identity', account.toLowerCase()),
          displayName: account,
          servicePrincipalId: stableId(tenantId, 'automation-service-principal', account.toLowerCase()),
          servicePrincipalName: null,
        },
      },
      tenant.directory,
    ),
  );
}

function currentValue(tenant: TenantState): boolean | null {
  return typeof tenant.policy === 'boolean' ? tenant.policy : null;
}

function psBool(value: boolean | null): string {
  return value === null ? 'not set' : value ? 'True' : 'False';
}

function isoNow(tenant: TenantState): string {
  return new Date(tenant.clockMs()).toISOString();
}
