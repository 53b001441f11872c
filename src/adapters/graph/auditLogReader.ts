import type { Client } from '@microsoft/microsoft-graph-client';
import type { AuditEvent, Window } from '../../core/model';
import { graphCallFailed } from './graphErrors';
import { nextLinkGuard } from './nextLinkGuard';
import type { AuditLogReader } from '../../usecases/ports/graph';

interface AuditPage {
  value?: AuditEvent[];
  '@odata.nextLink'?: string;
}

export const SSPR_SERVICE = 'Self-service Password Management';
export const UPDATE_AUTHORIZATION_POLICY = 'Update authorization policy';
/** Core Directory's and PIM's names for an active role assignment made or ended all start so. */
export const ROLE_CHANGE_PREFIXES = ['Add member to role', 'Remove member from role'];

export class GraphAuditLogReader implements AuditLogReader {
  /** @param graphOrigin nextLinks must stay on this origin: the SDK would attach our token to any Graph host. */
  constructor(
    private readonly client: Client,
    private readonly graphOrigin: string,
  ) {}

  ssprEvents(window: Window): AsyncIterable<AuditEvent[]> {
    return this.pages(`loggedByService eq '${SSPR_SERVICE}' and ${windowFilter(window)}`);
  }

  authorizationPolicyChanges(window: Window): AsyncIterable<AuditEvent[]> {
    return this.pages(`activityDisplayName eq '${UPDATE_AUTHORIZATION_POLICY}' and ${windowFilter(window)}`);
  }

  /**
   * Role assignments made or ended, PIM activations and their expiry included, as two documented filters
   * (`startswith` on activityDisplayName): `or` and `category eq` are not documented for directoryAudits.
   */
  async *roleChanges(window: Window): AsyncIterable<AuditEvent[]> {
    for (const prefix of ROLE_CHANGE_PREFIXES)
      yield* this.pages(`startswith(activityDisplayName,'${prefix}') and ${windowFilter(window)}`);
  }

  /** Follows `@odata.nextLink` (absolute, opaque) until Graph stops sending one. */
  private async *pages(filter: string): AsyncGenerator<AuditEvent[]> {
    let page: AuditPage;
    try {
      page = await this.client.api('/auditLogs/directoryAudits').filter(filter).get();
    } catch (err) {
      throw graphCallFailed(err, 'Reading the audit log', 'AuditLog.Read.All');
    }
    const checkNextLink = nextLinkGuard(this.graphOrigin);
    for (;;) {
      yield page.value ?? [];
      const next = page['@odata.nextLink'];
      if (!next) return;
      checkNextLink(next);
      try {
        page = await this.client.api(next).get();
      } catch (err) {
        throw graphCallFailed(err, 'Reading the next audit log page', 'AuditLog.Read.All');
      }
    }
  }
}

/**
 * Whole seconds, widened outwards (Graph's documented filter examples carry no milliseconds);
 * the extra fraction of a second is harmless because events are de-duplicated by id.
 */
function windowFilter(window: Window): string {
  return `activityDateTime ge ${wholeSecond(window.from, Math.floor)} and activityDateTime le ${wholeSecond(window.to, Math.ceil)}`;
}

function wholeSecond(at: Date, round: (seconds: number) => number): string {
  return new Date(round(at.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
