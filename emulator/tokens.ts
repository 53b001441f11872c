import { randomBytes } from 'node:crypto';

export const TOKEN_MARKER = 'EMULATOR-TOKEN-';
/** Every other secret the emulator hands out or expects (identity header, ticket credentials) starts with this. */
export const SECRET_MARKER = 'EMULATOR-SECRET-';

/**
 * The emulator's tokens and secrets found in `text` (logs, CLI output, telemetry, ticket bodies), each
 * shown by its first characters only. Tests fail on any: a leak anywhere in the suite is a bug.
 */
export function emulatorSecretsIn(text: string): string[] {
  return [...new Set(text.match(/EMULATOR-(?:TOKEN|SECRET)-[\w-]{0,4}/g) ?? [])].map((hit) => `${hit}…`);
}

/** Access tokens the MSI endpoint issued; Graph accepts only these. */
export class TokenRegistry {
  private readonly issued = new Set<string>();

  issue(): string {
    const token = `${TOKEN_MARKER}${randomBytes(24).toString('hex')}`;
    this.issued.add(token);
    return token;
  }

  isIssued(token: string): boolean {
    return this.issued.has(token);
  }
}
