import { GraphError } from '@microsoft/microsoft-graph-client';
import { AppError, isErrorCode } from '../../errors';

/** Our own middleware errors come back wrapped by the SDK (status -1, our code as `code`): unwrap them. */
function ownError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const code = err instanceof GraphError && err.statusCode === -1 ? err.code : undefined;
  if (code && /^(GRAPH|AUTH)\./.test(code) && isErrorCode(code)) {
    return new AppError(code, (err as GraphError).message, {
      transient: code.startsWith('GRAPH.'),
      cause: err,
    });
  }
  return undefined;
}

/** Graph's error `code` and status as one short phrase for a verdict reason or an error message. */
export function describeGraphFailure(err: unknown): { status: number | undefined; text: string } {
  const own = ownError(err);
  if (own) return { status: undefined, text: own.message };
  if (err instanceof GraphError)
    return { status: err.statusCode, text: `Graph answered ${err.statusCode} ${err.code ?? ''}`.trim() };
  return { status: undefined, text: err instanceof Error ? err.message : String(err) };
}

/** Turns a failed Graph call into an AppError whose message names the permission or setting to fix. */
export function graphCallFailed(err: unknown, what: string, permission: string): AppError {
  const own = ownError(err);
  if (own) return own;
  const { status, text } = describeGraphFailure(err);
  if (status === 401) {
    return new AppError(
      'GRAPH.UNAUTHORIZED',
      `${what}: ${text}. The token was refused: check the identity and the tenant it signs in to.`,
      { cause: err },
    );
  }
  if (status === 403) {
    return new AppError(
      'GRAPH.FORBIDDEN',
      `${what}: ${text}. Grant the application permission ${permission} and admin consent.`,
      { cause: err },
    );
  }
  if (status === 429) {
    return new AppError(
      'GRAPH.THROTTLED',
      `${what}: Graph kept throttling after every retry. Lower AUDIT_REQUESTS_PER_10S or scan later.`,
      {
        transient: true,
        cause: err,
      },
    );
  }
  // A 2xx that failed anyway had a body we could not read (truncated, not JSON): worth another try.
  const transient = status === undefined || status >= 500 || status < 300;
  return new AppError(transient ? 'GRAPH.UNAVAILABLE' : 'GRAPH.REQUEST_FAILED', `${what}: ${text}.`, {
    transient,
    cause: err,
  });
}
