import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { SettingProblem } from '../errors';

export const FLEET_CREDENTIALS = ['managed-identity', 'certificate', 'secret'] as const;
export type FleetCredentialKind = (typeof FLEET_CREDENTIALS)[number];

/**
 * How every scanned tenant's Graph token is obtained when FLEET_CLIENT_ID names a multi-tenant app
 * registration (issue 15). State, tickets and Automation keep the home credential.
 */
export type FleetCredentialConfig = { clientId: string } & (
  | {
      kind: 'managed-identity';
      /** The user-assigned identity the app registration's federated credential trusts. */
      managedIdentityClientId: string;
      /** `{token-exchange audience}/.default`: the managed-identity token presented as the client assertion. */
      assertionScope: string;
    }
  | { kind: 'certificate'; certificatePath: string }
  | { kind: 'secret'; clientSecret: string }
);

/** The FLEET_* settings after each one's own check (config.ts's schema). */
export interface FleetSettings {
  FLEET_CLIENT_ID?: string;
  FLEET_CREDENTIAL?: FleetCredentialKind;
  FLEET_CLIENT_CERTIFICATE_PATH?: string;
  FLEET_CLIENT_SECRET?: string;
  FLEET_MANAGED_IDENTITY_CLIENT_ID?: string;
}

/**
 * The settings that only make sense together, checked together. A message names the setting and the
 * fix; FLEET_CLIENT_SECRET's value never appears in one (only whether it is set).
 */
export function fleetCredentialOf(
  settings: FleetSettings,
  tokenExchangeAudience: string,
): { fleet?: FleetCredentialConfig; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const problem = (setting: string, message: string) => problems.push({ setting, message });
  const clientId = settings.FLEET_CLIENT_ID;
  const kind = settings.FLEET_CREDENTIAL ?? 'managed-identity';
  const path = settings.FLEET_CLIENT_CERTIFICATE_PATH;
  const secret = settings.FLEET_CLIENT_SECRET;
  const identity = settings.FLEET_MANAGED_IDENTITY_CLIENT_ID;

  if (!clientId) {
    // A half-configured fleet would silently scan with the home credential: say so instead.
    const others = {
      FLEET_CREDENTIAL: settings.FLEET_CREDENTIAL,
      FLEET_CLIENT_CERTIFICATE_PATH: path,
      FLEET_CLIENT_SECRET: secret,
      FLEET_MANAGED_IDENTITY_CLIENT_ID: identity,
    };
    for (const [name, value] of Object.entries(others)) {
      if (value !== undefined)
        problem(
          name,
          `${name} is set but FLEET_CLIENT_ID is not: set FLEET_CLIENT_ID to the multi-tenant app registration's client id, or unset ${name}.`,
        );
    }
    return { problems };
  }
  const unused = (name: string, value: string | undefined) => {
    if (value !== undefined)
      problem(
        name,
        `${name} is set, but FLEET_CREDENTIAL=${kind} does not use it: unset it, or set FLEET_CREDENTIAL to the kind it belongs to.`,
      );
  };
  if (kind === 'managed-identity') {
    unused('FLEET_CLIENT_SECRET', secret);
    unused('FLEET_CLIENT_CERTIFICATE_PATH', path);
    if (!identity)
      problem(
        'FLEET_MANAGED_IDENTITY_CLIENT_ID',
        'FLEET_MANAGED_IDENTITY_CLIENT_ID="": FLEET_CREDENTIAL=managed-identity presents a token of the user-assigned managed identity that the app registration trusts (its federated credential). Set it to that identity\'s client id (a GUID), or choose FLEET_CREDENTIAL=certificate or secret.',
      );
    if (problems.length > 0 || !identity) return { problems };
    return {
      problems,
      fleet: {
        clientId,
        kind,
        managedIdentityClientId: identity,
        assertionScope: `${tokenExchangeAudience}/.default`,
      },
    };
  }
  unused('FLEET_MANAGED_IDENTITY_CLIENT_ID', identity);
  if (kind === 'certificate') {
    unused('FLEET_CLIENT_SECRET', secret);
    const fault = path === undefined ? 'it is not set' : certificateProblem(path);
    if (fault)
      problem(
        'FLEET_CLIENT_CERTIFICATE_PATH',
        `FLEET_CLIENT_CERTIFICATE_PATH=${JSON.stringify(path ?? '')}: ${fault}. FLEET_CREDENTIAL=certificate needs a PEM file holding the app registration's certificate and its private key (e.g. a Key Vault certificate downloaded as PEM).`,
      );
    if (problems.length > 0 || path === undefined) return { problems };
    return { problems, fleet: { clientId, kind, certificatePath: path } };
  }
  unused('FLEET_CLIENT_CERTIFICATE_PATH', path);
  if (secret === undefined)
    problem(
      'FLEET_CLIENT_SECRET',
      'FLEET_CLIENT_SECRET="": FLEET_CREDENTIAL=secret needs the app registration\'s client secret (in Azure, only as a Key Vault reference). Set it, or use FLEET_CREDENTIAL=managed-identity or certificate.',
    );
  if (problems.length > 0 || secret === undefined) return { problems };
  return { problems, fleet: { clientId, kind, clientSecret: secret } };
}

/** Why a file cannot be the certificate, read once at start-up rather than at the first token. */
function certificateProblem(path: string): string | undefined {
  if (!existsSync(path)) return 'the file does not exist';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `the file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) return 'the file holds no PEM certificate';
  if (!/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(text))
    return 'the file holds no unencrypted private key';
  // The whole file is handed to the signer as the key: the key must be the file's first block.
  try {
    createPrivateKey(text);
  } catch {
    return 'the private key must come first in the file, before the certificate';
  }
  return undefined;
}
