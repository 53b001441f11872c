import fs from 'node:fs';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createLocalCertificate, type LocalCertificate } from '../../emulator/certificate';
import {
  startIngestion,
  type Envelope,
  type RunningIngestion,
} from '../../emulator/ingestion/ingestionServer';
import { hashUpn } from '../../src/adapters/telemetry/scrub';
import { MEASUREMENT_NAMES, PROPERTY_NAMES } from '../../src/core/telemetryVocabulary';
import { runInChild } from '../helpers/runInChild';

/**
 * The real applicationinsights 3.x exporter, in a child process built from dist/, sending to the fake
 * ingestion endpoint over HTTPS (the exporter sends nowhere else; the child trusts the self-signed
 * certificate through NODE_EXTRA_CA_CERTS). Assertions are on the envelopes that arrive.
 */

const IKEY = '00000000-0000-0000-0000-000000000000';
let certificate: LocalCertificate;
let ingestion: RunningIngestion;

beforeAll(async () => {
  certificate = await createLocalCertificate();
  ingestion = await startIngestion(certificate);
});

afterAll(async () => {
  await ingestion?.stop();
  if (certificate) fs.rmSync(certificate.dir, { recursive: true, force: true });
});

function telemetryEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_EXTRA_CA_CERTS: certificate.certPath,
    APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=${ingestion.url}`,
    // The SDK's own usage telemetry goes to Microsoft's endpoints; tests stay on the machine.
    APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
    APPLICATIONINSIGHTS_SDKSTATS_DISABLED: 'true',
    INGESTION_URL: ingestion.url,
    ...extra,
  };
}

/** Child-side: `probe(label)` POSTs a marker to the ingestion server, recording what it had accepted by then. */
const PRELUDE = `
  const { loadTelemetrySettings } = dist('src/config/telemetry.js');
  const createTelemetry = (env, options) => dist('src/adapters/telemetry/telemetry.js').createTelemetry(loadTelemetrySettings(env), options);
  const probe = (label) => fetch(process.env.INGESTION_URL + '_probe?label=' + encodeURIComponent(label), { method: 'POST' }).then((r) => r.json());
`;

function run(body: string, input: unknown, env = telemetryEnv()) {
  return runInChild(PRELUDE + body, input, env);
}

const byEvent = (name: string, invocationId: string) => (e: Envelope) =>
  e.data?.baseType === 'EventData' &&
  e.data.baseData?.name === name &&
  e.data.baseData.properties?.invocationId === invocationId;

function probeEntry(label: string) {
  const entry = ingestion.log.find((item) => item.kind === 'probe' && item.label === label);
  if (!entry || entry.kind !== 'probe') throw new Error(`probe ${label} never arrived`);
  return entry;
}

describe('Application Insights telemetry through the 3.x exporter', () => {
  test('when a scan completes and the invocation flushes, then ScanCompleted arrives as EventData with context properties and measurements, before flush() resolves', async () => {
    const invocationId = randomUUID();
    const tenantId = randomUUID();
    const result = await run(
      `const telemetry = createTelemetry(process.env).withContext({ invocationId: input.invocationId, tenantId: input.tenantId });
       telemetry.event('ScanCompleted',
         { windowFrom: '2026-11-25T10:00:00.000Z', windowTo: '2026-11-25T11:00:00.000Z' },
         { eventsRead: 1200, failures: 3, confirmed: 2, durationMs: 5400, graphRequests: 4, throttled: 1 });
       await telemetry.flush();
       await probe(input.invocationId);
       return telemetry.constructor.name;`,
      { invocationId, tenantId },
    );
    expect(result).toMatchObject({ ok: true, value: 'AppInsightsTelemetry' });
    expect(result.stderr).toBe('');

    const index = ingestion.envelopes.findIndex(byEvent('ScanCompleted', invocationId));
    expect(index).toBeGreaterThanOrEqual(0);
    // The envelope was answered 200 before the child, after `await flush()`, sent its probe.
    expect(index).toBeLessThan(probeEntry(invocationId).envelopesBefore);

    const envelope = ingestion.envelopes[index];
    expect(envelope).toMatchObject({
      name: 'Microsoft.ApplicationInsights.Event',
      iKey: IKEY,
      data: {
        baseType: 'EventData',
        baseData: {
          ver: 2,
          name: 'ScanCompleted',
          properties: {
            invocationId,
            tenantId,
            windowFrom: '2026-11-25T10:00:00.000Z',
            windowTo: '2026-11-25T11:00:00.000Z',
          },
          measurements: {
            eventsRead: 1200,
            failures: 3,
            confirmed: 2,
            durationMs: 5400,
            graphRequests: 4,
            throttled: 1,
          },
        },
      },
    });
    expect(
      Object.keys(envelope.data!.baseData!.properties).every((name) => PROPERTY_NAMES.includes(name)),
    ).toBe(true);
    expect(
      Object.keys(envelope.data!.baseData!.measurements).every((name) => MEASUREMENT_NAMES.includes(name)),
    ).toBe(true);
    // Nothing but what was asked for: no auto-collected requests, dependencies, traces or metrics.
    const fromThisChild = ingestion.envelopes.filter((e) => JSON.stringify(e).includes(tenantId));
    expect(fromThisChild).toEqual([envelope]);
  });

  test('when metrics are recorded, then flush() exports one aggregated MetricData point per name (sum, count, min, max) and the next flush only the new values', async () => {
    const tenantId = randomUUID();
    const invocationId = randomUUID();
    const result = await run(
      `const telemetry = createTelemetry(process.env).withContext({ invocationId: input.invocationId, tenantId: input.tenantId });
       telemetry.metric('SsprFailures', 2);
       telemetry.metric('SsprFailures', 5);
       telemetry.metric('GraphThrottled', 1);
       await telemetry.flush();
       await probe(input.tenantId + '/1');
       telemetry.metric('SsprFailures', 4);
       await telemetry.flush();
       await probe(input.tenantId + '/2');`,
      { tenantId, invocationId },
    );
    expect(result).toMatchObject({ ok: true });

    const isMetric = (name: string) => (e: Envelope) =>
      e.data?.baseType === 'MetricData' &&
      e.data.baseData?.properties?.tenantId === tenantId &&
      e.data.baseData.metrics?.[0]?.name === name;
    const failures = ingestion.envelopes.filter(isMetric('SsprFailures'));
    const throttled = ingestion.envelopes.filter(isMetric('GraphThrottled'));
    expect(failures).toHaveLength(2);
    expect(throttled).toHaveLength(1);

    expect(failures[0]).toMatchObject({
      name: 'Microsoft.ApplicationInsights.Metric',
      iKey: IKEY,
      data: {
        baseType: 'MetricData',
        baseData: {
          metrics: [{ name: 'SsprFailures', kind: 'Aggregation', value: 7, count: 2, min: 2, max: 5 }],
        },
      },
    });
    // Metrics carry the tenant only: a per-invocation dimension would make every invocation its own series.
    expect(failures[0].data!.baseData!.properties).toEqual({ tenantId });
    // Delta temporality: the second export holds only what was recorded after the first.
    expect(failures[1].data!.baseData!.metrics).toEqual([
      { name: 'SsprFailures', kind: 'Aggregation', value: 4, count: 1, min: 4, max: 4 },
    ]);

    // Each flush pushed its metrics: the first point was accepted before the first probe, the second before the second.
    const first = ingestion.envelopes.indexOf(failures[0]);
    const second = ingestion.envelopes.indexOf(failures[1]);
    expect(first).toBeLessThan(probeEntry(`${tenantId}/1`).envelopesBefore);
    expect(second).toBeGreaterThanOrEqual(probeEntry(`${tenantId}/1`).envelopesBefore);
    expect(second).toBeLessThan(probeEntry(`${tenantId}/2`).envelopesBefore);
  });

  test('when PII_MODE=hash, then UPN properties arrive as a SHA-256 salted by the tenant, never in clear', async () => {
    const invocationId = randomUUID();
    const tenantId = randomUUID();
    const result = await run(
      `const telemetry = createTelemetry(process.env).withContext({ invocationId: input.invocationId, tenantId: input.tenantId });
       telemetry.event('RemediationStarted', { incidentId: 'inc-1', method: 'runbook', disabledByUpn: 'Hardening@Contoso.com', userPrincipalName: 'admin@contoso.com' });
       await telemetry.flush();`,
      { invocationId, tenantId },
      telemetryEnv({ PII_MODE: 'hash' }),
    );
    expect(result).toMatchObject({ ok: true });

    const envelope = ingestion.envelopes.find(byEvent('RemediationStarted', invocationId));
    expect(envelope).toBeDefined();
    expect(envelope!.data!.baseData!.properties).toEqual({
      invocationId,
      tenantId,
      incidentId: 'inc-1',
      method: 'runbook',
      disabledByUpn: hashUpn('hardening@contoso.com', tenantId),
      userPrincipalName: hashUpn('admin@contoso.com', tenantId),
    });
    expect(JSON.stringify(envelope).toLowerCase()).not.toContain('contoso.com');
  });

  test('when properties hold secrets, then neither secret-named properties nor values containing a known secret arrive', async () => {
    const invocationId = randomUUID();
    const tenantId = randomUUID();
    const jiraToken = `jira-token-${randomUUID()}`;
    const extraSecret = `runbook-webhook-${randomUUID()}`;
    const clientSecret = `client-secret-${randomUUID()}`;
    const result = await run(
      `const telemetry = createTelemetry(process.env, { knownSecrets: [input.extraSecret] })
         .withContext({ invocationId: input.invocationId, tenantId: input.tenantId });
       telemetry.event('ScanFailed', {
         code: 'TICKET.AUTH',
         clientSecret: input.clientSecret,
         detail: 'Jira answered 401 for token ' + input.jiraToken,
         hint: 'webhook ' + input.extraSecret,
         header: 'Bearer ' + input.clientSecret,
         settings: process.env.APPLICATIONINSIGHTS_CONNECTION_STRING,
       }, { tokenCount: 3 });
       await telemetry.flush();`,
      { invocationId, tenantId, jiraToken, extraSecret, clientSecret },
      telemetryEnv({ JIRA_API_TOKEN: jiraToken }),
    );
    expect(result).toMatchObject({ ok: true });

    const envelope = ingestion.envelopes.find(byEvent('ScanFailed', invocationId));
    expect(envelope).toBeDefined();
    expect(envelope!.data!.baseData!.properties).toEqual({ invocationId, tenantId, code: 'TICKET.AUTH' });
    expect(envelope!.data!.baseData!.measurements ?? {}).toEqual({});
    const everything = JSON.stringify(ingestion.envelopes);
    for (const secret of [jiraToken, extraSecret, clientSecret]) expect(everything).not.toContain(secret);
  });

  test('when APPLICATIONINSIGHTS_CONNECTION_STRING is unset, then telemetry is NoTelemetry and the SDK is never loaded', async () => {
    const result = await run(
      `const telemetry = createTelemetry(process.env).withContext({ invocationId: 'x', tenantId: 'y' });
       telemetry.event('ScanCompleted', {}, { eventsRead: 1 });
       telemetry.metric('SsprFailures', 1);
       await telemetry.flush();
       const loaded = Object.keys(require.cache).some((file) => file.includes('node_modules/applicationinsights/') || file.includes('@opentelemetry'));
       return { kind: telemetry.constructor.name, loaded };`,
      {},
      { NODE_EXTRA_CA_CERTS: certificate.certPath, INGESTION_URL: ingestion.url },
    );
    expect(result).toMatchObject({ ok: true, value: { kind: 'NoTelemetry', loaded: false } });
  });

  test('when the ingestion endpoint cannot be reached, then flush() still resolves and nothing is thrown or printed', async () => {
    const result = await run(
      `const telemetry = createTelemetry(process.env, { offlineStorage: false }).withContext({ invocationId: 'x', tenantId: 'y' });
       telemetry.event('ScanFailed', { code: 'GRAPH.UNAVAILABLE' });
       telemetry.metric('GraphThrottled', 1);
       await telemetry.flush();
       await telemetry.shutdown();
       return 'resolved';`,
      {},
      telemetryEnv({
        APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=${IKEY};IngestionEndpoint=https://127.0.0.1:1/`,
      }),
    );
    expect(result).toMatchObject({ ok: true, value: 'resolved' });
    expect(result.stderr).toBe('');
  });
});

describe('fake ingestion endpoint', () => {
  function post(
    path: string,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<{ status: number; json: any }> {
    return new Promise((resolve, reject) => {
      const request = https.request(
        new URL(path, ingestion.url),
        { method: 'POST', ca: certificate.cert, headers },
        (response) => {
          let text = '';
          response.on('data', (chunk) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  test('when envelopes come gzipped and newline-delimited to /v2/track, then they are stored and all accepted', async () => {
    const marker = randomUUID();
    const lines = [1, 2, 3].map((n) =>
      JSON.stringify({
        name: 'Microsoft.ApplicationInsights.Event',
        time: new Date().toISOString(),
        data: { baseType: 'EventData', baseData: { name: marker, properties: { n: String(n) } } },
      }),
    );
    const reply = await post('/v2/track', gzipSync(lines.join('\n')), {
      'Content-Type': 'application/x-json-stream',
      'Content-Encoding': 'gzip',
    });
    expect(reply).toEqual({ status: 200, json: { itemsReceived: 3, itemsAccepted: 3, errors: [] } });
    const stored = await ingestion.waitFor((e) => e.data?.baseData?.name === marker, 3);
    expect(stored.map((e) => e.data!.baseData!.properties.n)).toEqual(['1', '2', '3']);
    expect(ingestion.log).toContainEqual({ kind: 'track', path: '/v2/track', items: 3, gzip: true });
  });

  test('when the body is not JSON, then it answers 400 and stores nothing', async () => {
    const before = ingestion.envelopes.length;
    const reply = await post('/v2.1/track', Buffer.from('not json'), { 'Content-Type': 'application/json' });
    expect(reply.status).toBe(400);
    expect(reply.json.itemsAccepted).toBe(0);
    expect(ingestion.envelopes).toHaveLength(before);
  });
});
