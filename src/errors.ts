/**
 * One error type for the whole app: a stable `code` callers can switch on, a sentence that tells the
 * operator what to do, and whether retrying later may help. Never put tokens, UPNs or payloads in it.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly options: { transient?: boolean; cause?: unknown; status?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
  }

  get transient(): boolean {
    return this.options.transient ?? false;
  }
}

export function toAppError(err: unknown, code = 'INTERNAL'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(code, message, { cause: err });
}

/**
 * Shortens a text for a message at a space, marked with …: a word cut in half reads as a typo or a
 * different word (`…Visua`). Whitespace runs, newlines included, become one space.
 */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > 0 ? cut.slice(0, space) : cut).replace(/[\s,;:]+$/, '')}…`;
}
