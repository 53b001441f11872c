/**
 * Whether fetch refused a 3xx: undici, under `redirect: 'error'`, throws a TypeError whose cause says
 * so. Every outbound client here sends credentials, so none follows a redirect; each fails at once
 * instead of retrying what would be refused again.
 */
export function isRedirectRefusal(err: unknown): boolean {
  const cause = (err as { cause?: { message?: unknown } } | undefined)?.cause;
  return err instanceof TypeError && typeof cause?.message === 'string' && /redirect/i.test(cause.message);
}
