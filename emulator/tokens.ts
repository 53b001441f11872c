import { randomBytes } from 'node:crypto';

export const TOKEN_MARKER = 'EMULATOR-TOKEN-';

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
