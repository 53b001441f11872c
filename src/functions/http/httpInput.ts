import type { HttpRequest } from '@azure/functions';
import { z } from 'zod';
import { clip } from '../../errors';
import type { IncidentState } from '../../usecases/ports/state';
import { isoTime, modeSchema, parseIsoTime, tenantIdSchema } from '../../core/scanMessage';
import { httpError } from './problem';
import { ACTION_MODES, isTenantId } from '../../core/modes';

/** Request bodies here are a handful of fields; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 8 * 1024;

/** Every IncidentState, checked both ways against the type so a new state cannot be forgotten here. */
export const INCIDENT_STATES = [
  'open',
  'ticketed',
  'approved',
  'remediating',
  'verifying',
  'resolved',
  'failed',
] as const satisfies readonly IncidentState[];
type Missing = Exclude<IncidentState, (typeof INCIDENT_STATES)[number]>;
const everyStateListed: Missing extends never ? true : Missing = true;
void everyStateListed;

/** POST /api/scans */
export const scanRequestSchema = z
  .object({
    tenantId: tenantIdSchema.optional(),
    from: isoTime('from').optional(),
    to: isoTime('to').optional(),
    mode: modeSchema.optional(),
  })
  .strict()
  .refine(
    (body) => !body.from || !body.to || parseIsoTime(body.from)!.getTime() < parseIsoTime(body.to)!.getTime(),
    {
      message: 'from must be before to.',
      path: ['from'],
    },
  );

/**
 * POST /api/incidents/{id}/approve. The approver is the caller's validated Entra ID identity, never a
 * field: `by` is refused here (it stays for the CLI, run by a local operator).
 */
export const approvalSchema = z
  .object({
    tenantId: tenantIdSchema.optional(),
    overrideHardening: z.boolean({ message: 'overrideHardening must be true or false.' }).optional(),
    by: z
      .undefined({
        message:
          'by is not accepted over HTTP: the approver is the caller signed in with Entra ID (Authorization: Bearer).',
      })
      .optional(),
  })
  .strict();

/** Text fields of a tenant: bounded here; the use case refuses hidden characters and blanks. */
const tenantText = (field: string, max: number) =>
  z
    .string({ message: `${field} must be text.` })
    .max(max, { message: `${field} is longer than ${max} characters.` });

/**
 * PUT /api/tenants/{id}: the fields to set (a field left out is left as it is). Who added the tenant is
 * the caller's validated Entra ID identity, never a field: `addedBy` is refused.
 */
export const tenantBodySchema = z
  .object({
    name: tenantText('name', 256).optional(),
    enabled: z.boolean({ message: 'enabled must be true or false.' }).optional(),
    modeCap: z
      .enum(ACTION_MODES, { message: `modeCap must be one of ${ACTION_MODES.join(', ')}.` })
      .optional(),
    routing: z
      .object({
        project: tenantText('routing.project', 200).optional(),
        assignmentGroup: tenantText('routing.assignmentGroup', 200).optional(),
        webhookUrlSecret: tenantText('routing.webhookUrlSecret', 2048).optional(),
      })
      .strict()
      .optional(),
    addedBy: z
      .undefined({
        message:
          'addedBy is not accepted: the registry records the caller signed in with Entra ID (Authorization: Bearer).',
      })
      .optional(),
  })
  .strict();

/** GET /api/incidents?state=&tenantId= */
export const incidentQuerySchema = z
  .object({
    state: z
      .enum(INCIDENT_STATES, { message: `state must be one of ${INCIDENT_STATES.join(', ')}.` })
      .optional(),
    tenantId: tenantIdSchema.optional(),
  })
  .strict();

/**
 * Reads a JSON object body: at most MAX_BODY_BYTES, `Content-Type: application/json` when there is a
 * body, valid JSON, then the schema. No body at all is `{}` (every field is optional).
 */
export async function readJsonBody<T extends z.ZodType>(
  request: HttpRequest,
  schema: T,
): Promise<z.infer<T>> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  const text = bytes.toString('utf8');
  if (text.trim() === '') return validate(schema, {});
  const type = request.headers.get('content-type');
  if (type && !/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type.trim())) {
    throw httpError(
      'HTTP.UNSUPPORTED_MEDIA_TYPE',
      `Send the body as JSON with Content-Type: application/json (got ${JSON.stringify(type.slice(0, 100))}).`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw httpError('HTTP.BAD_JSON', `The body is not valid JSON: ${clip((err as Error).message, 200)}`);
  }
  return validate(schema, value);
}

/**
 * The query string as an object; a repeated parameter is a mistake, not a list. The object has no
 * prototype, so `?__proto__=` or `?constructor=` is just an unknown parameter, never "given twice".
 */
export function readQuery<T extends z.ZodType>(
  request: HttpRequest,
  schema: T,
  ignore: string[] = ['code'],
): z.infer<T> {
  const query: Record<string, string> = Object.create(null);
  for (const [name, value] of request.query) {
    if (ignore.includes(name)) continue;
    if (Object.hasOwn(query, name))
      throw httpError(
        'HTTP.INVALID_REQUEST',
        `The query parameter ${JSON.stringify(name.slice(0, 50))} is given twice.`,
      );
    query[name] = value;
  }
  return validate(schema, query);
}

export function validate<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw httpError('HTTP.INVALID_REQUEST', 'The body must be a JSON object.');
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys')
      return `unknown field(s) ${issue.keys.map((key) => JSON.stringify(key.slice(0, 50))).join(', ')}`;
    return `${issue.path.join('.') || 'body'}: ${issue.message}`;
  });
  throw httpError('HTTP.INVALID_REQUEST', problems.join('; '));
}

/** A route's `{id}`: ids here are GUIDs (scan ids, UUIDv5 incident ids). */
export function guidParam(request: HttpRequest, name = 'id'): string {
  const value = request.params[name];
  if (!value || !isTenantId(value))
    throw httpError('HTTP.INVALID_REQUEST', `The ${name} in the path must be a GUID.`);
  return value.toLowerCase();
}

function tooLarge() {
  return httpError(
    'HTTP.PAYLOAD_TOO_LARGE',
    `The body is larger than ${MAX_BODY_BYTES} bytes; these requests are a few small fields.`,
  );
}
