/** Which names and settings hold secrets: telemetry drops them, settings errors never echo them. */

/** Property names that may hold credentials; matched after removing '_', '-', '.' and spaces. */
export const SECRET_NAME = /token|secret|password|key|signature|authorization|connectionstring/i;

/** Known secrets shorter than this are ignored: matching "true" or "1" would drop everything. */
export const MIN_SECRET_LENGTH = 8;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.replace(/[\s_.-]/g, ''));
}

/**
 * The values of settings whose names say they are secrets (ticket passwords and tokens, storage
 * connection strings, the managed-identity header), so telemetry can drop any value that contains one.
 */
const SECRET_SETTINGS = new Set(['IDENTITY_HEADER', 'MSI_SECRET', 'STATE_STORAGE', 'AzureWebJobsStorage']);

export function secretsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const secrets = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < MIN_SECRET_LENGTH) continue;
    if (isSecretName(name) || SECRET_SETTINGS.has(name)) {
      secrets.add(value);
    }
  }
  return [...secrets];
}
