/**
 * Every error code the app raises, and what it means to each caller: the CLI's exit code (2: fix the
 * command line or a setting; 1: it failed) and, for the HTTP API, its status when it has its own
 * (otherwise 503 when retrying may help, 502 when the outside world failed). Whether one error is
 * worth retrying is decided where it is thrown (`transient`): the same code can be either.
 */
export const ERROR_CATALOGUE = {
  INTERNAL: { exit: 1, status: 500, meaning: 'a bug: the log has the details' },
  'CLI.USAGE': { exit: 2, status: undefined, meaning: 'the command line cannot work' },
  'CLI.DEMO_UNAVAILABLE': {
    exit: 1,
    status: undefined,
    meaning: 'the demo needs the development dependencies',
  },
  'CONFIG.INVALID': { exit: 2, status: 500, meaning: 'a setting is wrong; the message names it' },
  'AUTH.NO_TOKEN': { exit: 1, status: undefined, meaning: 'no credential gave a token' },
  'AUTH.NO_FEDERATION': {
    exit: 1,
    status: undefined,
    meaning: "no federated credential of FLEET_CLIENT_ID's app matches the managed identity",
  },
  'AUTH.WRONG_TENANT': { exit: 1, status: undefined, meaning: 'a token was for another tenant' },
  'AUTH.UNAUTHENTICATED': { exit: 1, status: 401, meaning: 'no valid Entra token on the request' },
  'AUTH.FORBIDDEN': { exit: 1, status: 403, meaning: 'the token lacks the app role' },
  'AUTH.NOT_CONFIGURED': { exit: 1, status: 503, meaning: 'the API has no app registration (API_AUDIENCE)' },
  'AUTH.UNAVAILABLE': { exit: 1, status: 503, meaning: 'the signing keys could not be read' },
  'GRAPH.FORBIDDEN': {
    exit: 1,
    status: undefined,
    meaning: 'a Graph permission is missing; the message names it',
  },
  'GRAPH.UNAUTHORIZED': { exit: 1, status: undefined, meaning: 'Graph refused the token' },
  'GRAPH.THROTTLED': { exit: 1, status: undefined, meaning: 'Graph kept throttling' },
  'GRAPH.UNAVAILABLE': { exit: 1, status: undefined, meaning: 'Graph kept failing' },
  'GRAPH.UNREACHABLE': { exit: 1, status: undefined, meaning: 'Graph could not be reached' },
  'GRAPH.REQUEST_FAILED': { exit: 1, status: undefined, meaning: 'Graph refused a request' },
  'GRAPH.BAD_NEXT_LINK': { exit: 1, status: undefined, meaning: 'a paging link pointed away from Graph' },
  'STATE.REQUIRED': { exit: 1, status: undefined, meaning: 'the mode needs STATE_STORAGE' },
  'STATE.UNAVAILABLE': { exit: 1, status: undefined, meaning: 'the storage account failed' },
  'STATE.CONFLICT': { exit: 1, status: undefined, meaning: 'a concurrent writer changed the record' },
  'STATE.LEASE_LOST': {
    exit: 1,
    status: undefined,
    meaning: 'this scan lost its tenant lease and stopped writing',
  },
  'SCAN.TENANT_BUSY': { exit: 1, status: 409, meaning: 'another scan holds the tenant' },
  'SCAN.TENANT_DISABLED': { exit: 1, status: 409, meaning: 'the tenant is disabled in the registry' },
  'SCAN.WINDOW_INVALID': { exit: 2, status: 400, meaning: 'the time window cannot be read' },
  'SCAN.MODE_NOT_ALLOWED': {
    exit: 1,
    status: 403,
    meaning: 'a request asked for more than ACTION_MODE allows',
  },
  'SCAN.NOT_FOUND': { exit: 1, status: 404, meaning: 'no such scan request' },
  'SCAN.UNKNOWN_TENANT': { exit: 1, status: 422, meaning: 'the tenant is not in TENANTS' },
  'QUEUE.UNAVAILABLE': { exit: 1, status: undefined, meaning: 'the scan queue could not be written' },
  'QUEUE.INVALID_MESSAGE': { exit: 1, status: undefined, meaning: 'a queue message is not a scan request' },
  'QUEUE.POISONED': { exit: 1, status: undefined, meaning: 'a queued scan failed on every try' },
  'INCIDENT.NOT_FOUND': { exit: 1, status: 404, meaning: 'no such incident' },
  'INCIDENT.NOT_APPROVABLE': { exit: 1, status: 409, meaning: 'the incident is not waiting for approval' },
  'INCIDENT.HARDENING_HOLD': { exit: 1, status: 409, meaning: 'admin SSPR was switched off on purpose' },
  'REMEDIATION.UNAVAILABLE': { exit: 1, status: undefined, meaning: 'no remediator is configured' },
  'REMEDIATION.FORBIDDEN': {
    exit: 1,
    status: undefined,
    meaning: 'a role or permission for the fix is missing',
  },
  'REMEDIATION.RUNBOOK_FAILED': { exit: 1, status: undefined, meaning: 'the Automation job call failed' },
  'REMEDIATION.GRAPH_FAILED': { exit: 1, status: undefined, meaning: 'the direct Graph fix failed' },
  'REMEDIATION.BAD_REF': { exit: 1, status: undefined, meaning: 'a stored fix reference cannot be followed' },
  'TICKET.SERVICENOW_FAILED': { exit: 1, status: undefined, meaning: 'ServiceNow refused or failed' },
  'TICKET.JIRA_FAILED': { exit: 1, status: undefined, meaning: 'Jira refused or failed' },
  'TICKET.AZUREDEVOPS_FAILED': { exit: 1, status: undefined, meaning: 'Azure DevOps refused or failed' },
  'TICKET.GITHUB_FAILED': { exit: 1, status: undefined, meaning: 'GitHub refused or failed' },
  'TICKET.WEBHOOK_FAILED': { exit: 1, status: undefined, meaning: 'the webhook receiver refused or failed' },
  'TICKET.SECRET_UNAVAILABLE': {
    exit: 1,
    status: undefined,
    meaning: "a tenant's ticket secret could not be read from Key Vault; the message names it and the fix",
  },
  'TICKET.ROUTING_INVALID': {
    exit: 1,
    status: undefined,
    meaning: "a tenant's ticket routing does not fit TICKET_SYSTEM; the message lists each problem",
  },
  'TICKET.SECRET_INVALID': {
    exit: 1,
    status: undefined,
    meaning: "a tenant's webhook URL secret is not an https URL",
  },
  'REGISTRY.NEEDS_STATE': {
    exit: 2,
    status: 409,
    meaning: 'changing the tenant registry needs STATE_STORAGE',
  },
  'REGISTRY.INVALID': {
    exit: 2,
    status: 400,
    meaning: "a tenant's settings are refused; the message says why",
  },
  'REGISTRY.IN_TENANTS': {
    exit: 2,
    status: 409,
    meaning: 'the tenant is listed in TENANTS: edit TENANTS first',
  },
  'REGISTRY.UNKNOWN_TENANT': { exit: 1, status: 404, meaning: 'the tenant is not registered' },
  'HTTP.BAD_JSON': { exit: 1, status: 400, meaning: 'the body is not JSON' },
  'HTTP.INVALID_REQUEST': { exit: 1, status: 400, meaning: 'the request does not match its schema' },
  'HTTP.NOT_FOUND': { exit: 1, status: 404, meaning: 'no such route' },
  'HTTP.METHOD_NOT_ALLOWED': { exit: 1, status: 405, meaning: 'the route does not take this method' },
  'HTTP.PAYLOAD_TOO_LARGE': { exit: 1, status: 413, meaning: 'the body is too large' },
  'HTTP.UNSUPPORTED_MEDIA_TYPE': { exit: 1, status: 415, meaning: 'the body is not application/json' },
  'HEALTH.TIMEOUT': { exit: 1, status: undefined, meaning: 'a health probe got no answer' },
} as const satisfies Record<string, { exit: 1 | 2; status: number | undefined; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export function isErrorCode(text: string): text is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, text);
}

/**
 * One error type for the whole app: a stable `code` from the catalogue callers can switch on, a
 * sentence that tells the operator what to do, and whether retrying later may help. Never put
 * tokens, UPNs or payloads in it.
 */
/** One bad setting: its name and a sentence saying what is wrong and how to fix it (never a secret). */
export interface SettingProblem {
  setting: string;
  message: string;
}

/**
 * Marks an AppError whichever copy of this module made it: the Functions bundle loads the composition
 * root from a file of its own (esbuild.config.js), which has its own copy of this module, and an error
 * thrown there must still be an AppError to the triggers (its status, its code), not an INTERNAL.
 */
const APP_ERROR = Symbol.for('sspr-remediator.AppError');

export class AppError extends Error {
  readonly [APP_ERROR] = true;

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[APP_ERROR] === true
    );
  }

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** `status`: what the outside service answered, when one did (not our HTTP status: see httpStatus). */
    readonly options: {
      transient?: boolean;
      cause?: unknown;
      status?: number;
      /** CONFIG.INVALID: every bad setting, as data. */
      problems?: readonly SettingProblem[];
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
  }

  get transient(): boolean {
    return this.options.transient ?? false;
  }

  /** The CLI's exit code for this error. */
  get exitCode(): 1 | 2 {
    return ERROR_CATALOGUE[this.code].exit;
  }

  /** The HTTP status for this error: its own, or 503 if retrying may help, 502 if not. */
  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].status ?? (this.transient ? 503 : 502);
  }
}

export function toAppError(err: unknown, code: ErrorCode = 'INTERNAL'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(code, message, { cause: err });
}

/**
 * Shortens a text for a message at a space, marked with …: a word cut in half reads as a typo or a
 * different word (`…Visua`). Whitespace runs, newlines included, become one space.
 */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > 0 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}

/**
 * What the caller may read. CONFIG.INVALID names setting values and INTERNAL may hold anything, so
 * both get a fixed sentence; the full text goes to the function log only. AppError messages are
 * written for operators and carry no tokens or secrets.
 */
export function publicMessage(error: AppError, invocationId: string): string {
  if (error.code === 'CONFIG.INVALID')
    return "The app's settings are invalid. GET /api/health names the settings; the function log has the details.";
  if (error.code === 'INTERNAL')
    return `Unexpected error. The function log has the details (invocation ${invocationId}).`;
  return error.message;
}
