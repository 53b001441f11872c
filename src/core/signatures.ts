import { z } from 'zod';
import builtInRules from './data/signatures.json';

/** The SSPR error catalog: code → name. The code is written both SSPR_009 and SSPR_0009; we store the 4-digit form. */
export const SSPR_ERROR_CATALOG = {
  SSPR_0009: 'TenantSSPRFlagDisabled',
  SSPR_0010: 'WritebackNotEnabled',
  SSPR_0011: 'SsprNotEnabledInUserPolicy',
  SSPR_0012: 'UserNotLicensed',
  SSPR_0013: 'UserNotMemberOfScopedAccessGroup',
  SSPR_0014: 'UserNotProperlyConfigured',
  SSPR_0029: 'OnPremisesAdminActionRequired',
  SSPR_0030: 'OnPremisesConnectivityError',
} as const;
export type SsprErrorCode = keyof typeof SSPR_ERROR_CATALOG;
const CODES = Object.keys(SSPR_ERROR_CATALOG) as [SsprErrorCode, ...SsprErrorCode[]];

/**
 * failure: a reset failed. progress: not a failure, and the flow went past the admin gate (the first step, where
 * the admin policy stops an administrator). benign: not a failure, and nothing about that gate.
 */
export const EFFECTS = ['failure', 'progress', 'benign'] as const;

export const signatureSchema = z
  .object({
    id: z.string().min(1),
    effect: z.enum(EFFECTS),
    code: z.enum(CODES).optional(),
    activities: z.array(z.string().min(1)).min(1).optional(),
    reasonContains: z.array(z.string().min(1)).min(1).optional(),
    reasonPattern: z
      .string()
      .min(1)
      .refine(isValidRegex, { message: 'reasonPattern is not a valid regular expression' })
      .optional(),
    /** Where the wording comes from (a key of the built-in file's sources, or free text). */
    source: z.string().min(1).optional(),
  })
  .strict()
  .refine((rule) => rule.reasonContains || rule.reasonPattern || rule.activities, {
    message: 'a rule needs reasonContains, reasonPattern or activities',
  });
/** An operator's file (SSPR_SIGNATURES): a list of rules. */
export const signatureFileSchema = z.array(signatureSchema);
/** The built-in file also names the documents its wording comes from. */
const builtInFileSchema = z
  .object({ $comment: z.string(), sources: z.record(z.string(), z.string()), rules: signatureFileSchema })
  .strict()
  .refine((file) => file.rules.every((rule) => rule.source !== undefined && rule.source in file.sources), {
    message: 'every built-in rule cites one of the sources',
  });
export type Signature = z.infer<typeof signatureSchema>;

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

export const BUILT_IN_SIGNATURES: Signature[] = builtInFileSchema.parse(builtInRules).rules;

/** Lower-case, single spaces, one spelling of "canceled", no trailing full stop: what rules are matched against. */
export function normalizeReason(reason: string | null | undefined): string {
  return (reason ?? '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/cancelled/g, 'canceled')
    .replace(/[’‘]/g, "'")
    .replace(/\.+$/, '');
}

/** Finds an error code written in the text itself (SSPR_009, SSPR_0009, sspr-0009) in its 4-digit form. */
export function codeInText(normalized: string): SsprErrorCode | undefined {
  const match = /\bsspr[_-]?0*(\d{1,3})\b/.exec(normalized);
  if (!match) return undefined;
  const code = `SSPR_${match[1].padStart(4, '0')}`;
  return code in SSPR_ERROR_CATALOG ? (code as SsprErrorCode) : undefined;
}

export function matchSignature(
  rules: Signature[],
  activity: string,
  normalizedReason: string,
): Signature | undefined {
  return rules.find((rule) => matches(rule, activity, normalizedReason));
}

/** Some rule says the flow went past the admin gate, whichever rule decided the event. */
export function showsPastAdminGate(rules: Signature[], activity: string, normalizedReason: string): boolean {
  return rules.some((rule) => rule.effect === 'progress' && matches(rule, activity, normalizedReason));
}

/** A rule naming activities only: every event of those activities is decided by it, whatever the text says. */
export function decidesByActivity(rule: Signature): boolean {
  return rule.reasonContains === undefined && rule.reasonPattern === undefined;
}

function matches(rule: Signature, activity: string, normalizedReason: string): boolean {
  if (rule.activities && !rule.activities.includes(activity)) return false;
  if (decidesByActivity(rule)) return true;
  return (
    (rule.reasonContains?.some((needle) => normalizedReason.includes(normalizeReason(needle))) ?? false) ||
    (rule.reasonPattern !== undefined && new RegExp(rule.reasonPattern, 'i').test(normalizedReason))
  );
}
