import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import {
  SERVICENOW_EMULATOR_PASSWORD,
  SERVICENOW_EMULATOR_USERNAME,
} from '../../../emulator/tickets/servicenowRoutes';
import type { TicketRef } from '../../../src/usecases/ports/actions';
import { admin, runSink, ticketContent } from '../../helpers/runInChild';

const SINK = { file: 'servicenowSink', className: 'ServicenowSink', loader: 'loadServicenowSettings' };

describe('ServiceNow sink against the ServiceNow fake over HTTPS', () => {
  let emulator: RunningEmulator;
  let settings: Record<string, string>;

  beforeAll(async () => {
    emulator = await startEmulator({ scenario: 'admin-policy-off' });
    settings = {
      SERVICENOW_INSTANCE_URL: `${emulator.ticketsUrl}/servicenow`,
      SERVICENOW_USERNAME: SERVICENOW_EMULATOR_USERNAME,
      SERVICENOW_PASSWORD: SERVICENOW_EMULATOR_PASSWORD,
      SERVICENOW_ASSIGNMENT_GROUP: 'Identity Operations',
    };
  });
  afterAll(() => emulator?.stop());

  const run = (op: 'find' | 'create' | 'update', ...args: unknown[]) =>
    runSink(emulator.caCertPath, SINK, settings, op, args);
  const incidentsFor = (incidentId: string) =>
    emulator.tickets.servicenow.incidents.filter((incident) => incident.fields.correlation_id === incidentId);

  test('when an incident is filed, updated and resolved, then there is one ServiceNow incident with its work notes, resolved with a close code', async () => {
    const incidentId = randomUUID();
    expect(await run('find', incidentId)).toMatchObject({ ok: true, value: null });

    const created = await run('create', ticketContent(incidentId), `${incidentId}/opened`);
    expect(created.ok).toBe(true);
    const ref = created.value as TicketRef;
    const [incident] = incidentsFor(incidentId);
    expect(ref).toEqual({
      system: 'servicenow',
      id: incident.sysId,
      url: `${settings.SERVICENOW_INSTANCE_URL}/nav_to.do?uri=incident.do%3Fsys_id%3D${incident.sysId}`,
    });
    expect(incident.fields).toMatchObject({
      correlation_display: 'sspr-remediator',
      urgency: '2',
      impact: '2',
      assignment_group: 'Identity Operations',
      state: '1',
    });
    expect(incident.fields.short_description).toContain('SSPR_009: 1 administrator(s)');
    expect(incident.fields.description).toContain('admin@contoso.com');
    expect(incident.fields.description).toContain(
      'Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$true',
    );

    expect(await run('find', incidentId)).toMatchObject({ ok: true, value: ref });

    const second = admin('second@contoso.com', '22222222-2222-2222-2222-222222222222');
    const updated = ticketContent(incidentId, {
      event: 'updated',
      admins: [admin('admin@contoso.com'), second],
      newAdmins: [second],
    });
    expect(await run('update', ref, updated, `${incidentId}/updated/1`)).toMatchObject({ ok: true });
    expect(incident.workNotes).toHaveLength(1);
    expect(incident.workNotes[0].value).toContain('second@contoso.com');
    expect(incident.fields.state).toBe('1');

    const resolved = ticketContent(incidentId, { event: 'resolved', policy: { allowedToUseSSPR: true } });
    expect(await run('update', ref, resolved, `${incidentId}/resolved`)).toMatchObject({ ok: true });
    // The same update again (a retry after a crash) must not add a second note.
    expect(await run('update', ref, resolved, `${incidentId}/resolved`)).toMatchObject({ ok: true });

    expect(incidentsFor(incidentId)).toHaveLength(1);
    expect(incident.workNotes).toHaveLength(2);
    expect(incident.workNotes[1].value).toContain('Resolved: SSPR for administrators');
    expect(incident.fields).toMatchObject({ state: '6', close_code: 'Solution provided' });
    expect(incident.fields.close_notes).toContain('allowedToUseSSPR is true');
  });

  test('when ServiceNow answers 503 once, then the sink retries and files exactly one incident', async () => {
    const incidentId = randomUUID();
    emulator.tickets.failNext('servicenow', 503, 1, 0);
    const created = await run('create', ticketContent(incidentId), `${incidentId}/opened`);

    expect(created.ok).toBe(true);
    expect(incidentsFor(incidentId)).toHaveLength(1);
    expect(
      emulator.tickets.requests.some((request) => request.system === 'servicenow' && request.status === 503),
    ).toBe(true);
  });

  test('when the answer to the create is lost after ServiceNow stored it, then the sink finds that incident instead of filing a second', async () => {
    const incidentId = randomUUID();
    emulator.tickets.loseNextAnswers('servicenow', 504);
    const created = await run('create', ticketContent(incidentId), `${incidentId}/opened`);

    expect(created.ok).toBe(true);
    expect(incidentsFor(incidentId)).toHaveLength(1);
    expect((created.value as TicketRef).id).toBe(incidentsFor(incidentId)[0].sysId);
    expect(
      emulator.tickets.requests.some((request) => request.method === 'POST' && request.status === 504),
    ).toBe(true);
  });

  test('when the password is wrong, then the error is TICKET.SERVICENOW_FAILED, names the settings and shows no secret', async () => {
    const wrong = 'wrong-password-7f3a9c';
    const result = await runSink(
      emulator.caCertPath,
      SINK,
      { ...settings, SERVICENOW_PASSWORD: wrong },
      'find',
      [randomUUID()],
    );

    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('TICKET.SERVICENOW_FAILED');
    expect(result.error?.message).toContain('401');
    expect(result.error?.message).toContain('SERVICENOW_PASSWORD');
    const basic = Buffer.from(`${SERVICENOW_EMULATOR_USERNAME}:${wrong}`).toString('base64');
    for (const secret of [wrong, basic]) {
      expect(result.error?.message).not.toContain(secret);
      expect(result.stderr).not.toContain(secret);
      expect(JSON.stringify(emulator.tickets.requests)).not.toContain(secret);
    }
    expect(emulator.tickets.requests.at(-1)).toMatchObject({
      system: 'servicenow',
      status: 401,
      headers: { authorization: '<redacted>' },
    });
  });

  test('when a setting is missing or not https, then loading names the variable and the fix without the password', async () => {
    const { loadServicenowSettings } = await import('../../../src/config/tickets');
    expect(() =>
      loadServicenowSettings({
        SERVICENOW_INSTANCE_URL: 'http://contoso.service-now.com',
        SERVICENOW_USERNAME: 'sspr',
        SERVICENOW_PASSWORD: 'p@ss-secret',
      }),
    ).toThrow(/SERVICENOW_INSTANCE_URL must be an https:\/\/ URL/);
    let message = '';
    try {
      loadServicenowSettings({
        SERVICENOW_INSTANCE_URL: 'https://contoso.service-now.com',
        SERVICENOW_USERNAME: 'a:b',
        SERVICENOW_PASSWORD: 'p@ss-secret',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('SERVICENOW_USERNAME must not contain ":"');
    expect(message).not.toContain('p@ss-secret');
    expect(() => loadServicenowSettings({})).toThrow(/SERVICENOW_PASSWORD is required/);
  });
});
