import { AutomationClient, type AutomationModels } from '@azure/arm-automation';
import type { TokenCredential } from '@azure/identity';
import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import { credentialsTried, isCredentialFailure } from '../auth/credentialFailure';
import { AppError, clip } from '../../errors';
import type { RemediationProgress, RemediationRef, Remediator } from '../../usecases/ports/actions';
import type { AutomationSettings } from '../../config/automation';

export {
  ARM_ENDPOINTS,
  GRAPH_ENVIRONMENTS,
  automationSettingsSchema,
  loadAutomationSettings,
  type AutomationSettings,
  type GraphEnvironment,
} from '../../config/automation';

/** Enable-AdminSspr.ps1's param block, in order; test/infra/runbook.test.ts holds the script to it. */
export const RUNBOOK_PARAMETERS = ['TenantId', 'IncidentId', 'Method', 'Environment'] as const;
export type RunbookParameter = (typeof RUNBOOK_PARAMETERS)[number];
/** -Method values; Msol is kept for the record only (MSOnline was retired in 2025). */
export const RUNBOOK_METHODS = ['Graph', 'Msol'] as const;

export const AUTOMATION_JOB_OPERATOR = 'Automation Job Operator (4fe576fe-1146-4730-92eb-48519fa6bf9f)';

/** Ends a job: Automation does not move it on by itself from these. */
export const TERMINAL_JOB_STATUSES: ReadonlySet<string> = new Set([
  'Completed',
  'Failed',
  'Stopped',
  'Suspended',
]);

// Our own namespace: job names must not collide with ids other code derives from the same text.
const JOB_NAMESPACE = 'b7d1c0e4-5a43-4f7e-9c2a-4d0f6e3a8b15';

/**
 * The job name for an incident: the same on every attempt, so a retry after a crash finds the job
 * it started instead of starting a second one. Ids are lower-cased: GUID case must not make a new job.
 */
export function jobNameFor(tenantId: string, incidentId: string): string {
  return uuidv5(`${tenantId.toLowerCase()}/${incidentId.toLowerCase()}`, JOB_NAMESPACE);
}

const resultLineSchema = z.object({
  incidentId: z.string(),
  allowedToUseSSPR: z.boolean().nullable(),
  method: z.string(),
});

/** The runbook's result: the last output line that is the JSON object it writes at the end. */
export function parseRunbookResult(output: string): RemediationProgress['result'] {
  const lines = output.split(/\r?\n/).map((line) => line.trim());
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith('{')) continue;
    try {
      const parsed = resultLineSchema.safeParse(JSON.parse(lines[i]));
      if (parsed.success) return parsed.data;
    } catch {
      // A log line that merely starts with '{': keep looking further up.
    }
  }
  return null;
}

// The SDK's legacy credential shape (ms-rest-js ServiceClientCredentials), taken from its own signature.
type ArmCredentials = Exclude<ConstructorParameters<typeof AutomationClient>[0], TokenCredential>;
// ms-rest-js's request policy shape, likewise taken from the client's own options.
type ArmPolicyFactories = NonNullable<
  NonNullable<ConstructorParameters<typeof AutomationClient>[3]>['requestPolicyFactories']
>;
type ArmPolicyFactory = Extract<ArmPolicyFactories, unknown[]>[number];

/**
 * One Resource Manager attempt waits at most this long (ms-rest-js sets no timeout): a start or poll
 * never holds an invocation, and its journal row, past the Functions timeout.
 */
export const ARM_ATTEMPT_TIMEOUT_MS = 30_000;

/**
 * An abort signal rather than ms-rest-js's own `timeout`: that one arms a timer it never clears, which
 * kept the CLI alive for the whole timeout after its last call. AbortSignal.timeout's timer does not.
 */
function perAttemptTimeout(timeoutMs: number): ArmPolicyFactory {
  return {
    create: (next) => ({
      sendRequest: (request) => {
        // Node's AbortSignal is an AbortSignalLike at run time; the declared types differ only in `this`.
        request.abortSignal = AbortSignal.timeout(timeoutMs) as unknown as typeof request.abortSignal;
        return next.sendRequest(request);
      },
    }),
  };
}

/**
 * ms-rest-js turns a TokenCredential into a scope itself, but only for a hard-coded list of ARM hosts
 * (not even management.azure.com; anything else gets https://management.azure.com/.default). We sign
 * requests ourselves so the audience is the national cloud's Resource Manager; an ARM_ENDPOINT override
 * (a proxy, the emulator) changes where requests go, never the audience Entra issues the token for.
 */
function armCredentials(credential: TokenCredential, armAudience: string): ArmCredentials {
  const scope = `${new URL(armAudience).origin}/.default`;
  return {
    async signRequest(request) {
      const token = await credential.getToken(scope);
      if (!token)
        throw new AppError(
          'AUTH.NO_TOKEN',
          `No token for Azure Resource Manager (${scope}). Use a managed identity, run az login, or set AZURE_CLIENT_ID/AZURE_TENANT_ID with a secret or certificate.`,
        );
      request.headers.set('authorization', `Bearer ${token.token}`);
      return request;
    },
  };
}

/**
 * Fixes the tenant through the Enable-AdminSspr runbook in Azure Automation (REMEDIATION_METHOD=runbook),
 * with @azure/arm-automation 10.1.1 (api-version 2017-05-15-preview). Our identity needs Automation Job
 * Operator on the account; the runbook's own identity holds Policy.ReadWrite.Authorization.
 */
export class AutomationRemediator implements Remediator {
  readonly method = 'runbook' as const;
  private readonly client: AutomationClient;

  constructor(
    credential: TokenCredential,
    private readonly settings: AutomationSettings,
    /** Only tests shorten the per-attempt timeout. */
    options: { attemptTimeoutMs?: number } = {},
  ) {
    // 'status' is countType1, a constructor argument the generated client requires but jobs never use.
    this.client = new AutomationClient(
      armCredentials(credential, settings.armAudience),
      settings.subscriptionId,
      'status',
      {
        baseUri: settings.armEndpoint,
        // First in the chain, so every retry ms-rest-js makes carries the same bound.
        requestPolicyFactories: (defaults) => [
          perAttemptTimeout(options.attemptTimeoutMs ?? ARM_ATTEMPT_TIMEOUT_MS),
          ...defaults,
        ],
      },
    );
  }

  async start(tenantId: string, incidentId: string): Promise<RemediationRef> {
    const { resourceGroup, account, runbook, graphEnvironment } = this.settings;
    const jobName = jobNameFor(tenantId, incidentId);
    const parameters: Record<RunbookParameter, string> = {
      TenantId: tenantId,
      IncidentId: incidentId,
      Method: 'Graph',
      Environment: graphEnvironment,
    };
    try {
      await this.client.job.create(resourceGroup, account, jobName, {
        runbook: { name: runbook },
        parameters,
      });
    } catch (err) {
      if (!alreadyExists(err)) throw this.failure(err, `Starting runbook ${runbook}`);
      // A second PUT never returns the job: fetch it, which also proves the name really is taken by a job we can see.
      try {
        await this.client.job.get(resourceGroup, account, jobName);
      } catch (getErr) {
        throw this.failure(getErr, `Reading job ${jobName}, which already exists`);
      }
    }
    return { method: 'runbook', jobName };
  }

  async progress(ref: RemediationRef): Promise<RemediationProgress> {
    if (ref.method !== 'runbook' || !ref.jobName) {
      throw new AppError(
        'REMEDIATION.BAD_REF',
        `A ${ref.method} remediation without a job name cannot be followed as a runbook job.`,
      );
    }
    const { resourceGroup, account } = this.settings;
    let job: AutomationModels.JobGetResponse;
    try {
      job = await this.client.job.get(resourceGroup, account, ref.jobName);
    } catch (err) {
      throw this.failure(err, `Reading job ${ref.jobName}`);
    }
    const status = job.status ?? 'Unknown';
    // Unknown and future statuses count as still running: only the documented ends stop polling.
    if (!TERMINAL_JOB_STATUSES.has(status)) {
      return { status, terminal: false, succeeded: false, result: null, detail: nonEmpty(job.statusDetails) };
    }
    let output: string;
    try {
      output = await this.readOutput(ref.jobName);
    } catch (err) {
      throw this.failure(err, `Reading the output of job ${ref.jobName}`);
    }
    const result = parseRunbookResult(output);
    const expected = job.parameters?.IncidentId;
    if (
      result &&
      expected !== undefined &&
      stripJsonQuotes(expected).toLowerCase() !== result.incidentId.toLowerCase()
    ) {
      return {
        status,
        terminal: true,
        succeeded: false,
        result,
        detail: `The job's result line names incident ${result.incidentId}, not ${stripJsonQuotes(expected)}.`,
      };
    }
    const succeeded = status === 'Completed' && result?.allowedToUseSSPR === true;
    return {
      status,
      terminal: true,
      succeeded,
      result,
      detail: describe(status, result, job.exception ?? job.statusDetails),
    };
  }

  private async readOutput(jobName: string): Promise<string> {
    const response = await this.client.job.getOutput(
      this.settings.resourceGroup,
      this.settings.account,
      jobName,
    );
    const stream = response.readableStreamBody;
    if (!stream) return '';
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer | string>)
      chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** One AppError per failed ARM call: status and ARM's code, what to do, never the request or a token. */
  private failure(err: unknown, what: string): AppError {
    if (err instanceof AppError) return err;
    if (isCredentialFailure(err)) {
      return new AppError(
        'AUTH.NO_TOKEN',
        `${what}: no token for Azure Resource Manager. Tried: ${credentialsTried(err)}. Use a managed identity, run az login, or set AZURE_CLIENT_ID/AZURE_TENANT_ID.`,
      );
    }
    const { subscriptionId, resourceGroup, account, runbook } = this.settings;
    const rest = restFailure(err);
    const said = rest.code
      ? `${rest.status ?? 'no status'} ${rest.code}`
      : String(rest.status ?? 'no answer');
    const text = rest.message ? `: ${rest.message}` : '';
    const where = `Automation account ${account} (resource group ${resourceGroup}, subscription ${subscriptionId})`;
    if (rest.status === 403) {
      return new AppError(
        'REMEDIATION.FORBIDDEN',
        `${what} was refused (${said}). Give the app's identity the role ${AUTOMATION_JOB_OPERATOR} on the ${where}.`,
        { status: 403 },
      );
    }
    if (rest.status === 401) {
      return new AppError(
        'REMEDIATION.RUNBOOK_FAILED',
        `${what}: Azure Resource Manager refused the token (${said}). Check the identity, AZURE_CLOUD and ARM_ENDPOINT.`,
        { status: 401 },
      );
    }
    if (rest.status === 404) {
      return new AppError(
        'REMEDIATION.RUNBOOK_FAILED',
        `${what}: not found (${said}${text}). Check AUTOMATION_SUBSCRIPTION_ID, AUTOMATION_RESOURCE_GROUP and AUTOMATION_ACCOUNT, and that runbook ${runbook} is published in the ${where}.`,
        { status: 404 },
      );
    }
    const transient =
      rest.status === undefined || rest.status === 408 || rest.status === 429 || rest.status >= 500;
    return new AppError(
      'REMEDIATION.RUNBOOK_FAILED',
      `${what} failed (${said}${text}).${transient ? ' Azure Automation may be busy or unreachable; retry later.' : ` Check the runbook's parameters (${RUNBOOK_PARAMETERS.join(', ')}) and the ${where}.`}`,
      { status: rest.status, transient },
    );
  }
}

/** Automation's answer to a second PUT of the same job name; the status is undocumented (409 seen, 400 tolerated). */
function alreadyExists(err: unknown): boolean {
  const { status, message } = restFailure(err);
  return status === 409 || (status === 400 && /already exists/i.test(message ?? ''));
}

/**
 * ms-rest-js's RestError, reduced to what may be shown: status, ARM's code and message (from either the
 * ARM envelope or Automation's flat body). The request it carries is dropped on purpose.
 */
function restFailure(err: unknown): {
  status: number | undefined;
  code: string | undefined;
  message: string | undefined;
} {
  const e = err as {
    statusCode?: unknown;
    code?: unknown;
    message?: unknown;
    body?: { code?: unknown; message?: unknown };
  };
  const status = typeof e?.statusCode === 'number' && e.statusCode > 0 ? e.statusCode : undefined;
  const code =
    typeof e?.body?.code === 'string' ? e.body.code : typeof e?.code === 'string' ? e.code : undefined;
  const raw =
    typeof e?.body?.message === 'string'
      ? e.body.message
      : typeof e?.message === 'string'
        ? e.message
        : undefined;
  return { status, code, message: raw === undefined ? undefined : clip(raw, 400) };
}

function stripJsonQuotes(value: string): string {
  return /^".*"$/.test(value) ? value.slice(1, -1) : value;
}

function nonEmpty(text: string | undefined | null): string | null {
  return text && text !== 'None' ? clip(text, 500) : null;
}

function describe(
  status: string,
  result: RemediationProgress['result'],
  said: string | undefined | null,
): string | null {
  const extra = nonEmpty(said);
  if (status !== 'Completed') return `The job ended ${status}${extra ? `: ${extra}` : '.'}`;
  if (!result)
    return 'The job completed but wrote no result line; re-read the policy to know whether the fix applied.';
  if (result.allowedToUseSSPR !== true)
    return `The job completed but reports allowedToUseSSPR=${String(result.allowedToUseSSPR)}.`;
  return null;
}
