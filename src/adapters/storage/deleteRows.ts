import type { TableClient, TransactionAction } from '@azure/data-tables';

/** Tables accepts at most 100 operations in one transaction (all in one partition). */
export const TRANSACTION_LIMIT = 100;

/**
 * Deletes up to `limit` rows of one partition that match `filter` (which must name that partition),
 * in transactions of 100; returns how many. Storage errors are thrown as they come: callers wrap them.
 */
export async function deleteRows(
  client: TableClient,
  partitionKey: string,
  filter: string,
  limit: number,
): Promise<number> {
  const keys: string[] = [];
  for await (const row of client.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
    keys.push(row.rowKey!);
    if (keys.length >= limit) break;
  }
  for (let start = 0; start < keys.length; start += TRANSACTION_LIMIT) {
    const deletes: TransactionAction[] = keys
      .slice(start, start + TRANSACTION_LIMIT)
      .map((rowKey) => ['delete', { partitionKey, rowKey }]);
    await client.submitTransaction(deletes);
  }
  return keys.length;
}
