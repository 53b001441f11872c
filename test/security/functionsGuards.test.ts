import { randomUUID } from 'node:crypto';
import '../functions/quietTestMode';
import { HttpRequest, InvocationContext } from '@azure/functions';
import { resetServices } from '../../src/composition';
import { health } from '../../src/functions/health';
import { invokeBundle } from '../functions/bundleChild';
import { useEmulatedWorld } from '../helpers/emulatedWorld';
import { functionsEnv } from '../helpers/scanQueue';

/** Issue 11, finding 6: the queue trigger and the health endpoint. */
const world = useEmulatedWorld();

describe('the scan queue', () => {
  test('when a message names a tenant that is not registered, then it is dropped with a warning, and that tenant is never read', async () => {
    const { emulator, tenantId } = await world.emulate('admin-policy-off');
    // Someone with write access to the queue names a tenant the operator did not configure.
    const env = functionsEnv(emulator, world.azurite.connectionString, randomUUID());
    const message = { tenantId, scanId: randomUUID(), requestedBy: 'http' };

    const invocation = await invokeBundle('tenantScan', { kind: 'queue', message, dequeueCount: 1 }, env);

    expect(invocation.error).toBeUndefined(); // not thrown: retrying cannot make it valid
    const logs = invocation.logs.map((line) => line.message).join('\n');
    expect(logs).toContain('SCAN.UNKNOWN_TENANT');
    expect(emulator.requests).toEqual([]); // no token asked, no Graph request
  });
});

describe('GET /api/health', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
    resetServices();
  });

  test('when a ticket, an Automation and the telemetry setting are wrong, then 503 names each of them and shows no value', async () => {
    Object.assign(process.env, {
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      STATE_STORAGE: 'UseDevelopmentStorage=true',
      TENANTS: randomUUID(),
      SCAN_SCHEDULE: '0 */15 * * * *',
      ACTION_MODE: 'remediate',
      TICKET_SYSTEM: 'webhook',
      TICKET_WEBHOOK_URL: 'http://tickets.example.invalid/hook',
      AUTOMATION_SUBSCRIPTION_ID: 'not-a-subscription',
      APPLICATIONINSIGHTS_CONNECTION_STRING:
        'InstrumentationKey=nope;IngestionEndpoint=http://insecure.example.invalid/',
    });
    resetServices();

    const response = await health(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/health' }),
      new InvocationContext({ invocationId: 'health-test' }),
    );

    expect(response.status).toBe(503);
    const body = response.jsonBody as any;
    expect(body.checks.config).toMatchObject({ ok: false, code: 'CONFIG.INVALID' });
    expect(body.checks.config.settings).toEqual(
      expect.arrayContaining([
        'TICKET_WEBHOOK_URL',
        'AUTOMATION_SUBSCRIPTION_ID',
        'APPLICATIONINSIGHTS_CONNECTION_STRING',
      ]),
    );
    const text = JSON.stringify(body);
    expect(text).not.toContain('tickets.example.invalid');
    expect(text).not.toContain('not-a-subscription');
    expect(text).not.toContain('nope');
  });
});
