import { classifyEvent, groupByUser, identifyUser, markFlowsPastAdminGate } from '../../../src/core/classify';
import { ANONYMOUS_ID, type AuditEvent, type SsprFailure } from '../../../src/core/model';
import { BUILT_IN_SIGNATURES, SSPR_ERROR_CATALOG, signatureFileSchema } from '../../../src/core/signatures';

const ADMIN = '11111111-1111-1111-1111-111111111111';

function event(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: 'e1',
    activityDateTime: '2026-11-25T10:00:00.0000000Z',
    activityDisplayName: 'Reset password (self-service)',
    loggedByService: 'Self-service Password Management',
    result: 'failure',
    resultReason: 'Password reset has been disabled entirely for this tenant.',
    initiatedBy: { user: { id: ADMIN, userPrincipalName: 'admin@contoso.com' } },
    targetResources: [{ id: ADMIN, type: 'User', userPrincipalName: 'admin@contoso.com' }],
    ...overrides,
  };
}

describe('classifyEvent against the SSPR error catalog', () => {
  // One realistic wording per catalog entry: each must be tagged with its code.
  const catalog: Array<[string, keyof typeof SSPR_ERROR_CATALOG]> = [
    ['Password reset has been disabled entirely for this tenant.', 'SSPR_0009'],
    ["Your organization hasn't turned on password reset", 'SSPR_0009'],
    ['Error SSPR_009: something went wrong', 'SSPR_0009'],
    ['Error code SSPR_0009', 'SSPR_0009'],
    ['Password writeback is not enabled for this tenant', 'SSPR_0010'],
    ['User is not enabled for SSPR', 'SSPR_0011'],
    ['User is not licensed', 'SSPR_0012'],
    ['User is not a member of a group enabled for password reset', 'SSPR_0013'],
    [
      "User's account has insufficient authentication methods defined. Add authentication info to resolve this",
      'SSPR_0014',
    ],
    ['OnPremisesAdminActionRequired', 'SSPR_0029'],
    ['Unable to connect to the on-premises directory: OnPremisesConnectivityError', 'SSPR_0030'],
  ];

  test.each(catalog)('when the reason is "%s", then the failure is tagged %s', (reason, code) => {
    const result = classifyEvent(event({ resultReason: reason }), BUILT_IN_SIGNATURES);
    expect(result).toMatchObject({ kind: 'failure', failure: { errorCode: code } });
  });

  test('when the reason has odd spacing and case, then it still matches and the raw text is kept as evidence', () => {
    const raw = '  PASSWORD   reset has been DISABLED entirely for this tenant ';
    const result = classifyEvent(event({ resultReason: raw }), BUILT_IN_SIGNATURES);
    expect(result).toMatchObject({ kind: 'failure', failure: { errorCode: 'SSPR_0009', rawReason: raw } });
  });

  test.each(['User cancelled the flow', 'User canceled the flow'])(
    'when the user gave up ("%s"), then it is not a failure',
    (reason) => {
      expect(classifyEvent(event({ resultReason: reason }), BUILT_IN_SIGNATURES).kind).toBe('not-a-failure');
    },
  );

  test('when a benign phrase and a failure cause share one reason, then the failure wins', () => {
    const mixed = event({
      resultReason:
        'User started the password reset flow. Password reset has been disabled entirely for this tenant',
    });
    expect(classifyEvent(mixed, BUILT_IN_SIGNATURES)).toMatchObject({
      kind: 'failure',
      failure: { errorCode: 'SSPR_0009' },
    });
    const coded = event({ resultReason: 'User canceled the flow after error SSPR_0012' });
    expect(classifyEvent(coded, BUILT_IN_SIGNATURES)).toMatchObject({
      kind: 'failure',
      failure: { errorCode: 'SSPR_0012' },
    });
  });

  test('when the result is success with no failure wording, then it is not a failure', () => {
    const success = event({ result: 'success', resultReason: 'User successfully reset password' });
    expect(classifyEvent(success, BUILT_IN_SIGNATURES).kind).toBe('not-a-failure');
  });

  test('when a failure has an unknown reason, then it is a failure without a code, flagged unmatched', () => {
    const result = classifyEvent(
      event({ resultReason: 'Something nobody has seen before' }),
      BUILT_IN_SIGNATURES,
    );
    expect(result).toMatchObject({
      kind: 'failure',
      unmatched: true,
      failure: { errorCode: null, pastAdminGate: false },
    });
    expect(classifyEvent(event(), BUILT_IN_SIGNATURES)).toMatchObject({ kind: 'failure', unmatched: false });
  });

  test('when an operator rule comes first, then it overrides the built-in rules', () => {
    const rules = signatureFileSchema.parse([
      { id: 'local', effect: 'benign', reasonContains: ['disabled entirely'] },
    ]);
    expect(classifyEvent(event(), [...rules, ...BUILT_IN_SIGNATURES]).kind).toBe('not-a-failure');
  });

  test('when a rule has neither reasonContains, reasonPattern nor activities, then the rule file is rejected', () => {
    expect(signatureFileSchema.safeParse([{ id: 'x', effect: 'failure' }]).success).toBe(false);
    expect(signatureFileSchema.safeParse([{ id: 'x', effect: 'maybe', reasonContains: ['x'] }]).success).toBe(
      false,
    );
    expect(signatureFileSchema.safeParse([{ id: 'x', effect: 'failure', reasonPattern: '(' }]).success).toBe(
      false,
    );
    // Rules that would match everything, or nothing, are mistakes too.
    expect(signatureFileSchema.safeParse([{ id: 'x', effect: 'benign', reasonPattern: '' }]).success).toBe(
      false,
    );
    expect(signatureFileSchema.safeParse([{ id: 'x', effect: 'benign', reasonContains: [] }]).success).toBe(
      false,
    );
  });
});

describe('identifyUser', () => {
  test('when the target is a User, then the target wins over the initiator', () => {
    const other = event({ initiatedBy: { user: { id: '22222222-2222-2222-2222-222222222222' } } });
    expect(identifyUser(other)?.id).toBe(ADMIN);
  });

  test('when there is no User target, then the initiator is used', () => {
    expect(identifyUser(event({ targetResources: [{ id: 'x', type: 'Policy' }] }))?.id).toBe(ADMIN);
  });

  test('when the only ids are anonymous (null or all-zero), then nobody is named and the failure is unattributed', () => {
    const anonymous = event({
      targetResources: [{ id: ANONYMOUS_ID, type: 'User' }],
      initiatedBy: { user: { id: ANONYMOUS_ID } },
    });
    expect(identifyUser(anonymous)).toBeUndefined();
    expect(identifyUser(event({ targetResources: null, initiatedBy: { user: null } }))).toBeUndefined();
    expect(classifyEvent(anonymous, BUILT_IN_SIGNATURES)).toEqual({
      kind: 'unattributed-failure',
      eventId: 'e1',
      unmatched: false,
    });
  });
});

describe('groupByUser', () => {
  test('when the same event id appears twice, then it is counted once', () => {
    const failure = (eventId: string, userId: string): SsprFailure => ({
      eventId,
      userId,
      at: '2026-11-25T10:00:00Z',
      userPrincipalName: null,
      activity: 'x',
      errorCode: null,
      rawReason: '',
      correlationId: null,
      pastAdminGate: false,
    });
    const grouped = groupByUser([
      failure('a', 'u1'),
      failure('a', 'u1'),
      failure('b', 'u1'),
      failure('c', 'u2'),
    ]);
    expect(grouped.get('u1')!.map((f) => f.eventId)).toEqual(['a', 'b']);
    expect(grouped.get('u2')!.map((f) => f.eventId)).toEqual(['c']);
  });
});

describe('the documented SSPR audit texts (test/fixtures/ssprDocumentedTexts.json)', () => {
  // Every status and failure reason Microsoft documents, and a few seen in real records, with the
  // reading each must get. Written from the documents, not from the rules, so the two check each other.
  const fixture: {
    texts: Array<{
      text: string;
      activity: string;
      expected: 'failure' | 'progress' | 'benign';
      code?: string;
    }>;
  } = require('../../fixtures/ssprDocumentedTexts.json');
  const cases = fixture.texts.flatMap((entry) =>
    (['failure', 'success'] as const).map(
      (result) => [entry.expected, entry.text, entry.activity, result, entry] as const,
    ),
  );

  test.each(cases)('"%s": "%s" (%s, result %s)', (_expected, text, activity, result, entry) => {
    const reading = classifyEvent(
      event({ activityDisplayName: activity, result, resultReason: text }),
      BUILT_IN_SIGNATURES,
    );
    if (entry.expected === 'failure') {
      expect(reading).toMatchObject({
        kind: 'failure',
        unmatched: false,
        failure: { errorCode: entry.code ?? null, pastAdminGate: false },
      });
    } else {
      expect(reading).toEqual({ kind: 'not-a-failure', pastAdminGate: entry.expected === 'progress' });
    }
  });

  test('when the list is read, then it covers every documented kind of reading', () => {
    const kinds = new Set(fixture.texts.map((entry) => entry.expected));
    expect([...kinds].sort()).toEqual(['benign', 'failure', 'progress']);
    const codes = new Set(fixture.texts.map((entry) => entry.code).filter(Boolean));
    expect([...codes].sort()).toEqual(Object.keys(SSPR_ERROR_CATALOG).sort());
  });
});

describe('activities that are never a self-service reset', () => {
  test.each([
    ['Change password (self-service)', 'Incorrect current password'],
    ['Change password (self-service)', 'Error SSPR_0009 while changing'],
    ['Reset password (by admin)', 'Password reset has been disabled entirely for this tenant.'],
    ['User registered for self-service password reset', 'User did not finish registration'],
  ])('when a "%s" event fails with "%s", then it is not a reset failure', (activity, reason) => {
    expect(
      classifyEvent(event({ activityDisplayName: activity, resultReason: reason }), BUILT_IN_SIGNATURES).kind,
    ).toBe('not-a-failure');
  });
});

describe('flows that went past the admin gate', () => {
  test('when an operator rule makes a progress text a failure, then the failure still shows the flow passed the gate', () => {
    const rules = signatureFileSchema.parse([
      { id: 'local', effect: 'failure', reasonContains: ['contacted an admin'] },
    ]);
    const text = 'User contacted an admin after trying the email verification option';
    const reading = classifyEvent(event({ resultReason: text }), [...rules, ...BUILT_IN_SIGNATURES]);
    expect(reading).toMatchObject({ kind: 'failure', failure: { pastAdminGate: true } });
  });

  test('when a failure shares its correlation id with a flow past the gate, then it is marked; others are not', () => {
    const failure = (eventId: string, correlationId: string | null): SsprFailure => ({
      eventId,
      userId: 'u1',
      at: '2026-11-25T10:00:00Z',
      userPrincipalName: null,
      activity: 'x',
      errorCode: null,
      rawReason: '',
      correlationId,
      pastAdminGate: false,
    });
    const failures = [failure('a', 'AAAA-1'), failure('b', 'bbbb-2'), failure('c', null)];
    markFlowsPastAdminGate(failures, new Set(['aaaa-1']));
    expect(failures.map((f) => f.pastAdminGate)).toEqual([true, false, false]);
  });
});
