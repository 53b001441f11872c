import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SCAN_POISON_QUEUE, SCAN_QUEUE } from '../../src/core/scanMessage';
import { ROUTE_PREFIX } from '../../src/functions/http/routes';
import { BUNDLE, invokeBundle } from './bundleChild';
import { MAX_DEQUEUE_COUNT } from '../../src/usecases/queuedScan';

/**
 * The bundle as the Functions host indexes it: a stand-in worker core records every registration, so
 * these assertions are on the binding metadata the host would receive (outside the host,
 * @azure/functions would only print "skipping registration" warnings).
 */
const root = path.resolve(__dirname, '../..');
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const hostJson = JSON.parse(fs.readFileSync(path.join(root, 'host.json'), 'utf8'));

const HTTP = {
  startScan: { route: 'scans', methods: ['POST'] },
  scanStatus: { route: 'scans/{id}', methods: ['GET'] },
  listIncidents: { route: 'incidents', methods: ['GET'] },
  getIncident: { route: 'incidents/{id}', methods: ['GET'] },
  approveIncident: { route: 'incidents/{id}/approve', methods: ['POST'] },
  listTenants: { route: 'tenants', methods: ['GET'] },
  changeTenant: { route: 'tenants/{id}', methods: ['PUT', 'DELETE'] },
  checkTenant: { route: 'tenants/{id}/check', methods: ['GET'] },
  health: { route: 'health', methods: ['GET'] },
  unmatchedRoute: { route: '{*path}', methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] },
};

describe('the Functions bundle', () => {
  let bundleCopy: string;
  beforeAll(() => {
    // Outside the repository: no node_modules to fall back on, as in a deployment of dist/bundle alone.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sspr-bundle-'));
    for (const file of fs.readdirSync(path.dirname(BUNDLE)).filter((name) => name.endsWith('.js')))
      fs.copyFileSync(path.join(path.dirname(BUNDLE), file), path.join(dir, file));
    bundleCopy = path.join(dir, 'index.js');
  });
  afterAll(() => fs.rmSync(path.dirname(bundleCopy), { recursive: true, force: true }));

  test('when package.json is read, then "main" is the bundle and build still compiles the CLI', () => {
    expect(path.resolve(root, packageJson.main)).toBe(BUNDLE);
    expect(packageJson.scripts.build).toMatch(/^tsc -p tsconfig\.build\.json && npm run bundle$/);
    expect(packageJson.bin['sspr-remediator']).toBe('bin/sspr-remediator.js');
  });

  test('when the bundle loads with bad settings of several sections, then the start-up log names each, and the triggers still register', async () => {
    // An invocation keeps the stand-in worker alive past start-up, as the host does.
    const { registered, stderr, response } = await invokeBundle(
      'health',
      { kind: 'http', method: 'GET', path: '/api/health' },
      {
        TENANTS: 'contoso',
        SCAN_SCHEDULE: '0 */15 * * * *',
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        STATE_STORAGE: 'UseDevelopmentStorage=true',
        ACTION_MODE: 'ticket',
        TICKET_SYSTEM: 'jira',
        JIRA_BASE_URL: 'http://jira.example',
        APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=nope',
      },
      bundleCopy,
    );
    expect(registered.length).toBeGreaterThan(0);
    expect(stderr).toContain('CONFIG.INVALID at start-up');
    // Health names the same settings, from the same check.
    expect(response?.status).toBe(503);
    expect(response?.body).toContain('JIRA_EMAIL');
    for (const setting of [
      'TENANTS=',
      'JIRA_BASE_URL',
      'JIRA_EMAIL',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    ])
      expect(stderr).toContain(setting);
  });

  test('when the bundle is loaded alone, then every function registers with exactly its trigger', async () => {
    const { registered, stderr } = await invokeBundle(undefined, undefined, {}, bundleCopy);
    expect(stderr).not.toMatch(/Error|test mode/);
    const byName = Object.fromEntries(registered.map((fn) => [fn.name, Object.values(fn.bindings)]));
    expect(Object.keys(byName).sort()).toEqual(
      ['scanPoisoned', 'scheduledScan', 'tenantScan', ...Object.keys(HTTP)].sort(),
    );

    expect(byName.scheduledScan).toEqual([
      expect.objectContaining({
        type: 'timerTrigger',
        direction: 'in',
        schedule: '%SCAN_SCHEDULE%',
        runOnStartup: false,
      }),
    ]);
    expect(byName.tenantScan).toEqual([
      expect.objectContaining({
        type: 'queueTrigger',
        direction: 'in',
        queueName: SCAN_QUEUE,
        connection: 'AzureWebJobsStorage',
      }),
    ]);
    expect(byName.scanPoisoned).toEqual([
      expect.objectContaining({
        type: 'queueTrigger',
        direction: 'in',
        queueName: SCAN_POISON_QUEUE,
        connection: 'AzureWebJobsStorage',
      }),
    ]);
    for (const [name, { route, methods }] of Object.entries(HTTP)) {
      const trigger = byName[name].find((binding: any) => binding.type === 'httpTrigger');
      expect({ name, route: trigger.route, methods: trigger.methods, authLevel: trigger.authLevel }).toEqual({
        name,
        route,
        methods,
        authLevel: 'function',
      });
      expect(byName[name]).toContainEqual(expect.objectContaining({ type: 'http', direction: 'out' }));
    }
    // The host tries HTTP routes in the alphabetical order of function names (azure-functions-host#9876),
    // so the catch-all must sort last, or it would answer 404 for routes that exist.
    const httpNames = registered
      .filter((fn) => Object.values(fn.bindings).some((binding: any) => binding.type === 'httpTrigger'))
      .map((fn) => fn.name);
    expect([...httpNames].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })).at(-1)).toBe(
      'unmatchedRoute',
    );
  });

  test('when host.json is read, then the queue and route settings match what the code assumes', () => {
    expect(hostJson.extensions.http.routePrefix).toBe(ROUTE_PREFIX);
    expect(hostJson.extensions.queues).toMatchObject({
      maxDequeueCount: MAX_DEQUEUE_COUNT,
      messageEncoding: 'base64',
    });
    expect(hostJson.extensionBundle.id).toBe('Microsoft.Azure.Functions.ExtensionBundle');
  });

  test('when local.settings.example.json is read, then it names the schedule, the tenants and both storages', () => {
    const text = fs.readFileSync(path.join(root, 'local.settings.example.json'), 'utf8');
    // Core Tools reads // comments; strip whole-line comments to parse it here.
    const settings = JSON.parse(text.replace(/^\s*\/\/.*$/gm, '')).Values;
    expect(settings).toMatchObject({
      FUNCTIONS_WORKER_RUNTIME: 'node',
      SCAN_SCHEDULE: '0 */15 * * * *',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    });
    for (const name of [
      'TENANTS',
      'TENANT_ID',
      'STATE_STORAGE',
      'ACTION_MODE',
      'APPLICATIONINSIGHTS_CONNECTION_STRING',
    ])
      expect(settings).toHaveProperty(name);
  });
});
