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

/**
 * The audiences (`aud`) Microsoft Graph and Resource Manager accept, in any national cloud (the emulator
 * stands in for whichever cloud AZURE_CLOUD names), as the resource is asked for. Never the origin of an
 * endpoint override: Entra issues no token for a resource it does not know.
 */
export const GRAPH_AUDIENCES = [
  'https://graph.microsoft.com',
  '00000003-0000-0000-c000-000000000000',
  'https://graph.microsoft.us',
  'https://dod-graph.microsoft.us',
  'https://microsoftgraph.chinacloudapi.cn',
];
export const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://management.usgovcloudapi.net',
  'https://management.core.usgovcloudapi.net',
  'https://management.chinacloudapi.cn',
  'https://management.core.chinacloudapi.cn',
];

/** Access tokens the MSI endpoint issued, each for the resource it was asked for; a service accepts only its own. */
export class TokenRegistry {
  private readonly issued = new Map<string, { audience: string; tenantId: string }>();

  /** A token for `resource`, valid in `tenantId` only (Graph routes a request by its token's tenant). */
  issue(resource: string, tenantId: string): string {
    const token = `${TOKEN_MARKER}${randomBytes(24).toString('hex')}`;
    this.issued.set(token, {
      audience: resource.replace(/\/+$/, '').toLowerCase(),
      tenantId: tenantId.toLowerCase(),
    });
    return token;
  }

  tenantOf(token: string): string | undefined {
    return this.issued.get(token)?.tenantId;
  }

  /** 'valid', 'wrong-audience' (issued, but for another resource) or 'unknown' (never issued). */
  check(token: string, audiences: string[]): 'valid' | 'wrong-audience' | 'unknown' {
    const issued = this.issued.get(token);
    if (issued === undefined) return 'unknown';
    return audiences.includes(issued.audience) ? 'valid' : 'wrong-audience';
  }
}
