import { format } from 'node:util';
import { emulatorSecretsIn } from '../../emulator/tokens';

/**
 * Loaded into every test file (jest setupFilesAfterEnv): whatever a test asserts, it fails if anything
 * running in the test process — our code, the Functions library, an SDK — logged an emulator token or
 * secret. Child processes are checked by the helpers that start them, telemetry and ticket bodies by
 * the emulator's stop().
 */
const leaks: string[] = [];
/** The self-test turns this off so that its deliberate leaks are recorded but not printed into CI logs. */
export const echo = { on: true };

function watch(where: string, text: string): void {
  for (const hit of emulatorSecretsIn(text)) leaks.push(`${hit} in ${where}`);
}

for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
  const original = console[method];
  console[method] = (...args: unknown[]) => {
    watch(`console.${method}`, format(...args));
    if (echo.on) original.apply(console, args);
  };
}
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write;
  stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    watch(
      stream === process.stdout ? 'stdout' : 'stderr',
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '',
    );
    if (!echo.on) return true;
    return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof stream.write;
}

/** The leaks seen so far, forgotten once taken (the self-test uses this). */
export function takeSecretLeaks(): string[] {
  return leaks.splice(0);
}

afterEach(() => {
  const found = takeSecretLeaks();
  if (found.length > 0) throw new Error(`Secret hygiene: ${found.join('; ')}`);
});
