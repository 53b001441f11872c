import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../emulator';
import { GITHUB_EMULATOR_TOKEN } from '../../emulator/tickets/githubRoutes';
import { runSinkInChild } from '../helpers/runSinkInChild';
import { ticketContent } from '../helpers/runInChild';

/**
 * Issue 11, finding 5: every outbound ticket request has a per-attempt timeout and never follows a
 * redirect. Each sink runs in its own process against the HTTPS ticket fakes, as the app would.
 */
const SECRET = 'webhook-secret-0123456789abcdef';
const WEBHOOK = {
  module: 'src/adapters/tickets/webhookSink.js',
  loader: 'loadWebhookSettings',
  sinkClass: 'WebhookSink',
};
const GITHUB = {
  module: 'src/adapters/tickets/githubSink.js',
  loader: 'loadGithubSettings',
  sinkClass: 'GithubSink',
};

describe('outbound ticket requests', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ scenario: 'admin-policy-off' });
    emulator.tickets.webhook.secret = SECRET;
  });
  afterAll(() => emulator?.stop());

  const webhookEnv = () => ({
    TICKET_WEBHOOK_URL: `${emulator.ticketsUrl}/webhook/hooks/sspr`,
    TICKET_WEBHOOK_SECRET: SECRET,
  });
  const requestsTo = (system: string) =>
    emulator.tickets.requests.filter((request) => request.system === system);

  test('when the webhook answers a POST with a 307 to another host, then the body, signature and key are not re-sent and the error says why', async () => {
    const incidentId = randomUUID();
    // Another listener of the same fake stands in for the other host: anything re-sent would land there.
    emulator.tickets.redirectNext(
      'webhook',
      `${emulator.ticketsUrl}/github/repos/contoso/identity-ops/issues`,
    );
    const before = requestsTo('github').length;
    const run = await runSinkInChild({
      ...WEBHOOK,
      env: webhookEnv(),
      caCertPath: emulator.caCertPath,
      steps: [{ op: 'create', args: [ticketContent(incidentId), `${incidentId}/opened`] }],
      sinkOptions: { backoffBaseMs: 10 },
    });

    expect(run.results[0].error).toMatchObject({ code: 'TICKET.WEBHOOK_FAILED', transient: false });
    expect(run.results[0].error!.message).toContain('redirect');
    expect(requestsTo('github')).toHaveLength(before);
    // Not retried either: one request, the redirected one.
    expect(
      requestsTo('webhook').filter(
        (request) => request.path.endsWith('/hooks/sspr') && request.status === 307,
      ),
    ).toHaveLength(1);
    expect(
      emulator.tickets.webhook.deliveries.filter(
        (delivery) => (delivery.body as any).incidentId === incidentId,
      ),
    ).toEqual([]);
  });

  test('when the ticket system never answers, then each attempt gives up after its timeout and the error says so', async () => {
    const incidentId = randomUUID();
    // More silences than attempts: however slow this machine is, no attempt is ever answered.
    emulator.tickets.silenceNext('webhook', 100);
    try {
      const run = await runSinkInChild({
        ...WEBHOOK,
        env: webhookEnv(),
        caCertPath: emulator.caCertPath,
        steps: [{ op: 'create', args: [ticketContent(incidentId), `${incidentId}/opened`] }],
        sinkOptions: { backoffBaseMs: 10, maxAttempts: 2, attemptTimeoutMs: 1_000 },
      });

      expect(run.results[0].error).toMatchObject({ code: 'TICKET.WEBHOOK_FAILED', transient: true });
      expect(run.results[0].error!.message).toContain('no answer within 1000 ms');
      expect(
        emulator.tickets.webhook.deliveries.filter(
          (delivery) => (delivery.body as any).incidentId === incidentId,
        ),
      ).toEqual([]);
    } finally {
      emulator.tickets.silences.delete('webhook');
    }
  });

  test('when a hung attempt is followed by an answer, then the retry delivers exactly once', async () => {
    const incidentId = randomUUID();
    emulator.tickets.silenceNext('github', 1);
    const run = await runSinkInChild({
      ...GITHUB,
      env: {
        GITHUB_API_URL: `${emulator.ticketsUrl}/github`,
        GITHUB_REPOSITORY: 'contoso/identity-ops',
        GITHUB_TOKEN: GITHUB_EMULATOR_TOKEN,
      },
      caCertPath: emulator.caCertPath,
      steps: [{ op: 'create', args: [ticketContent(incidentId), `${incidentId}/opened`] }],
      sinkOptions: { backoffBaseMs: 10, attemptTimeoutMs: 1_000 },
    });

    expect(run.results[0].ok).toBe(true);
    expect(emulator.tickets.github.issues.filter((issue) => issue.body?.includes(incidentId))).toHaveLength(
      1,
    );
  });
});

describe('outbound Graph requests', () => {
  test('when Graph never answers an attempt, then it is abandoned after its timeout and retried, and the scan reads on', async () => {
    const { createServer } = await import('node:http');
    const { createGraphClient } = await import('../../src/adapters/graph/graphClient');
    const { GraphAuditLogReader } = await import('../../src/adapters/graph/auditLogReader');
    // Graph's wire format for an empty audit page; the first request hangs, as a stuck backend would.
    let requests = 0;
    const server = createServer((request, response) => {
      requests++;
      if (requests === 1) return;
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ '@odata.context': 'x', value: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const stats = { total: 0, throttled: 0 };
      const credential = {
        getToken: async () => ({ token: 'unused-over-plain-http', expiresOnTimestamp: Date.now() + 60_000 }),
      };
      const client = createGraphClient(credential, {
        graphEndpoint: origin,
        audience: 'https://graph.microsoft.com',
        auditRequestsPer10s: 100,
        maxAttempts: 3,
        stats,
        backoffBaseMs: 10,
        attemptTimeoutMs: 1_000,
      });
      const pages = [];
      for await (const page of new GraphAuditLogReader(client, origin).ssprEvents({
        from: new Date('2026-11-25T10:00:00Z'),
        to: new Date('2026-11-25T11:00:00Z'),
      })) {
        pages.push(page);
      }
      expect(pages).toEqual([[]]);
      // At least the hung attempt and one answered; a slow machine may abandon more, each one counted.
      expect(requests).toBeGreaterThanOrEqual(2);
      expect(stats.total).toBe(requests);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
