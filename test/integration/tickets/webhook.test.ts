import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import type { TicketRef } from '../../../src/usecases/ports/actions';
import { signature } from '../../../src/adapters/tickets/webhookSink';
import { runSink, ticketContent } from '../../helpers/runInChild';

const SINK = { file: 'webhookSink', className: 'WebhookSink', loader: 'loadWebhookSettings' };
const SECRET = 'webhook-secret-0123456789abcdef';

describe('webhook sink against the webhook receiver fake over HTTPS', () => {
  let emulator: RunningEmulator;
  let settings: Record<string, string>;

  beforeAll(async () => {
    emulator = await startEmulator({ scenario: 'admin-policy-off' });
    emulator.tickets.webhook.secret = SECRET;
    settings = {
      TICKET_WEBHOOK_URL: `${emulator.ticketsUrl}/webhook/hooks/sspr`,
      TICKET_WEBHOOK_SECRET: SECRET,
    };
  });
  afterAll(() => emulator?.stop());

  const run = (op: 'find' | 'create' | 'update', ...args: unknown[]) =>
    runSink(emulator.caCertPath, SINK, settings, op, args);
  const deliveriesFor = (incidentId: string) =>
    emulator.tickets.webhook.deliveries.filter(
      (delivery) => (delivery.body as any).incidentId === incidentId,
    );

  test('when an incident is opened, then one signed delivery carries the incident as JSON and find still answers undefined', async () => {
    const incidentId = randomUUID();
    const created = await run('create', ticketContent(incidentId), `${incidentId}/opened`);

    expect(created).toMatchObject({
      ok: true,
      value: { system: 'webhook', id: incidentId, url: emulator.ticketsUrl },
    });
    const [delivery] = deliveriesFor(incidentId);
    expect(delivery.idempotencyKey).toBe(`${incidentId}/opened`);
    // The receiver verified the signature on the raw bytes; the body re-serialises to the same bytes.
    expect(delivery.signature).toBe(signature(SECRET, JSON.stringify(delivery.body)));
    expect(delivery.body).toMatchObject({
      incidentId,
      event: 'opened',
      tenantId: '00000000-0000-0000-0000-0000000000aa',
      cause: 'SSPR_009',
      userIds: ['11111111-1111-1111-1111-111111111111'],
      admins: [
        {
          userId: '11111111-1111-1111-1111-111111111111',
          userPrincipalName: 'admin@contoso.com',
          roles: ['Global Administrator'],
          synced: true,
        },
      ],
      policy: { allowedToUseSSPR: false },
      disabledBy: { by: 'hardening@contoso.com', at: '2026-01-09T10:00:00Z' },
    });
    expect((delivery.body as any).text).toContain(
      'Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:$true',
    );
    expect(await run('find', incidentId)).toMatchObject({ ok: true, value: null });
  });

  test('when the same event is sent again with the same key, then the receiver answers 409, the sink succeeds and there is no second delivery', async () => {
    const incidentId = randomUUID();
    expect((await run('create', ticketContent(incidentId), `${incidentId}/opened`)).ok).toBe(true);
    expect((await run('create', ticketContent(incidentId), `${incidentId}/opened`)).ok).toBe(true);

    expect(deliveriesFor(incidentId)).toHaveLength(1);
    expect(
      emulator.tickets.requests.some((request) => request.system === 'webhook' && request.status === 409),
    ).toBe(true);
  });

  test('when the incident is updated and resolved, then each event is its own delivery', async () => {
    const incidentId = randomUUID();
    const ref = (await run('create', ticketContent(incidentId), `${incidentId}/opened`)).value as TicketRef;
    expect(
      (await run('update', ref, ticketContent(incidentId, { event: 'resolved' }), `${incidentId}/resolved`))
        .ok,
    ).toBe(true);

    expect(deliveriesFor(incidentId).map((delivery) => (delivery.body as any).event)).toEqual([
      'opened',
      'resolved',
    ]);
  });

  test('when the receiver answers 503 once, then the delivery is retried with the same key and arrives once', async () => {
    const incidentId = randomUUID();
    emulator.tickets.failNext('webhook', 503, 1, 0);
    expect((await run('create', ticketContent(incidentId), `${incidentId}/opened`)).ok).toBe(true);

    expect(deliveriesFor(incidentId)).toHaveLength(1);
    const attempts = emulator.tickets.requests.filter(
      (request) => request.system === 'webhook' && (request.body as any)?.incidentId === incidentId,
    );
    expect(attempts.map((request) => request.status)).toEqual([503, 200]);
    expect(new Set(attempts.map((request) => request.headers['idempotency-key']))).toEqual(
      new Set([`${incidentId}/opened`]),
    );
  });

  test('when the secret does not match, then the error is TICKET.WEBHOOK_FAILED without the secret or the URL path, and nothing is delivered', async () => {
    const incidentId = randomUUID();
    const wrong = 'not-the-receivers-secret-123';
    const result = await runSink(
      emulator.caCertPath,
      SINK,
      { ...settings, TICKET_WEBHOOK_SECRET: wrong },
      'create',
      [ticketContent(incidentId), `${incidentId}/opened`],
    );

    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('TICKET.WEBHOOK_FAILED');
    expect(result.error?.message).toContain('TICKET_WEBHOOK_SECRET');
    expect(result.error?.message).not.toContain(wrong);
    expect(result.error?.message).not.toContain('/hooks/sspr');
    expect(result.stderr).not.toContain(wrong);
    expect(deliveriesFor(incidentId)).toHaveLength(0);
    expect(emulator.tickets.requests.at(-1)).toMatchObject({ system: 'webhook', status: 401 });
  });

  test('when the receiver keeps failing, then the error hides the URL path, which may be a secret', async () => {
    emulator.tickets.failNext('webhook', 500, 10, 0);
    const result = await run('create', ticketContent(randomUUID()), 'x/opened');
    emulator.tickets.failures.delete('webhook');

    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('TICKET.WEBHOOK_FAILED');
    expect(result.error?.message).toContain('500');
    expect(result.error?.message).not.toContain('/hooks/sspr');
  });
});
