import documented from '../../fixtures/ssprAdminPolicyRoles.json';
import { adminRole, LISTED_ADMIN_ROLES, resolveUnlistedIds } from '../../../src/core/adminRoles';
import type { AuditEvent, PolicyFacts, SsprFailure, UserFacts } from '../../../src/core/model';
import { policyOnCause } from '../../../src/core/policyOnCause';
import { roleChanges, rolesAt, type RolesOverTime } from '../../../src/core/roleHistory';
import { judgeUser } from '../../../src/core/verdict';

const NOW = new Date('2026-11-25T12:00:00Z');
const USER = '6c2a7b4f-3d5e-4f90-8b1c-2d3e4f5a6b7c';
const GA = '62e90394-69f5-4237-9190-012177145e10';
const GA_ROLE = { templateId: GA, displayName: 'Global Administrator' };
const FAILED_AT = '2026-11-25T10:00:00Z';
const coverage = (id: string) => adminRole(id);

const failure: SsprFailure = {
  eventId: 'e1',
  at: FAILED_AT,
  userId: USER,
  userPrincipalName: 'isaiah@contoso.com',
  activity: 'Reset password (self-service)',
  errorCode: null,
  rawReason: 'x',
  correlationId: null,
  pastAdminGate: false,
};
const userWith = (roles: (typeof GA_ROLE)[]): UserFacts => ({
  kind: 'found',
  id: USER,
  userPrincipalName: 'isaiah@contoso.com',
  synced: true,
  roles: { kind: 'known', adminRoles: roles },
});
const off: PolicyFacts = { kind: 'off' };

/** A Core Directory record as Graph writes it: the role in the user target's modifiedProperties, JSON-quoted. */
function coreDirectory(activity: string, at: string, templateId = GA): AuditEvent {
  const added = activity.startsWith('Add');
  const value = (text: string) =>
    added ? { oldValue: null, newValue: `"${text}"` } : { oldValue: `"${text}"`, newValue: null };
  return {
    id: `${activity}-${at}`,
    activityDateTime: at,
    activityDisplayName: activity,
    loggedByService: 'Core Directory',
    result: 'success',
    targetResources: [
      {
        id: USER,
        type: 'User',
        userPrincipalName: 'isaiah@contoso.com',
        modifiedProperties: [
          { displayName: 'Role.ObjectID', ...value('0b8f1e4a-0000-4000-8000-000000000001') },
          { displayName: 'Role.DisplayName', ...value('Global Administrator') },
          { displayName: 'Role.TemplateId', ...value(templateId) },
        ],
      },
    ],
  };
}

/** A PIM record: the role first, the user later. */
function pim(activity: string, at: string): AuditEvent {
  return {
    id: `${activity}-${at}`,
    activityDateTime: at,
    activityDisplayName: activity,
    loggedByService: 'PIM',
    result: 'success',
    targetResources: [
      { id: GA, type: 'Role', displayName: 'Global Administrator', modifiedProperties: [] },
      { id: 'a0000000-0000-4000-8000-000000000001', type: 'Request', displayName: null },
      { id: USER, type: 'User', userPrincipalName: 'isaiah@contoso.com' },
    ],
  };
}

const read = (
  events: AuditEvent[],
  pimState: RolesOverTime['pim'] = { kind: 'read', active: [], eligible: [] },
): RolesOverTime => ({
  changes: { kind: 'read', changes: roleChanges(events) },
  pim: pimState,
});

describe('roleChanges', () => {
  test('when Core Directory and PIM records name a role, then each becomes one change keyed on the template id, the user found by type', () => {
    const changes = roleChanges([
      coreDirectory('Remove member from role', '2026-11-25T11:00:00Z'),
      pim('Add member to role completed (PIM activation)', '2026-11-25T09:00:00Z'),
    ]);
    expect(changes).toEqual([
      expect.objectContaining({ at: '2026-11-25T09:00:00Z', userId: USER, templateId: GA, change: 'added' }),
      expect.objectContaining({
        at: '2026-11-25T11:00:00Z',
        userId: USER,
        templateId: GA,
        change: 'removed',
        displayName: 'Global Administrator',
      }),
    ]);
  });

  test('when a record is a request, an eligible assignment or a failure, then it changes nothing', () => {
    const failed = { ...coreDirectory('Add member to role', FAILED_AT), result: 'failure' };
    expect(
      roleChanges([
        pim('Add member to role requested (PIM activation)', FAILED_AT),
        pim('Add eligible member to role in PIM completed (permanent)', FAILED_AT),
        failed,
      ]),
    ).toEqual([]);
  });
});

describe('judging each failure by the roles as they stood then', () => {
  test('when a PIM activation was in force at the failure and expired before the scan, then it is confirmed', () => {
    const history = read([
      pim('Add member to role completed (PIM activation)', '2026-11-25T09:30:00Z'),
      pim('Remove member from role (PIM activation expired)', '2026-11-25T11:30:00Z'),
      coreDirectory('Remove member from role', '2026-11-25T11:30:02Z'),
    ]);
    const finding = judgeUser(userWith([]), off, [failure], NOW, [], { overTime: history, coverage });
    expect(finding).toMatchObject({ verdict: 'confirmed', roles: ['Global Administrator'] });
  });

  test('when a permanent assignment was removed after the failure (its grant older than the log), then it is confirmed', () => {
    const history = read([coreDirectory('Remove member from role', '2026-11-25T11:00:00Z')]);
    expect(judgeUser(userWith([]), off, [failure], NOW, [], { overTime: history, coverage }).verdict).toBe(
      'confirmed',
    );
  });

  test('when the role was granted after the failure, then it is not-admin and the reason says when', () => {
    const history = read([coreDirectory('Add member to role', '2026-11-25T11:00:00Z')]);
    const finding = judgeUser(userWith([GA_ROLE]), off, [failure], NOW, [], { overTime: history, coverage });
    expect(finding).toMatchObject({ verdict: 'not-admin', roles: [] });
    expect(finding.reason).toContain('2026-11-25T11:00:00Z');
  });

  test('when today’s activation started after the failure and the log holds no record of it, then it is not-admin', () => {
    const history = read([], {
      kind: 'read',
      active: [{ templateId: GA, startDateTime: '2026-11-25T11:15:00Z', assignmentType: 'Activated' }],
      eligible: [],
    });
    expect(
      judgeUser(userWith([GA_ROLE]), off, [failure], NOW, [], { overTime: history, coverage }).verdict,
    ).toBe('not-admin');
    // An assignment in force since before the failure still counts.
    const since = read([], {
      kind: 'read',
      active: [{ templateId: GA, startDateTime: '2026-11-01T00:00:00Z', assignmentType: 'Assigned' }],
      eligible: [],
    });
    expect(
      judgeUser(userWith([GA_ROLE]), off, [failure], NOW, [], { overTime: since, coverage }).verdict,
    ).toBe('confirmed');
  });

  test('when the user is only eligible and was never active at the failure, then it is cannot-confirm naming the eligible role', () => {
    const history = read([], { kind: 'read', active: [], eligible: [GA_ROLE] });
    const finding = judgeUser(userWith([]), off, [failure], NOW, [], { overTime: history, coverage });
    expect(finding.verdict).toBe('cannot-confirm');
    expect(finding.reason).toContain('eligible (PIM) for Global Administrator');
  });

  test('when the role history could not be read, then today’s roles decide and the reason says the history was not checked', () => {
    const unread: RolesOverTime = {
      changes: { kind: 'unread', reason: 'Graph answered 403 (grant AuditLog.Read.All)' },
      pim: { kind: 'read', active: [], eligible: [] },
    };
    const admin = judgeUser(userWith([GA_ROLE]), off, [failure], NOW, [], { overTime: unread, coverage });
    expect(admin.verdict).toBe('confirmed');
    expect(admin.reason).toContain('Role changes since the failure were not checked');
    const standard = judgeUser(userWith([]), off, [failure], NOW, [], { overTime: unread, coverage });
    expect(standard.verdict).toBe('not-admin');
    expect(standard.reason).toContain('403');
  });

  test('when a role outside the admin policy changed, then it does not count', () => {
    const reader = coreDirectory(
      'Remove member from role',
      '2026-11-25T11:00:00Z',
      '88d8e3e3-8f55-4a1e-953a-9b9898b8876b',
    );
    expect(rolesAt(FAILED_AT, [], read([reader]), coverage)).toEqual([]);
  });
});

describe('the roles the admin reset policy covers', () => {
  test('when compared with Microsoft’s list, then every name it gives is covered, old names included', () => {
    expect(LISTED_ADMIN_ROLES.map((role) => role.listedAs).sort()).toEqual([...documented.names].sort());
    expect(documented.names).toHaveLength(78);
    expect(adminRole('a9ea8996-122f-4c74-9520-8edcd192826c')?.displayName).toBe('Fabric Administrator');
    expect(
      LISTED_ADMIN_ROLES.find((role) => role.listedAs === 'Power BI Service Administrator')?.displayName,
    ).toBe('Fabric Administrator');
  });

  test('when a listed role has no known template id, then a built-in role definition of that name supplies it, a custom one does not', () => {
    const resolved = resolveUnlistedIds([
      {
        templateId: '11111111-2222-4333-8444-555555555555',
        displayName: 'Mailbox Administrator',
        isBuiltIn: true,
      },
      {
        templateId: '66666666-2222-4333-8444-555555555555',
        displayName: 'Email Verified User Creator',
        isBuiltIn: false,
      },
    ]);
    expect([...resolved]).toEqual([['11111111-2222-4333-8444-555555555555', 'Mailbox Administrator']]);
    expect(adminRole('11111111-2222-4333-8444-555555555555', resolved)?.displayName).toBe(
      'Mailbox Administrator',
    );
  });
});

describe('policyOnCause: why an admin failed while admin SSPR was on', () => {
  const read = (methodsRegistered: string[]) =>
    ({ kind: 'read', isSsprRegistered: null, isSsprCapable: null, methodsRegistered }) as const;

  test('when the admin has one usable method and security questions, then the advice names the missing second method', () => {
    const advice = policyOnCause(read(['mobilePhone', 'securityQuestion']), [failure]);
    expect(advice).toContain('one method (mobilePhone)');
    expect(advice).toContain('security questions do not count');
    expect(advice).toContain('https://aka.ms/mysecurityinfo');
  });

  test('when the event carries a writeback code, then that code is the likely cause whatever was registered', () => {
    expect(policyOnCause(read(['email', 'mobilePhone']), [{ ...failure, errorCode: 'SSPR_0010' }])).toContain(
      'password writeback is not enabled',
    );
  });

  test('when two methods are registered, then registration is not blamed', () => {
    expect(policyOnCause(read(['email', 'microsoftAuthenticatorPush']), [failure])).toContain(
      'enough for the admin policy',
    );
  });

  test('when registration could not be read, then the advice says so and why', () => {
    expect(policyOnCause({ kind: 'unread', reason: 'Graph answered 403' }, [failure])).toContain(
      'could not be read (Graph answered 403)',
    );
  });
});
