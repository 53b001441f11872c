import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ARM_ENDPOINTS, GRAPH_ENVIRONMENTS } from '../../src/config/automation';
import { DEFAULT_SCAN_SCHEDULE } from '../../src/config/functionsSettings';
import { SCAN_POISON_QUEUE, SCAN_QUEUE } from '../../src/core/scanMessage';
import { CLOUDS } from '../../src/config/config';
import {
  allowedValues,
  moduleReferences,
  outputs,
  paramDefault,
  readBicep,
  stringLiteral,
  varObject,
  type BicepFile,
} from './lib/bicep';
import { scan } from './lib/source';
import avmFixture from './fixtures/avm-modules.json';
import {
  avmCallProblems,
  moduleParamProblems,
  moduleParamsPassed,
  outputUseProblems,
  parameterFileProblems,
  placeholderProblems,
  templateProblems,
  type AvmModule,
} from './lib/templates';

/**
 * What can be checked of the templates without a Bicep compiler (CI on GitHub runs `az bicep build`):
 * they parse as far as brackets and strings go, every file they name exists, registry modules are
 * pinned, parameters line up, and the values they share with the app are the app's.
 */
const ROOT = path.join(__dirname, '../..');
const INFRA = path.join(ROOT, 'infra');

function filesUnder(dir: string, ext: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full, ext) : entry.name.endsWith(ext) ? [full] : [];
  });
}

const bicepFiles = filesUnder(INFRA, '.bicep').map(readBicep);
const main = bicepFiles.find((b) => b.file === path.join(INFRA, 'main.bicep'))!;
const rel = (file: string) => path.relative(ROOT, file);

describe('templates: Bicep files', () => {
  test('when the infra folder is read, then there is a main template and one module per concern', () => {
    expect(bicepFiles.map((b) => rel(b.file)).sort()).toEqual([
      'infra/app/alerts.bicep',
      'infra/app/api.bicep',
      'infra/app/appsettings-write.bicep',
      'infra/app/appsettings.bicep',
      'infra/app/automation.bicep',
      'infra/app/fleet-app.bicep',
      'infra/app/fleet-identity.bicep',
      'infra/app/keyvault.bicep',
      'infra/app/monitoring.bicep',
      'infra/app/network.bicep',
      'infra/app/private-endpoints.bicep',
      'infra/app/rbac.bicep',
      'infra/app/storage.bicep',
      'infra/app/workbook.bicep',
      'infra/main.bicep',
    ]);
    expect(main.text).toMatch(/^targetScope = 'subscription'$/m);
  });

  test.each(bicepFiles.map((b) => [rel(b.file), b] as const))(
    'when %s is scanned, then brackets balance, strings close, local modules and loaded files exist, registry modules are pinned',
    (_name, bicep) => {
      expect(templateProblems(bicep, ROOT)).toEqual([]);
    },
  );

  test('when main.bicep calls its modules, then every required module parameter is passed and nothing unknown is', () => {
    expect(moduleParamsPassed(main, 'storage')).toEqual([
      'name',
      'location',
      'tags',
      'deploymentContainerName',
      'publicNetworkAccess',
    ]);
    for (const bicep of bicepFiles) expect(moduleParamProblems(bicep, ROOT, readBicep)).toEqual([]);
  });

  const avmModules = avmFixture.modules as Record<string, AvmModule>;

  test.each(bicepFiles.map((b) => [rel(b.file), b] as const))(
    'when %s calls modules, then it passes only parameters they declare (pinned AVM versions included), all they require, and reads only outputs they have',
    (_name, bicep) => {
      expect(avmCallProblems(bicep, ROOT, avmModules)).toEqual([]);
      expect(outputUseProblems(bicep, ROOT, readBicep, avmModules)).toEqual([]);
    },
  );

  test('when Bicep loads the workbook and the alert queries, then it fills in every __PLACEHOLDER__ they hold', () => {
    const readText = (file: string) => fs.readFileSync(file, 'utf8');
    for (const bicep of bicepFiles) expect(placeholderProblems(bicep, ROOT, readText)).toEqual([]);
    const alerts = bicepFiles.find((b) => b.file.endsWith('alerts.bicep'))!;
    const withNewPlaceholder = (file: string) =>
      readText(file) + (file.endsWith('scan-missing.kql') ? '\n// __NEW_THING__' : '');
    expect(placeholderProblems(alerts, ROOT, withNewPlaceholder)).toEqual([
      expect.stringMatching(
        /^infra\/app\/alerts\.bicep:\d+: \.\.\/alerts\/scan-missing\.kql has __NEW_THING__, which infra\/app\/alerts\.bicep never replaces\.$/,
      ),
    ]);
  });

  test('when a call passes a parameter the pinned AVM version does not have, or reads a missing output, then the check names it', () => {
    const api = bicepFiles.find((b) => b.file.endsWith('api.bicep'))!;
    // web/site 0.15.1 takes appSettingsKeyValuePairs; later versions moved app settings to `configs`.
    const broken = readBicepText(
      api.text
        .replace('httpsOnly: true', 'httpsOnly: true\n    configs: []')
        .replace('site.outputs.name', 'site.outputs.siteName'),
    );
    expect([
      ...avmCallProblems({ ...broken, file: api.file }, ROOT, avmModules),
      ...outputUseProblems({ ...broken, file: api.file }, ROOT, readBicep, avmModules),
    ]).toEqual([
      expect.stringMatching(
        /^infra\/app\/api\.bicep:\d+: avm\/res\/web\/site:0\.15\.1 has no parameter configs\.$/,
      ),
      'infra/app/api.bicep: site.outputs.siteName: br/public:avm/res/web/site:0.15.1 has no output siteName.',
    ]);
  });

  test('when the AVM modules are listed, then they are the pinned versions docs/DEPLOY.md names', () => {
    const pinned = [
      ...new Set(
        bicepFiles
          .flatMap(moduleReferences)
          .map((ref) => ref.source)
          .filter((source) => source.startsWith('br/public:')),
      ),
    ].sort();
    expect(
      Object.keys(avmModules)
        .map((id) => `br/public:${id}`)
        .sort(),
    ).toEqual(pinned);
    expect(pinned).toEqual([
      'br/public:avm/res/automation/automation-account:0.19.2',
      'br/public:avm/res/insights/action-group:0.8.0',
      'br/public:avm/res/insights/component:0.6.0',
      'br/public:avm/res/insights/scheduled-query-rule:0.6.0',
      'br/public:avm/res/key-vault/vault:0.13.3',
      'br/public:avm/res/operational-insights/workspace:0.11.1',
      'br/public:avm/res/storage/storage-account:0.8.3',
      'br/public:avm/res/web/serverfarm:0.1.1',
      'br/public:avm/res/web/site:0.15.1',
    ]);
    const doc = fs.readFileSync(path.join(ROOT, 'docs/DEPLOY.md'), 'utf8');
    for (const source of pinned) {
      const [, name, version] = /^br\/public:(avm\/[^:]+):(.+)$/.exec(source)!;
      expect(doc).toContain(`| \`${name}\` | ${version} |`);
    }
  });

  test('when the Function App is declared, then it is Flex Consumption, Linux, Node 22, system-assigned identity, identity-based deployment storage', () => {
    const api = bicepFiles.find((b) => b.file.endsWith('api.bicep'))!.text;
    expect(api).toMatch(/name: 'FC1'\s+tier: 'FlexConsumption'/);
    expect(api).toMatch(/kind: 'functionapp,linux'/);
    expect(api).toMatch(/runtime: \{\s+name: 'node'\s+version: '22'/);
    // System-assigned for everything; the user-assigned one only signs in to other tenants (issue 15).
    expect(api).toMatch(
      /managedIdentities: \{\s+systemAssigned: true\s+userAssignedResourceIds: \[\s+fleetIdentityResourceId\s+\]\s+\}/,
    );
    expect(api).toMatch(/type: 'SystemAssignedIdentity'/);
  });

  test('when storage and monitoring are declared, then there are no keys: shared keys off, local auth off by default', () => {
    const storage = bicepFiles.find((b) => b.file.endsWith('storage.bicep'))!.text;
    expect(storage).toMatch(/allowSharedKeyAccess: false/);
    expect(paramDefault(main, 'appInsightsDisableLocalAuth')).toBe('true');
    expect(bicepFiles.find((b) => b.file.endsWith('monitoring.bicep'))!.text).toMatch(
      /disableLocalAuth: disableLocalAuth/,
    );
    for (const b of bicepFiles) expect(b.text).not.toMatch(/listKeys\(|AccountKey=/);
  });

  test('when the storage is created, then its queues, tables and lease container are the ones the code uses', () => {
    const storage = bicepFiles.find((b) => b.file.endsWith('storage.bicep'))!.text;
    const names = [...storage.matchAll(/\{ name: '([^']+)' \}/g)].map((m) => m[1]);
    const tableStore = fs.readFileSync(path.join(ROOT, 'src/adapters/storage/tableStateStore.ts'), 'utf8');
    const tables = [...(/const TABLES = \{([^}]*)\}/.exec(tableStore)?.[1] ?? '').matchAll(/'([^']+)'/g)].map(
      (m) => m[1],
    );
    const scans = /export const SCANS_TABLE = '([^']+)'/.exec(
      fs.readFileSync(path.join(ROOT, 'src/adapters/storage/scanRequests.ts'), 'utf8'),
    )?.[1];
    const leases = /const CONTAINER = '([^']+)'/.exec(
      fs.readFileSync(path.join(ROOT, 'src/adapters/storage/tenantLease.ts'), 'utf8'),
    )?.[1];
    expect(tables).toHaveLength(4);
    expect(names).toEqual(expect.arrayContaining([...tables, scans, leases, SCAN_QUEUE, SCAN_POISON_QUEUE]));
  });
});

describe('templates: values shared with the app', () => {
  test("when main.bicep maps a cloud to endpoints, then Graph, login, Resource Manager and the runbook -Environment equal the app's", () => {
    const clouds = varObject(main, 'cloudEndpoints');
    expect(allowedValues(main, 'cloud').sort()).toEqual(Object.keys(CLOUDS).sort());
    expect([...clouds.entries.keys()].sort()).toEqual(Object.keys(CLOUDS).sort());
    for (const [cloud, value] of clouds.entries) {
      if (value.kind !== 'object') throw new Error(`${cloud} is not an object`);
      const name = cloud as keyof typeof CLOUDS;
      expect({
        graph: stringLiteral(value.entries.get('graph')),
        login: stringLiteral(value.entries.get('login')),
        arm: stringLiteral(value.entries.get('arm')),
        graphEnvironment: stringLiteral(value.entries.get('graphEnvironment')),
      }).toEqual({
        graph: CLOUDS[name].graph,
        login: CLOUDS[name].login,
        arm: ARM_ENDPOINTS[name],
        graphEnvironment: GRAPH_ENVIRONMENTS[name],
      });
    }
  });

  test('when a cloud endpoint in Bicep drifts from the app, then the comparison shows it', () => {
    const drifted = readBicepText(
      main.text.replace("graph: 'https://graph.microsoft.us'", "graph: 'https://graph.microsoft.com'"),
    );
    const usGov = varObject(drifted, 'cloudEndpoints').entries.get('AzureUSGovernment');
    expect(usGov?.kind === 'object' && stringLiteral(usGov.entries.get('graph'))).not.toBe(
      CLOUDS.AzureUSGovernment.graph,
    );
  });

  test("when the modes, methods and ticket systems are offered as parameters, then they are the app's", async () => {
    const { TICKET_SYSTEMS } = await import('../../src/config/config');
    const { ACTION_MODES } = await import('../../src/core/modes');
    expect(allowedValues(main, 'actionMode')).toEqual([...ACTION_MODES]);
    expect(paramDefault(main, 'actionMode')).toBe("'report'");
    expect(allowedValues(main, 'remediationMethod')).toEqual(['runbook', 'graph']);
    expect(allowedValues(main, 'ticketSystem')).toEqual(['', ...TICKET_SYSTEMS]);
  });

  test("when the default schedule is used, then it is the app's default and the alert interval matches it", () => {
    expect(paramDefault(main, 'scanSchedule')).toBe(`'${DEFAULT_SCAN_SCHEDULE}'`);
    const minutes = /^0 \*\/(\d+) \* \* \* \*$/.exec(DEFAULT_SCAN_SCHEDULE)?.[1];
    expect(paramDefault(main, 'scanIntervalMinutes')).toBe(minutes);
  });

  test("when resources are named, then the Automation account name passes the app's AUTOMATION_ACCOUNT rule", async () => {
    const { automationSettingsSchema } = await import('../../src/config/automation');
    const pattern = /^var automationAccountName = '([^']*)\$\{resourceToken\}'$/m.exec(main.text);
    expect(pattern).not.toBeNull();
    // uniqueString() gives 13 lower-case characters.
    const sample = `${pattern![1]}abcdefghij123`;
    expect(automationSettingsSchema.shape.AUTOMATION_ACCOUNT.safeParse(sample).success).toBe(true);
  });
});

function readBicepText(text: string): BicepFile {
  const { masked, problems } = scan(text, 'bicep');
  return { file: 'inline.bicep', text, masked, syntaxProblems: problems };
}

describe('templates: parameters, JSON and YAML', () => {
  const parameters = JSON.parse(fs.readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: unknown }>;
  };

  test('when main.parameters.json is read, then it parses, gives every required parameter and only declared ones, each an azd substitution', () => {
    expect(parameterFileProblems(main, parameters)).toEqual([]);
    expect(parameters.parameters.environmentName.value).toBe('${AZURE_ENV_NAME}');
    expect(parameters.parameters.location.value).toBe('${AZURE_LOCATION}');
  });

  test('when the parameter file drops a required parameter or names an unknown one, then the check says so', () => {
    const { location: _dropped, ...rest } = parameters.parameters;
    void _dropped;
    expect(parameterFileProblems(main, { parameters: { ...rest, vnetEnabled: { value: 'false' } } })).toEqual(
      [
        'main.parameters.json does not give location, which main.bicep requires.',
        'main.parameters.json gives vnetEnabled, which main.bicep does not declare.',
        'main.parameters.json: vnetEnabled is not an azd ${VARIABLE} substitution.',
      ],
    );
  });

  test('when the workbook and the permission manifest are read, then they are valid JSON of the expected shape', () => {
    const workbook = JSON.parse(fs.readFileSync(path.join(INFRA, 'workbook/sspr-workbook.json'), 'utf8'));
    expect(workbook.version).toBe('Notebook/1.0');
    expect(workbook.items.length).toBeGreaterThan(5);
    const manifest = JSON.parse(fs.readFileSync(path.join(INFRA, 'graph-permissions.json'), 'utf8'));
    expect(manifest.grants.length).toBeGreaterThan(0);
  });

  test('when the workbook placeholder is filled, then it is still valid JSON (Bicep replaces it in the string)', () => {
    const text = fs.readFileSync(path.join(INFRA, 'workbook/sspr-workbook.json'), 'utf8');
    expect(text).toContain('__SCAN_INTERVAL_MINUTES__');
    expect(() => JSON.parse(text.replace(/__SCAN_INTERVAL_MINUTES__/g, '15'))).not.toThrow();
  });

  test('when azure.yaml is read, then service api is the TypeScript function at the root and postprovision runs the hook script', () => {
    const azure = parseYaml(fs.readFileSync(path.join(ROOT, 'azure.yaml'), 'utf8'));
    expect(azure.services.api).toMatchObject({ project: '.', language: 'ts', host: 'function' });
    expect(azure.infra).toMatchObject({ provider: 'bicep', path: 'infra', module: 'main' });
    for (const os of ['posix', 'windows']) {
      const hook = azure.hooks.postprovision[os];
      expect(hook.run).toBe('./infra/scripts/postprovision.sh');
      expect(fs.existsSync(path.join(ROOT, hook.run))).toBe(true);
    }
    const postprovision = fs.readFileSync(path.join(ROOT, 'infra/scripts/postprovision.sh'), 'utf8');
    expect(postprovision).toMatch(/publish-runbook\.sh/);
    expect(postprovision).toMatch(/grant-graph-permissions\.sh/);
  });

  test('when the hook scripts run, then every variable they need is an azd environment value or a main.bicep output', () => {
    const available = new Set([...outputs(main), 'AZURE_SUBSCRIPTION_ID', 'AZURE_ENV_NAME']);
    const needed = ['publish-runbook.sh', 'grant-graph-permissions.sh'].flatMap((file) => {
      const text = fs.readFileSync(path.join(INFRA, 'scripts', file), 'utf8');
      return [...text.matchAll(/\$\{([A-Z][A-Z0-9_]+):[?-]/g)].map((m) => m[1]);
    });
    const optionalOverrides = [
      'RUNBOOK_FILE',
      'PUBLISH_TIMEOUT_SECONDS',
      'GRAPH_PERMISSIONS_FILE',
      'DRY_RUN',
      'FUNCTION_PRINCIPAL_ID',
      'RUNBOOK_PRINCIPAL_ID',
    ];
    for (const name of needed)
      expect([name, available.has(name) || optionalOverrides.includes(name)]).toEqual([name, true]);
    for (const name of [
      'FUNCTION_PRINCIPAL_ID',
      'RUNBOOK_PRINCIPAL_ID',
      'ACTION_MODE',
      'REMEDIATION_METHOD',
      'GRAPH_ENDPOINT',
      'AUTOMATION_ACCOUNT',
      'AUTOMATION_RUNBOOK',
      'AZURE_RESOURCE_GROUP',
    ]) {
      expect(available).toContain(name);
    }
  });

  test('when the workflows are read, then CI tests and builds the Bicep, and deploy signs in with OIDC and runs azd', () => {
    const ci = parseYaml(fs.readFileSync(path.join(ROOT, '.github/workflows/ci.yml'), 'utf8'));
    const ciSteps = JSON.stringify(ci.jobs);
    expect(ciSteps).toContain('npm ci');
    expect(ciSteps).toContain('npm test');
    expect(ciSteps).toContain('az bicep build');
    expect(ciSteps).toContain('az bicep lint');
    const deploy = parseYaml(fs.readFileSync(path.join(ROOT, '.github/workflows/deploy.yml'), 'utf8'));
    expect(deploy.permissions['id-token']).toBe('write');
    const steps = deploy.jobs.deploy.steps as Array<{
      uses?: string;
      run?: string;
      with?: Record<string, string>;
    }>;
    const login = steps.find((s) => s.uses?.startsWith('azure/login@'));
    expect(Object.keys(login?.with ?? {}).sort()).toEqual(['client-id', 'subscription-id', 'tenant-id']);
    const runs = steps.map((s) => s.run ?? '').join('\n');
    expect(runs).toMatch(/azd provision/);
    expect(runs).toMatch(/azd deploy/);
    expect(JSON.stringify(deploy)).not.toMatch(/client-secret|AZURE_CLIENT_SECRET/);
  });
});

describe('templates: the checks fail on broken copies', () => {
  test('when a brace is missing, a string is left open or a loaded file is gone, then the problems name file and line', () => {
    const alerts = bicepFiles.find((b) => b.file.endsWith('alerts.bicep'))!;
    const broken: BicepFile = readBicepText(
      alerts.text
        .replace(
          "loadTextContent('../alerts/incident-opened.kql')",
          "loadTextContent('../alerts/incident-opend.kql')",
        )
        .replace(/\n\}\n\nvar actionGroupIds/, '\n\nvar actionGroupIds'),
    );
    const problems = templateProblems({ ...broken, file: alerts.file }, ROOT);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^infra\/app\/alerts\.bicep: line \d+: '\{' is never closed$/),
        expect.stringMatching(
          /^infra\/app\/alerts\.bicep:\d+: loadTextContent\('\.\.\/alerts\/incident-opend\.kql'\) does not exist\.$/,
        ),
      ]),
    );
    expect(readBicepText("var a = 'open\nvar b = 1").syntaxProblems).toEqual([
      'line 1: string is not closed on its line',
    ]);
    expect(readBicepText("var a = '${b ? 'x' : 'y'}'\nvar c = { d: [ 1 ] }").syntaxProblems).toEqual([]);
  });

  test('when a registry module is not pinned or a local module is missing, then the problems say so', () => {
    const broken = readBicepText(
      "module a 'br/public:avm/res/web/site:latest' = {}\nmodule b 'app/nope.bicep' = {}\n",
    );
    expect(templateProblems({ ...broken, file: main.file }, ROOT)).toEqual([
      "infra/main.bicep:1: module a 'br/public:avm/res/web/site:latest' is not an AVM module pinned to a version.",
      "infra/main.bicep:2: module b 'app/nope.bicep' does not exist.",
    ]);
  });

  test('when main.bicep stops passing a required module parameter, then the module check names it', () => {
    const broken = readBicepText(
      main.text.replace(
        /\n {4}deploymentContainerName: deploymentContainerName\n(?= {4}publicNetworkAccess: publicNetworkAccess\n {2}\}\n\}\n)/,
        '\n',
      ),
    );
    expect(broken.text).not.toEqual(main.text);
    expect(moduleParamProblems({ ...broken, file: main.file }, ROOT, readBicep)).toEqual([
      'infra/main.bicep: module storage does not pass required param deploymentContainerName of app/storage.bicep.',
    ]);
  });
});
