import type { Scenario } from '../../emulator';
import { Prng } from './prng';

/** Built-in admin role template ids covered by the admin SSPR policy (DESIGN.md §2). */
export const ADMIN_ROLES = [
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'b0f54661-2d74-4c50-afa3-1ec803f12efe', // Billing Administrator
  'fe930be7-5e62-47db-91af-98c3a49a38b1', // User Administrator
  '729827e3-9c14-49f7-bb1b-9608f156bbb8', // Helpdesk Administrator
  '966707d0-3269-4727-9be2-8c3a10f19b9d', // Password Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  '29232cdf-9323-42fd-ade2-1d097af3e4de', // Exchange Administrator
];

/** Failure texts seen in SSPR audit events; none is benign, so every one counts as a failure. */
export const FAILURE_REASONS = [
  'User is not enabled for SSPR',
  'Password reset has been disabled entirely for this tenant.',
  "User's account has insufficient authentication methods defined. Add authentication info to resolve this",
  'User is not enabled for password reset. Self-service password reset is not enabled for this user.',
];

export type ScenarioUser = NonNullable<Scenario['users']>[number];
export type ScenarioEvent = NonNullable<Scenario['events']>[number];

export interface BuiltTenant {
  scenario: Scenario;
  admins: string[];
  users: string[];
  /** Ids of every failure event the scanner must attribute to a user. */
  failureEventIds: string[];
}

/**
 * A tenant with `admins` administrators and `standard` standard users who together fail `failures`
 * times while admin SSPR is off. Every user fails at least once; the rest are spread at random over
 * the last 23 hours. Built in code (the emulator's `noise` only makes benign events).
 */
export function failingTenant(options: {
  name: string;
  tenantId: string;
  admins: number;
  standard: number;
  failures: number;
  rng: Prng;
  /** Oldest and newest failure, in seconds before now. */
  spanSeconds?: [number, number];
  domain?: string;
}): BuiltTenant {
  const { rng } = options;
  const domain = options.domain ?? 'bench.contoso.com';
  const [oldest, newest] = options.spanSeconds ?? [23 * 3600, 10 * 60];
  const users: ScenarioUser[] = [];
  for (let n = 0; n < options.admins + options.standard; n++) {
    const admin = n < options.admins;
    users.push({
      id: rng.guid(),
      userPrincipalName: `${admin ? 'admin' : 'user'}${n}@${domain}`,
      displayName: `${admin ? 'Admin' : 'User'} ${n}`,
      onPremisesSyncEnabled: rng.chance(0.8),
      roles: admin ? [rng.pick(ADMIN_ROLES)] : [],
      groups: [],
    });
  }
  const events: ScenarioEvent[] = [];
  for (let n = 0; n < options.failures; n++) {
    // The first pass gives every user one failure; then at random.
    const user = n < users.length ? users[n] : rng.pick(users);
    events.push({
      id: rng.guid(),
      at: `-${rng.int(newest, oldest)}s`,
      activity: 'Reset password (self-service)',
      result: 'failure',
      resultReason: rng.pick(FAILURE_REASONS),
      target: user.id,
    });
  }
  return {
    scenario: {
      name: options.name,
      description: `${options.admins} admins and ${options.standard} standard users fail ${options.failures} times while admin SSPR is off: expect ${options.admins} confirmed.`,
      tenantId: options.tenantId,
      policy: false,
      users,
      events,
    },
    admins: users.slice(0, options.admins).map((user) => user.id),
    users: users.map((user) => user.id),
    failureEventIds: events.map((event) => event.id!),
  };
}
