/** Values that must never appear in CLI output or telemetry: the emulator's tokens, the webhook secret, the storage key. */
export interface Secret {
  name: string;
  value: string;
}

export function storageKeyOf(connectionString: string): string | undefined {
  return /AccountKey=([^;]+)/.exec(connectionString)?.[1];
}

/** Where each secret turns up in `text`, as "<secret> in <where>". */
export function leaks(text: string, where: string, secrets: Secret[]): string[] {
  return secrets
    .filter((secret) => secret.value.length >= 8 && text.includes(secret.value))
    .map((secret) => `${secret.name} in ${where}`);
}
