import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { newLogEntry, type RequestLogEntry } from '../requestLog';
import { stableId } from '../stableIds';
import type { TenantState } from '../tenantState';
import { ARM_AUDIENCES } from '../tokens';
import { sendArmError, sendArmJson, sendProviderError } from './armReply';
import {
  EMULATED_RUNBOOK_PARAMETERS,
  cancelJobTimers,
  createJob,
  findJob,
  type ArmJob,
} from './automationJobs';

export { armJobs, type ArmJob, type JobStatus } from './automationJobs';

/** Automation api-versions Resource Manager routes; anything else is refused as ARM does. */
const API_VERSIONS = new Set([
  '2015-10-31',
  '2017-05-15-preview',
  '2018-06-30',
  '2019-06-01',
  '2020-01-13-preview',
  '2022-08-08',
  '2023-05-15-preview',
  '2023-11-01',
  '2024-10-23',
]);

// ARM matches provider, type and names case-insensitively.
const JOB_PATH =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.automation\/automationaccounts\/([^/]+)\/jobs\/([^/]+)(\/output)?\/?$/i;

const logEntries = new WeakMap<object, RequestLogEntry>();

interface JobAddress {
  subscriptionId: string;
  resourceGroup: string;
  account: string;
  jobName: string;
  output: boolean;
  resourceId: string;
}

/**
 * Azure Resource Manager fake for Automation jobs: bearer tokens from the emulator's token endpoint,
 * one Automation account (the scenario's) on which our identity holds Automation Job Operator.
 */
export function buildArmServer(tenant: TenantState, tls: { key: string; cert: string }): FastifyInstance {
  const app = Fastify({
    https: tls,
    logger: false,
    forceCloseConnections: true,
  }) as unknown as FastifyInstance;
  app.addHook('onClose', async () => cancelJobTimers(tenant));

  app.addHook('onRequest', async (request, reply) => {
    const entry = newLogEntry(request.method, request.url, false);
    tenant.requests.push(entry);
    logEntries.set(request.raw, entry);
    // Scenario faults whose pattern matches a Resource Manager path: a slow or throttled front door.
    const fault = tenant.faults.take(request.url, false);
    if (fault?.kind === 'slow') await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.kind === 'status') {
      if (fault.retryAfter !== undefined) reply.header('Retry-After', String(fault.retryAfter));
      return sendArmError(
        reply,
        fault.status ?? 503,
        fault.status === 429 ? 'TooManyRequests' : 'ServiceUnavailable',
        'Scripted failure.',
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const check = match ? tenant.tokens.check(match[1], ARM_AUDIENCES) : 'unknown';
    if (check === 'wrong-audience') {
      // Resource Manager's own wording for a token obtained for another resource.
      return sendArmError(
        reply,
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
      );
    }
    if (check !== 'valid') {
      const missing = !request.headers.authorization;
      reply.header(
        'WWW-Authenticate',
        `Bearer authorization_uri="https://login.microsoftonline.com/${tenant.scenario.tenantId}", error="invalid_token", error_description="${missing ? "The authentication failed because of missing 'Authorization' header." : 'The access token is invalid.'}"`,
      );
      return missing
        ? sendArmError(
            reply,
            401,
            'AuthenticationFailed',
            "Authentication failed. The 'Authorization' header is missing.",
          )
        : sendArmError(reply, 401, 'InvalidAuthenticationToken', 'The access token is invalid.');
    }
  });
  // onSend, not onResponse: the status is in the log before the client sees the answer.
  app.addHook('onSend', async (request, reply) => {
    const entry = logEntries.get(request.raw);
    if (entry) entry.status = reply.statusCode;
  });

  app.route({
    method: ['GET', 'PUT'],
    url: '/*',
    handler: async (request, reply) => {
      const apiVersion = new URL(request.url, 'http://emulator.invalid').searchParams.get('api-version');
      if (!apiVersion) {
        return sendArmError(
          reply,
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.',
        );
      }
      const address = parseAddress(request);
      if (!address) return notFound(reply, request);
      if (!API_VERSIONS.has(apiVersion)) {
        return sendArmError(
          reply,
          400,
          'NoRegisteredProviderFound',
          `No registered resource provider found for location 'westeurope' and API version '${apiVersion}' for type 'automationAccounts'. The supported api-versions are '${[...API_VERSIONS].join(', ')}'.`,
        );
      }
      const refused = authorize(tenant, request, reply, address);
      if (refused) return refused;
      if (request.method === 'PUT') {
        if (address.output) return notFound(reply, request);
        return putJob(tenant, request, reply, address);
      }
      const job = findJob(tenant, address.resourceId);
      if (!job) {
        return sendArmError(
          reply,
          404,
          'ResourceNotFound',
          `The job '${address.jobName}' was not found in Automation account '${address.account}'.`,
        );
      }
      if (address.output) {
        // Windows sandboxes end lines with CRLF; clients must split on either.
        return reply
          .code(200)
          .type('text/plain; charset=utf-8')
          .send(job.output.map((line) => `${line}\r\n`).join(''));
      }
      return sendArmJson(reply, 200, jobResource(job));
    },
  });

  app.setNotFoundHandler((request, reply) => notFound(reply, request));
  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (error.statusCode && error.statusCode < 500) {
      return sendArmError(
        reply,
        error.statusCode,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: ${error.message}`,
      );
    }
    return sendArmError(reply, 500, 'InternalServerError', 'Encountered internal server error.');
  });
  return app;
}

function parseAddress(request: FastifyRequest): JobAddress | undefined {
  const path = new URL(request.url, 'http://emulator.invalid').pathname;
  const match = JOB_PATH.exec(path);
  if (!match) return undefined;
  const [, subscriptionId, resourceGroup, account, jobName, output] = match.map((part) =>
    part === undefined ? part : decodeURIComponent(part),
  );
  return {
    subscriptionId,
    resourceGroup,
    account,
    jobName,
    output: output !== undefined,
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Automation/automationAccounts/${account}/jobs/${jobName}`,
  };
}

/**
 * Our identity holds Automation Job Operator on the scenario's resource group's account. Outside that
 * scope ARM answers 403 before it looks for the resource, exactly as for a missing role assignment.
 */
function authorize(
  tenant: TenantState,
  request: FastifyRequest,
  reply: FastifyReply,
  address: JobAddress,
): FastifyReply | undefined {
  const { automation, tenantId } = tenant.scenario;
  const inScope =
    address.subscriptionId.toLowerCase() === automation.subscriptionId.toLowerCase() &&
    address.resourceGroup.toLowerCase() === automation.resourceGroup.toLowerCase();
  if (!inScope) {
    const action = `Microsoft.Automation/automationAccounts/jobs/${address.output ? 'output/read' : request.method === 'PUT' ? 'write' : 'read'}`;
    return sendArmError(
      reply,
      403,
      'AuthorizationFailed',
      `The client '${tenant.managedIdentityClientId}' with object id '${stableId(tenantId, 'managed-identity-object')}' does not have authorization to perform action '${action}' over scope '${address.resourceId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }
  if (address.account.toLowerCase() !== automation.account.toLowerCase()) {
    return sendArmError(
      reply,
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.Automation/automationAccounts/${address.account}' under resource group '${address.resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  }
  return undefined;
}

function putJob(
  tenant: TenantState,
  request: FastifyRequest,
  reply: FastifyReply,
  address: JobAddress,
): FastifyReply {
  const { automation } = tenant.scenario;
  const body = request.body as
    { properties?: { runbook?: { name?: unknown }; parameters?: unknown } } | undefined;
  const runbook = body?.properties?.runbook?.name;
  if (typeof runbook !== 'string' || runbook === '') {
    return sendProviderError(
      reply,
      400,
      'BadRequest',
      'The runbook name is required: properties.runbook.name.',
    );
  }
  const parameters = body?.properties?.parameters ?? {};
  if (
    typeof parameters !== 'object' ||
    parameters === null ||
    Array.isArray(parameters) ||
    Object.values(parameters).some((value) => typeof value !== 'string')
  ) {
    return sendProviderError(
      reply,
      400,
      'BadRequest',
      'properties.parameters must be an object of string values.',
    );
  }
  if (findJob(tenant, address.resourceId)) {
    // Automation never returns the existing job here; the client has to GET it.
    return sendProviderError(
      reply,
      409,
      'Conflict',
      `Job with specified id already exists. Job id: ${address.jobName}`,
    );
  }
  if (runbook.toLowerCase() !== automation.runbook.toLowerCase()) {
    return sendArmError(
      reply,
      404,
      'ResourceNotFound',
      `The runbook '${runbook}' was not found in Automation account '${address.account}'. Publish it first.`,
    );
  }
  const given = parameters as Record<string, string>;
  const declared = Object.keys(EMULATED_RUNBOOK_PARAMETERS);
  for (const name of Object.keys(given)) {
    if (!declared.some((known) => known.toLowerCase() === name.toLowerCase())) {
      return sendProviderError(
        reply,
        400,
        'BadRequest',
        `The runbook '${runbook}' does not have a parameter named '${name}'.`,
      );
    }
  }
  for (const [name, rule] of Object.entries(EMULATED_RUNBOOK_PARAMETERS)) {
    if (rule.mandatory && !Object.keys(given).some((key) => key.toLowerCase() === name.toLowerCase())) {
      return sendProviderError(reply, 400, 'BadRequest', `The runbook parameter '${name}' is mandatory.`);
    }
  }
  const job = createJob(tenant, {
    name: address.jobName,
    resourceId: address.resourceId,
    runbook: automation.runbook,
    parameters: given,
  });
  return sendArmJson(reply, 201, jobResource(job));
}

function jobResource(job: ArmJob): object {
  const terminal = job.status !== 'New' && job.status !== 'Running';
  return {
    id: job.resourceId,
    name: job.name,
    type: 'Microsoft.Automation/AutomationAccounts/Jobs',
    properties: {
      jobId: job.jobId,
      runbook: { name: job.runbook },
      startedBy: null,
      runOn: '',
      creationTime: job.creationTime,
      status: job.status,
      statusDetails: 'None',
      startTime: job.startTime,
      endTime: job.endTime,
      exception: job.exception,
      lastModifiedTime: job.lastModifiedTime,
      lastStatusModifiedTime: job.lastModifiedTime,
      parameters: job.parameters,
      provisioningState: terminal ? 'Succeeded' : 'Processing',
    },
  };
}

function notFound(reply: FastifyReply, request: FastifyRequest): FastifyReply {
  const path = new URL(request.url, 'http://emulator.invalid').pathname;
  return sendArmError(
    reply,
    404,
    'NotFound',
    `No HTTP resource was found that matches the request URI '${path}'.`,
  );
}
