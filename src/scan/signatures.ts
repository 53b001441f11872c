import { z } from 'zod';
import builtInRules from '../data/signatures.json';

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

export const signatureSchema = z
  .object({
    id: z.string().min(1),
    effect: z.enum(['failure', 'benign']),
    code: z.enum(CODES).optional(),
    activities: z.array(z.string().min(1)).min(1).optional(),
    reasonContains: z.array(z.string().min(1)).min(1).optional(),
    reasonPattern: z
      .string()
      .min(1)
      .refine(isValidRegex, { message: 'reasonPattern is not a valid regular expression' })
      .optional(),
  })
  .strict()
  .refine((rule) => rule.reasonContains || rule.reasonPattern, {
    message: 'a rule needs reasonContains or reasonPattern',
  });
export const signatureFileSchema = z.array(signatureSchema);
export type Signature = z.infer<typeof signatureSchema>;

function isValidRegex(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

export const BUILT_IN_SIGNATURES: Signature[] = signatureFileSchema.parse(builtInRules);

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

export function matchSignature(rules: Signature[], activity: string, normalizedReason: string): Signature | undefined {
  return rules.find((rule) => matches(rule, activity, normalizedReason));
}

function matches(rule: Signature, activity: string, normalizedReason: string): boolean {
  return (
      (!rule.activities || rule.activities.includes(activity)) &&
      ((rule.reasonContains?.some((needle) => normalizedReason.includes(normalizeReason(needle))) ?? false) ||
        (rule.reasonPattern !== undefined && new RegExp(rule.reasonPattern, 'i').test(normalizedReason)))
  );
}
