import { emulatorSecretsIn } from '../../emulator/tokens';

/** Throws when `text` (a child's logs or output) carries an emulator token or secret: none may ever be printed. */
export function assertNoSecrets(where: string, text: string): void {
  const found = emulatorSecretsIn(text);
  if (found.length > 0) throw new Error(`Secret hygiene: ${found.join(', ')} in ${where}`);
}
