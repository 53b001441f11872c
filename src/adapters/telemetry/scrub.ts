import type { PropertyValue } from '../../usecases/ports/telemetry';
import { createHash } from 'node:crypto';
import { isSecretName, MIN_SECRET_LENGTH } from '../../core/secretNames';

/**
 * What may leave the process as telemetry. Pure functions, so the rules are unit-tested on their own:
 * secrets are dropped (by the property's name, by the value's shape, or because the value contains a
 * known secret), and with PII_MODE=hash user principal names are replaced by a salted hash.
 */

export type PiiMode = 'plain' | 'hash';

/** Values that look like credentials whatever their property is called. */
const SECRET_SHAPES: RegExp[] = [
  /\beyJ[\w-]{5,}\.[\w-]{5,}\./, // a JWT (header.payload.)
  /\bbearer\s+[\w\-.~+/]{8,}/i,
  /\bbasic\s+[a-z0-9+/]{12,}={0,2}/i,
  /(?:^|;)\s*(?:accountkey|sharedaccesskey|sharedaccesssignature|instrumentationkey|password|pwd)\s*=/i,
  /[?&]sig=[^&\s]{8,}/i, // a SAS URL
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
];

/** Property names treated as user principal names: `userPrincipalName`, `upn`, or ending in either (`approverUpn`). */
export function isUpnName(name: string): boolean {
  return /(?:upn|userprincipalname)$/i.test(name);
}

export function looksSecret(value: string, knownSecrets: readonly string[] = []): boolean {
  if (SECRET_SHAPES.some((shape) => shape.test(value))) return true;
  return knownSecrets.some((secret) => secret.length >= MIN_SECRET_LENGTH && value.includes(secret));
}

/**
 * A stable pseudonym for a UPN: SHA-256 of `<tenant id>:<upn in lower case>`, first 16 hex digits.
 * Salting by tenant keeps one tenant's hashes from being joined with another's; the same person in the
 * same tenant always hashes alike, so a workbook can still count distinct admins.
 */
export function hashUpn(upn: string, tenantId: string | undefined): string {
  const salt = (tenantId ?? '').trim().toLowerCase();
  const digest = createHash('sha256').update(`${salt}:${upn.trim().toLowerCase()}`).digest('hex');
  return `sha256:${digest.slice(0, 16)}`;
}

export interface ScrubOptions {
  piiMode: PiiMode;
  knownSecrets: readonly string[];
  /** Salt for hashed UPNs. */
  tenantId?: string;
}

/**
 * The properties that may be sent, as strings: drops secret-named keys, secret-looking values and
 * values containing a known secret; hashes UPNs when asked; drops undefined and null.
 */
export function scrubProperties(
  properties: Record<string, PropertyValue>,
  options: ScrubOptions,
): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [name, raw] of Object.entries(properties)) {
    if (raw === undefined || raw === null) continue;
    if (isSecretName(name)) continue;
    const value = String(raw);
    if (looksSecret(value, options.knownSecrets)) continue;
    safe[name] = options.piiMode === 'hash' && isUpnName(name) ? hashUpn(value, options.tenantId) : value;
  }
  return safe;
}

/** Measurements that may be sent: finite numbers under names that do not look like secrets. */
export function scrubMeasurements(measurements: Record<string, number | undefined>): Record<string, number> {
  const safe: Record<string, number> = {};
  for (const [name, value] of Object.entries(measurements)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || isSecretName(name)) continue;
    safe[name] = value;
  }
  return safe;
}
