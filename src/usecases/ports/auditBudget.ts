/**
 * The app's audit-log allowance, shared by every instance the Functions host runs (DESIGN.md §2c):
 * Graph's identity and access reports allow 5 requests per 10 s per tenant and 122 per 10 s across
 * all tenants, per app. Each audit-log request takes one share before it is sent and keeps it until
 * the window has passed since its answer, so the limit holds where Graph counts: on arrival.
 */
export interface AuditBudget {
  /**
   * Resolves when one more audit-log request to `tenantId` fits both limits. Call the returned
   * function once its answer arrived, or the attempt ended without one: the share is held until
   * the window has passed from then.
   */
  take(tenantId: string): Promise<() => void>;
  /** Waits for outstanding releases, so a process can exit without leaving its shares held. */
  close(): Promise<void>;
}
