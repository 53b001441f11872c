import type { Scenario } from './scenarioSchema';
import { stableId } from './stableIds';

const GLOBAL_ADMIN = '62e90394-69f5-4237-9190-012177145e10';

export interface FleetOptions {
  /** How many tenants to generate. */
  count: number;
  /** Distinguishes fleets: the same seed and count give the same tenant ids. */
  seed?: string;
  /** Every `confirmedEvery`-th tenant has admin SSPR off and an admin who failed (an SSPR_009 incident). */
  confirmedEvery?: number;
}

/**
 * Many small tenants, generated: each has one synced Global Administrator and one standard user,
 * a standard user's failed reset in every third tenant, and in every `confirmedEvery`-th tenant
 * admin SSPR switched off and the administrator's failed reset. Cheap to hold a thousand of in one
 * emulator (two users and at most two events each); every audit read is one page.
 */
export function fleetScenarios(options: FleetOptions): Scenario[] {
  const seed = options.seed ?? 'fleet';
  const confirmedEvery = options.confirmedEvery ?? 10;
  return Array.from({ length: options.count }, (_, n) => {
    const tenantId = stableId(seed, 'tenant', n);
    const admin = stableId(tenantId, 'admin');
    const user = stableId(tenantId, 'user');
    const confirmed = n % confirmedEvery === 0;
    const events: NonNullable<Scenario['events']> = [];
    if (confirmed) {
      events.push({
        at: '-2h',
        activity: 'Self-service password reset flow activity progress',
        result: 'failure',
        resultReason: 'Password reset has been disabled entirely for this tenant.',
        target: admin,
      });
    }
    if (n % 3 === 0) {
      events.push({
        at: '-3h',
        activity: 'Self-service password reset flow activity progress',
        result: 'failure',
        resultReason: 'User is not enabled for SSPR',
        target: user,
      });
    }
    const domain = `tenant${n}.fleet.example`;
    return {
      name: `fleet-${n}`,
      description: `Generated fleet tenant ${n} of ${options.count}.`,
      tenantId,
      policy: !confirmed,
      users: [
        {
          id: admin,
          userPrincipalName: `admin@${domain}`,
          displayName: 'Admin',
          onPremisesSyncEnabled: true,
          roles: [GLOBAL_ADMIN],
        },
        { id: user, userPrincipalName: `user@${domain}`, displayName: 'User', onPremisesSyncEnabled: true },
      ],
      events,
    };
  });
}
