import type { TokenCredential } from '@azure/identity';
import { RestError, TableClient } from '@azure/data-tables';
import { AppError } from '../../errors';

/**
 * One table of STATE_STORAGE: an `https://…table…` endpoint is reached with the app's credential; a
 * connection string as it says, plain http allowed only for the local emulator (Azurite).
 */
export function stateTable(connection: string, table: string, credential: TokenCredential): TableClient {
  return /^https:\/\//i.test(connection)
    ? new TableClient(connection, table, credential)
    : TableClient.fromConnectionString(connection, table, {
        allowInsecureConnection: /UseDevelopmentStorage=true|=http:\/\/(127\.0\.0\.1|localhost)/i.test(
          connection,
        ),
      });
}

/**
 * A storage failure as STATE.UNAVAILABLE (transient): `what` names the part of STATE_STORAGE, the detail
 * is the status and the service's error code, never the connection string.
 */
export function storageFailed(what: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  const detail =
    err instanceof RestError || (err instanceof Error && 'statusCode' in err)
      ? `${(err as RestError).statusCode ?? ''} ${(err as RestError).code ?? err.message}`.trim()
      : err instanceof Error
        ? err.name
        : String(err);
  return new AppError(
    'STATE.UNAVAILABLE',
    `${what} failed: ${detail}. Check the connection and that the account is reachable.`,
    { transient: true, cause: err },
  );
}

/**
 * `create` (a table, a queue, a container) run once per client: callers share the first call, and a
 * failure is not kept, so the next call tries again (storage may have been unreachable for a moment).
 */
export function createdOnce(
  create: () => Promise<unknown>,
  failed: (err: unknown) => Error,
): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= create().then(
      () => undefined,
      (err: unknown) => {
        ready = undefined;
        throw failed(err);
      },
    );
    return ready;
  };
}
