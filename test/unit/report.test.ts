import { scanResultText } from '../../src/report';
import type { Finding } from '../../src/core/model';
import type { ScanResult } from '../../src/usecases/scanTenant';
import { scanResultJson } from '../../src/usecases/resultJson';

const finding = (userPrincipalName: string, verdict: Finding['verdict'], errorCode: string): Finding => ({
  userId: userPrincipalName,
  userPrincipalName,
  verdict,
  reason: 'because',
  synced: true,
  roles: verdict === 'confirmed' ? ['Global Administrator'] : [],
  errorCode,
  eventIds: ['e1'],
});

const result: ScanResult = {
  tenantId: '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01',
  window: { from: '2026-11-24T12:00:00.000Z', to: '2026-11-25T12:00:00.000Z' },
  clippedToRetention: false,
  eventsRead: 3,
  unattributedFailures: 0,
  unmatchedReasons: [],
  findings: [
    finding('adele@contoso.com', 'confirmed', 'SSPR_0009'),
    finding('chris@contoso.com', 'not-admin', 'SSPR_0014'),
  ],
  incidents: [],
  actionErrors: [],
  graphRequests: { total: 4, throttled: 0 },
};

describe('scanResultText', () => {
  test('when an administrator is blocked by SSPR_009, then the table spells it as the incident does, and a note says --json writes SSPR_0009', () => {
    const text = scanResultText(result);
    expect(text).toMatch(/^adele@contoso\.com +confirmed +Global Administrator +yes +SSPR_009 +1$/m);
    // Other codes have one spelling only, the catalog's.
    expect(text).toMatch(/^chris@contoso\.com .* SSPR_0014 +1$/m);
    expect(text.split('\n').filter((line) => line.includes('SSPR_0009'))).toEqual([
      "(SSPR_009 is written SSPR_0009 in --json errorCode, as in Microsoft's SSPR troubleshooting catalog.)",
    ]);
    // The JSON contract does not change.
    expect(scanResultJson(result).findings[0].errorCode).toBe('SSPR_0009');
  });

  test('when no finding carries SSPR_0009, then there is no note', () => {
    expect(scanResultText({ ...result, findings: [result.findings[1]] })).not.toContain('--json errorCode');
  });
});
