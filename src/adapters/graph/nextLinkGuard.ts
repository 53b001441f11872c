import { AppError } from '../../errors';

/**
 * Checks each `@odata.nextLink` before it is followed: it must stay on our Graph origin (the SDK
 * attaches the token to every well-known Graph host, not only ours) and must not repeat.
 */
export function nextLinkGuard(graphOrigin: string): (next: string) => void {
  const followed = new Set<string>();
  return (next) => {
    let origin = '';
    try {
      origin = new URL(next).origin;
    } catch {
      // not an absolute URL: reported below
    }
    if (origin !== graphOrigin) {
      throw new AppError(
        'GRAPH.BAD_NEXT_LINK',
        `Graph returned a nextLink to another host (${origin || 'not a URL'}); refusing to send the token there.`,
      );
    }
    if (followed.has(next)) {
      throw new AppError(
        'GRAPH.BAD_NEXT_LINK',
        'Graph returned the same nextLink twice; stopping instead of reading in a loop.',
        { transient: true },
      );
    }
    followed.add(next);
  };
}
