import { join } from 'node:path';
import { packageRoot } from './packageRoot';

export interface EmulatorEndpoints {
  graphUrl: string;
  tokenEndpoint: string;
  identityHeader: string;
  caCertPath: string;
}

/**
 * The environment for a CLI process that talks to the emulator exactly as it would to Azure:
 * managed-identity token endpoint, GRAPH_ENDPOINT over https, the emulator's CA trusted at start-up.
 * Ambient Azure credentials are dropped so nothing on this machine can reach a real tenant.
 */
export function emulatorEnv(emulator: EmulatorEndpoints, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AZURE_|MSI_|IDENTITY_|IMDS_|GRAPH_|STATE_|SCAN_|TENANT_ID|SSPR_|AUDIT_|PII_)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    GRAPH_ENDPOINT: emulator.graphUrl,
    IDENTITY_ENDPOINT: emulator.tokenEndpoint,
    IDENTITY_HEADER: emulator.identityHeader,
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
  });
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export function cliPath(): string {
  return join(packageRoot(), 'bin', 'sspr-remediator.js');
}
