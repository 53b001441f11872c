import { checkFunctionsSettings, loadFunctionsSettings } from '../../src/config/functionsSettings';
import { matchRoute } from '../../src/functions/http/routes';
import { parseIsoTime, parseScanMessage } from '../../src/core/scanMessage';
import { problemFor } from '../../src/functions/http/problem';
import { AppError, type ErrorCode } from '../../src/errors';
import { InvocationContext } from '@azure/functions';
import { saferMode } from '../../src/core/modes';

/** The pure pieces the triggers share: settings, modes, times, routes, messages, error mapping. */
const A = '6a1b2c3d-0000-4000-8000-00000000000a';
const B = '6a1b2c3d-0000-4000-8000-00000000000b';
const base = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  STATE_STORAGE: 'UseDevelopmentStorage=true',
  SCAN_SCHEDULE: '0 */15 * * * *',
};

describe('Functions settings', () => {
  test('when TENANTS lists tenants, then they are lower-cased and deduplicated; without it, TENANT_ID is the one tenant', () => {
    expect(loadFunctionsSettings({ ...base, TENANTS: ` ${A.toUpperCase()}, ${B},${A} ` }).tenants).toEqual([
      A,
      B,
    ]);
    expect(loadFunctionsSettings({ ...base, TENANT_ID: B }).tenants).toEqual([B]);
  });

  test('when settings are wrong, then one CONFIG.INVALID names each setting, its value and the fix, and hides storage values', () => {
    const env = {
      TENANTS: `${A},contoso`,
      SCAN_SCHEDULE: '*/5 * * * *',
      AzureWebJobsStorage: 'AccountName=x;AccountKey=c2VjcmV0;nonsense',
    };
    let error: AppError | undefined;
    try {
      loadFunctionsSettings(env);
    } catch (err) {
      error = err as AppError;
    }
    expect(error?.code).toBe('CONFIG.INVALID');
    expect(error!.options.problems!.map((p) => p.setting).sort()).toEqual([
      'AzureWebJobsStorage',
      'SCAN_SCHEDULE',
      'STATE_STORAGE',
      'TENANTS',
    ]);
    expect(error!.message).toContain('"contoso" is not a tenant id');
    expect(error!.message).toContain('six-field NCRONTAB');
    expect(error!.message).not.toContain('c2VjcmV0');
  });

  test('when host storage is given by identity, then the queue URL comes from __queueServiceUri or __accountName; a bare URL in AzureWebJobsStorage is refused', () => {
    const { AzureWebJobsStorage: _, ...noConnection } = base;
    expect(
      loadFunctionsSettings({
        ...noConnection,
        TENANT_ID: A,
        AzureWebJobsStorage__accountName: 'ssprfunc',
        AzureWebJobsStorage__clientId: 'c1',
      }).queue,
    ).toEqual({
      kind: 'identity',
      queueServiceUrl: 'https://ssprfunc.queue.core.windows.net',
      clientId: 'c1',
    });
    expect(
      loadFunctionsSettings({
        ...noConnection,
        TENANT_ID: A,
        AzureWebJobsStorage__queueServiceUri: 'https://x.queue.core.usgovcloudapi.net/',
      }).queue,
    ).toMatchObject({
      queueServiceUrl: 'https://x.queue.core.usgovcloudapi.net',
    });
    expect(
      checkFunctionsSettings({
        ...base,
        TENANT_ID: A,
        AzureWebJobsStorage: 'https://x.queue.core.windows.net',
      }).problems.map((p) => p.setting),
    ).toEqual(['AzureWebJobsStorage']);
    expect(checkFunctionsSettings({ ...noConnection, TENANT_ID: A }).problems.map((p) => p.setting)).toEqual([
      'AzureWebJobsStorage',
    ]);
  });
});

describe('modes', () => {
  test('when a request asks for a mode, then the safer of it and the configured one runs (report < ticket < approve < remediate)', () => {
    expect(saferMode('report', 'remediate')).toBe('report');
    expect(saferMode('approve', 'remediate')).toBe('approve');
    expect(saferMode('remediate', 'approve')).toBe('approve');
    expect(saferMode('remediate', 'report')).toBe('report');
    expect(saferMode(undefined, 'ticket')).toBe('ticket');
  });
});

describe('times', () => {
  test.each([
    ['2026-11-25', '2026-11-25T00:00:00.000Z'],
    ['2026-11-25T08:00Z', '2026-11-25T08:00:00.000Z'],
    ['2026-11-25T09:00:00+01:00', '2026-11-25T08:00:00.000Z'],
    ['2026-11-25T09:00:00.1234567+0100', '2026-11-25T08:00:00.123Z'],
    ['2028-02-29T00:00:00Z', '2028-02-29T00:00:00.000Z'],
  ])('when %s is given, then it reads as %s', (text, iso) => {
    expect(parseIsoTime(text)?.toISOString()).toBe(iso);
  });

  test.each([
    '2026-02-29T00:00:00Z',
    '2026-04-31',
    '2026-11-25T08:00:00',
    '2026-11-25T24:00:00Z',
    '2026-11-25 08:00:00Z',
    'now',
    '1732521600',
  ])('when %s is given, then it is refused', (text) => {
    expect(parseIsoTime(text)).toBeUndefined();
  });
});

describe('routes', () => {
  test('when a path is matched, then the route, its parameters and its methods come back; query and case do not matter', () => {
    expect(matchRoute('http://x/api/incidents/abc/approve?code=k')).toEqual({
      name: 'approveIncident',
      params: { id: 'abc' },
      allowed: ['POST'],
    });
    expect(matchRoute('http://x/API/Scans')).toMatchObject({ name: 'startScan', params: {} });
    expect(matchRoute('http://x/api/scans/a%20b')).toMatchObject({
      name: 'scanStatus',
      params: { id: 'a b' },
    });
    expect(matchRoute('http://x/api/scans/a/b')).toBeUndefined();
    expect(matchRoute('http://x/scans')).toBeUndefined();
  });
});

describe('queue messages', () => {
  test('when a message is ours, then it parses; when it is not, then the problem is named', () => {
    const message = {
      tenantId: A.toUpperCase(),
      scanId: '3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      requestedBy: 'timer',
    };
    expect(parseScanMessage(message)).toEqual({ message: { ...message, tenantId: A } });
    expect(parseScanMessage(JSON.stringify(message))).toEqual({ message: { ...message, tenantId: A } });
    expect(parseScanMessage('not json')).toEqual({ problem: 'the message is not JSON' });
    expect(parseScanMessage({ ...message, mode: 'yolo' })).toMatchObject({
      problem: expect.stringContaining('mode'),
    });
    expect(parseScanMessage({ ...message, extra: 1 })).toMatchObject({ problem: expect.any(String) });
  });
});

describe('errors as HTTP', () => {
  const context = () => new InvocationContext({ invocationId: 'inv-1', logHandler: () => undefined });
  const answer = (err: unknown) => {
    const response = problemFor(err, context());
    return { status: response.status, headers: response.headers, body: JSON.parse(response.body as string) };
  };

  test.each<[ErrorCode, boolean, number]>([
    ['INCIDENT.NOT_FOUND', false, 404],
    ['INCIDENT.NOT_APPROVABLE', false, 409],
    ['SCAN.TENANT_BUSY', true, 409],
    ['STATE.UNAVAILABLE', true, 503],
    ['GRAPH.THROTTLED', true, 503],
    ['GRAPH.FORBIDDEN', false, 502],
    ['TICKET.JIRA_FAILED', false, 502],
  ])(
    'when the use case throws %s (transient %s), then %i problem+json with that code',
    (code, transient, status) => {
      expect(answer(new AppError(code, 'what to do', { transient }))).toMatchObject({
        status,
        body: { code, status, detail: 'what to do', invocationId: 'inv-1' },
      });
    },
  );

  test('when settings are invalid or something unexpected breaks, then 500 with a fixed sentence, never the message', () => {
    const config = answer(new AppError('CONFIG.INVALID', 'Invalid settings:\n  - ACTION_MODE="yolo": …'));
    expect(config).toMatchObject({ status: 500, body: { code: 'CONFIG.INVALID' } });
    expect(config.body.detail).not.toContain('yolo');
    const internal = answer(new TypeError('secret-ish detail'));
    expect(internal).toMatchObject({ status: 500, body: { code: 'INTERNAL' } });
    expect(internal.body.detail).not.toContain('secret-ish');
  });
});
