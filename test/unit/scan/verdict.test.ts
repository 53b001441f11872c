import { planIncident, incidentId } from '../../../src/core/incident';
import type { PolicyFacts, SsprFailure, UserFacts } from '../../../src/core/model';
import {
  adminSsprSwitches,
  lastSwitchedOn,
  switchValueAt,
  type PolicySwitch,
} from '../../../src/core/policyChanges';
import { judgeUser } from '../../../src/core/verdict';

const NOW = new Date('2026-11-25T12:00:00Z');
const TENANT = 'aaaaaaaa-0000-0000-0000-000000000001';
const failures: SsprFailure[] = [
  {
    eventId: 'e1',
    at: '2026-11-25T11:00:00Z',
    userId: 'u1',
    userPrincipalName: 'a@contoso.com',
    activity: 'Reset password (self-service)',
    errorCode: 'SSPR_0011',
    rawReason: 'x',
    correlationId: null,
    pastAdminGate: false,
  },
];
const admin: UserFacts = {
  kind: 'found',
  id: 'u1',
  userPrincipalName: 'a@contoso.com',
  synced: true,
  roles: {
    kind: 'known',
    adminRoles: [{ templateId: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator' }],
  },
};
const standardUser: UserFacts = { ...admin, roles: { kind: 'known', adminRoles: [] } };
const off: PolicyFacts = { kind: 'off' };

describe('judgeUser', () => {
  test('when an admin fails while admin SSPR is off, then it is confirmed as SSPR_0009 whatever the text', () => {
    const finding = judgeUser(admin, off, failures, NOW);
    expect(finding).toMatchObject({
      verdict: 'confirmed',
      errorCode: 'SSPR_0009',
      roles: ['Global Administrator'],
      synced: true,
      eventIds: ['e1'],
    });
  });

  test("when an admin's only failures come from flows that went past the admin gate, then it is cannot-confirm, never confirmed", () => {
    const pastGate = failures.map((failure) => ({ ...failure, pastAdminGate: true }));
    const finding = judgeUser(admin, off, pastGate, NOW);
    expect(finding.verdict).toBe('cannot-confirm');
    expect(finding.reason).toContain('went past the admin gate');
    const alsoStopped = [...pastGate, { ...failures[0], eventId: 'e2', pastAdminGate: false }];
    expect(judgeUser(admin, off, alsoStopped, NOW).verdict).toBe('confirmed');
  });

  test('when a standard user fails, then it is not-admin and keeps the code its text carried', () => {
    expect(judgeUser(standardUser, off, failures, NOW)).toMatchObject({
      verdict: 'not-admin',
      errorCode: 'SSPR_0011',
    });
  });

  test('when admin SSPR is on and was not switched lately, then it is policy-on', () => {
    expect(judgeUser(admin, { kind: 'on' }, failures, NOW).verdict).toBe('policy-on');
    expect(judgeUser(admin, { kind: 'on', enabledAt: '2026-11-25T10:30:00Z' }, failures, NOW).verdict).toBe(
      'policy-on',
    );
  });

  test('when admin SSPR was switched on within the last 60 minutes, then it is propagating', () => {
    expect(judgeUser(admin, { kind: 'on', enabledAt: '2026-11-25T11:40:00Z' }, failures, NOW).verdict).toBe(
      'propagating',
    );
  });

  test.each<[string, UserFacts, PolicyFacts]>([
    ['the policy value is absent', admin, { kind: 'unknown', reason: 'absent', transient: false }],
    ['the user was not found', { kind: 'not-found', id: 'u1' }, off],
    ['the user lookup failed', { kind: 'unknown', id: 'u1', reason: '503', transient: true }, off],
    [
      'the roles could not be read',
      { ...admin, roles: { kind: 'unknown', reason: '403', transient: false } },
      off,
    ],
  ])('when %s, then it is cannot-confirm, never a guess', (_, user, policy) => {
    expect(judgeUser(user, policy, failures, NOW).verdict).toBe('cannot-confirm');
  });
});

describe('judging a failure by the switch as it stood then', () => {
  const switchedOff = (at: string): PolicySwitch => ({
    at,
    allowedToUseSSPR: false,
    previous: true,
    by: 'sec@contoso.com',
  });

  test('when the admin failed before admin SSPR was switched off, then it is not SSPR_009 (policy-on, with the time of the switch)', () => {
    const finding = judgeUser(admin, off, failures, NOW, [switchedOff('2026-11-25T11:30:00Z')]);
    expect(finding.verdict).toBe('policy-on');
    expect(finding.reason).toContain('2026-11-25T11:30:00Z');
    expect(finding.errorCode).toBe('SSPR_0011');
  });

  test('when one of the failures came after the switch-off, then it is confirmed', () => {
    const later = { ...failures[0], eventId: 'e2', at: '2026-11-25T11:45:00Z' };
    expect(
      judgeUser(admin, off, [failures[0], later], NOW, [switchedOff('2026-11-25T11:30:00Z')]).verdict,
    ).toBe('confirmed');
  });

  test('when the switch went off, on and off again, then the value at each moment follows the changes', () => {
    const history: PolicySwitch[] = [
      switchedOff('2026-11-25T09:00:00Z'),
      { at: '2026-11-25T10:00:00Z', allowedToUseSSPR: true, previous: false, by: null },
      switchedOff('2026-11-25T11:30:00Z'),
    ];
    expect(switchValueAt('2026-11-25T08:00:00Z', history, false)).toBe(true);
    expect(switchValueAt('2026-11-25T09:30:00Z', history, false)).toBe(false);
    expect(switchValueAt('2026-11-25T11:00:00Z', history, false)).toBe(true);
    expect(switchValueAt('2026-11-25T11:59:00Z', history, true)).toBe(false);
    expect(switchValueAt('2026-11-25T11:59:00Z', [], true)).toBe(true);
  });
});

describe('planIncident', () => {
  test('when several admins are confirmed, then one incident holds them all, with a deterministic id', () => {
    const a = judgeUser(admin, off, failures, NOW);
    const b = judgeUser({ ...admin, id: 'u2' }, off, [{ ...failures[0], userId: 'u2' }], NOW);
    const incident = planIncident(TENANT, [b, a, judgeUser(standardUser, off, failures, NOW)]);
    expect(incident).toEqual({
      id: incidentId(TENANT, 'SSPR_009', 1),
      cause: 'SSPR_009',
      userIds: ['u1', 'u2'],
    });
    expect(planIncident(TENANT, [a])!.id).toBe(incident!.id);
  });

  test('when nothing is confirmed, then there is no incident', () => {
    expect(planIncident(TENANT, [judgeUser(standardUser, off, failures, NOW)])).toBeUndefined();
  });

  test('when the tenant or the sequence differ, then the incident id differs', () => {
    const first = incidentId(TENANT, 'SSPR_009', 1);
    expect(incidentId(TENANT, 'SSPR_009', 2)).not.toBe(first);
    expect(incidentId('aaaaaaaa-0000-0000-0000-000000000002', 'SSPR_009', 1)).not.toBe(first);
    expect(incidentId(TENANT.toUpperCase(), 'SSPR_009', 1)).toBe(first);
  });
});

describe('admin SSPR switches in "Update authorization policy" events', () => {
  const change = (at: string, displayName: string, newValue: string) => ({
    id: at,
    activityDateTime: at,
    activityDisplayName: 'Update authorization policy',
    initiatedBy: { user: { id: 'x', userPrincipalName: 'sec@contoso.com' } },
    targetResources: [
      { id: 'p', type: 'Policy', modifiedProperties: [{ displayName, oldValue: null, newValue }] },
    ],
  });

  test('when values come as [true], "true" or true with any casing of the name, then they are all read', () => {
    const switches = adminSsprSwitches([
      change('2026-11-25T11:00:00Z', 'AllowedToUseSspr', '[false]'),
      change('2026-11-25T11:10:00Z', 'allowedToUseSSPR', '"true"'),
      change('2026-11-25T11:20:00Z', 'AllowUserConsentForRiskyApps', '[true]'),
    ]);
    expect(switches).toEqual([
      { at: '2026-11-25T11:00:00Z', allowedToUseSSPR: false, previous: undefined, by: 'sec@contoso.com' },
      { at: '2026-11-25T11:10:00Z', allowedToUseSSPR: true, previous: undefined, by: 'sec@contoso.com' },
    ]);
  });

  test('when the last switch turned it off, then it was not switched on lately', () => {
    const onThenOff = adminSsprSwitches([
      change('2026-11-25T11:00:00Z', 'AllowedToUseSspr', '[true]'),
      change('2026-11-25T11:30:00Z', 'AllowedToUseSspr', '[false]'),
    ]);
    expect(lastSwitchedOn(onThenOff)).toBeUndefined();
    expect(
      lastSwitchedOn(adminSsprSwitches([change('2026-11-25T11:30:00Z', 'AllowedToUseSspr', '[true]')])),
    ).toBe('2026-11-25T11:30:00Z');
  });
});
