import { z } from 'zod';
import { ACTION_MODES, isTenantId, MODES_BY_RISK } from './modes';

/** The queue the timer and POST /api/scans write to, and tenantScan reads. */
export const SCAN_QUEUE = 'sspr-scans';
/** Where the Functions host moves a message after MAX_DEQUEUE_COUNT failed tries (host.json `maxDequeueCount`). */
export const SCAN_POISON_QUEUE = `${SCAN_QUEUE}-poison`;

/**
 * ISO 8601: a date, or a date-time with a time zone (`2026-11-25`, `2026-11-25T08:00:00Z`,
 * `2026-11-25T09:00:00+01:00`), for requests and the CLI's --from/--to alike. A time must name its
 * zone: a server's local time is nobody's, and an operator's differs from the tenant's. Calendar dates
 * are checked (no 30 February).
 */
const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

export function parseIsoTime(text: string): Date | undefined {
  const match = ISO_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part))) as number[];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

export const isoTime = (name: string) =>
  z
    .string({ message: `${name} must be a string holding an ISO 8601 time, e.g. 2026-11-25T08:00:00Z.` })
    .refine((text) => parseIsoTime(text) !== undefined, {
      message: `${name} must be an ISO 8601 time with a time zone, e.g. 2026-11-25T08:00:00Z.`,
    });

export const tenantIdSchema = z
  .string({ message: 'tenantId must be a string: the directory (tenant) id, a GUID.' })
  .refine(isTenantId, { message: 'tenantId must be the directory (tenant) id, a GUID.' })
  .transform((id) => id.toLowerCase());

export const modeSchema = z.enum(ACTION_MODES, {
  message: `mode must be one of ${MODES_BY_RISK.join(', ')}.`,
});

/** One queue message = one scan of one tenant. `scanId` names its row in the ssprScans table. */
export const scanMessageSchema = z
  .object({
    tenantId: tenantIdSchema,
    scanId: z.uuid(),
    requestedBy: z.enum(['timer', 'http']),
    mode: modeSchema.optional(),
    from: isoTime('from').optional(),
    to: isoTime('to').optional(),
  })
  .strict();

export type ScanMessage = z.infer<typeof scanMessageSchema>;

/**
 * The Functions queue trigger hands over the message already base64-decoded and JSON-parsed; a string
 * means it was not JSON. Returns the message or why it is not one.
 */
export function parseScanMessage(raw: unknown): { message: ScanMessage } | { problem: string } {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { problem: 'the message is not JSON' };
    }
  }
  const parsed = scanMessageSchema.safeParse(value);
  if (parsed.success) return { message: parsed.data };
  return {
    problem: parsed.error.issues
      .map((issue) => `${issue.path.join('.') || 'message'}: ${issue.message}`)
      .join('; '),
  };
}
