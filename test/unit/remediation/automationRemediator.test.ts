import { AppError } from '../../../src/errors';
import {
  ARM_ENDPOINTS,
  AutomationRemediator,
  TERMINAL_JOB_STATUSES,
  jobNameFor,
  loadAutomationSettings,
  parseRunbookResult,
} from '../../../src/adapters/automation/automationRemediator';

const TENANT = '9bbca45b-976d-5c89-a2a7-251f5ab48799';
const INCIDENT = '5d0c2f6e-8b1a-5e4f-9a7c-3b2d1e0f4a6b';
const VALID = {
  AUTOMATION_SUBSCRIPTION_ID: '00000000-0000-4000-8000-00000000A001',
  AUTOMATION_RESOURCE_GROUP: 'rg-sspr',
  AUTOMATION_ACCOUNT: 'aa-sspr',
};

function settingsError(env: NodeJS.ProcessEnv): AppError {
  try {
    loadAutomationSettings(env, 'AzurePublic');
  } catch (err) {
    return err as AppError;
  }
  throw new Error('expected loadAutomationSettings to throw');
}

describe('jobNameFor', () => {
  test('when called again for the same incident, then the name is the same UUID, whatever the GUID casing', () => {
    const name = jobNameFor(TENANT, INCIDENT);
    expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jobNameFor(TENANT.toUpperCase(), INCIDENT.toUpperCase())).toBe(name);
  });

  test('when the tenant or the incident differs, then the name differs', () => {
    const names = new Set([
      jobNameFor(TENANT, INCIDENT),
      jobNameFor(TENANT, INCIDENT.replace('5d0c', '5d0d')),
      jobNameFor(INCIDENT, TENANT),
    ]);
    expect(names.size).toBe(3);
  });
});

describe('parseRunbookResult', () => {
  test('when the output ends with the JSON line (CRLF, log lines before), then that line is the result', () => {
    const output =
      'Connected to Microsoft Graph (Global).\r\nallowedToUseSSPR is False; switching it on.\r\n{"incidentId":"i-1","allowedToUseSSPR":true,"method":"Graph"}\r\n';
    expect(parseRunbookResult(output)).toEqual({
      incidentId: 'i-1',
      allowedToUseSSPR: true,
      method: 'Graph',
    });
  });

  test('when several JSON lines were written, then the last valid one wins and other JSON is skipped', () => {
    const output = [
      '{"incidentId":"old","allowedToUseSSPR":false,"method":"Graph"}',
      '{"incidentId":"i-1","allowedToUseSSPR":null,"method":"Msol"}',
      '{"note":"not a result"}',
      '{ broken',
    ].join('\n');
    expect(parseRunbookResult(output)).toEqual({ incidentId: 'i-1', allowedToUseSSPR: null, method: 'Msol' });
  });

  test('when there is no result line, then the result is null', () => {
    expect(parseRunbookResult('')).toBeNull();
    expect(parseRunbookResult('Connected.\nUpdate-MgPolicyAuthorizationPolicy: Forbidden\n')).toBeNull();
    expect(parseRunbookResult('{"incidentId":"i-1","allowedToUseSSPR":"true","method":"Graph"}')).toBeNull();
  });
});

describe('terminal statuses', () => {
  test('when Automation reports an in-between or unknown status, then it is not terminal', () => {
    for (const status of [
      'New',
      'Activating',
      'Running',
      'Blocked',
      'Disconnected',
      'Suspending',
      'Stopping',
      'Resuming',
      'Removing',
      'SomethingNew',
    ]) {
      expect(TERMINAL_JOB_STATUSES.has(status)).toBe(false);
    }
    expect([...TERMINAL_JOB_STATUSES].sort()).toEqual(['Completed', 'Failed', 'Stopped', 'Suspended']);
  });
});

describe('loadAutomationSettings', () => {
  test("when only the account is named, then the runbook and the cloud's Resource Manager are the defaults", () => {
    expect(loadAutomationSettings(VALID, 'AzurePublic')).toEqual({
      subscriptionId: '00000000-0000-4000-8000-00000000a001',
      resourceGroup: 'rg-sspr',
      account: 'aa-sspr',
      runbook: 'Enable-AdminSspr',
      armEndpoint: 'https://management.azure.com',
      armAudience: 'https://management.azure.com',
      graphEnvironment: 'Global',
    });
    expect(loadAutomationSettings(VALID, 'AzureUSGovernmentDoD')).toMatchObject({
      armEndpoint: ARM_ENDPOINTS.AzureUSGovernmentDoD,
      graphEnvironment: 'USGovDoD',
    });
    expect(loadAutomationSettings(VALID, 'AzureChina')).toMatchObject({
      armEndpoint: 'https://management.chinacloudapi.cn',
      graphEnvironment: 'China',
    });
  });

  test('when ARM_ENDPOINT is given with a trailing slash, then it overrides the cloud default without it', () => {
    expect(
      loadAutomationSettings({ ...VALID, ARM_ENDPOINT: 'https://127.0.0.1:8444/' }, 'AzureUSGovernment'),
    ).toMatchObject({
      armEndpoint: 'https://127.0.0.1:8444',
      // Where requests go changes; the audience tokens are asked for stays the cloud's Resource Manager.
      armAudience: 'https://management.usgovcloudapi.net',
      graphEnvironment: 'USGov',
    });
  });

  test('when settings are missing or wrong, then one CONFIG.INVALID names each variable, its value and the fix', () => {
    const error = settingsError({
      AUTOMATION_SUBSCRIPTION_ID: 'my-sub',
      AUTOMATION_ACCOUNT: 'aa',
      ARM_ENDPOINT: 'http://management.azure.com',
    });
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('CONFIG.INVALID');
    expect(error.message).toContain(
      'AUTOMATION_SUBSCRIPTION_ID="my-sub": AUTOMATION_SUBSCRIPTION_ID must be a subscription id',
    );
    expect(error.message).toContain('AUTOMATION_RESOURCE_GROUP="": AUTOMATION_RESOURCE_GROUP is not set');
    expect(error.message).toContain(
      'AUTOMATION_ACCOUNT="aa": AUTOMATION_ACCOUNT must be an Automation account name',
    );
    expect(error.message).toContain(
      'ARM_ENDPOINT="http://management.azure.com": ARM_ENDPOINT must be an absolute https:// URL',
    );
  });

  test('when a resource group ends with a dot or a runbook name has a space, then they are refused', () => {
    expect(settingsError({ ...VALID, AUTOMATION_RESOURCE_GROUP: 'rg.' }).message).toContain(
      'AUTOMATION_RESOURCE_GROUP="rg."',
    );
    expect(settingsError({ ...VALID, AUTOMATION_RUNBOOK: 'Enable Admin' }).message).toContain(
      'AUTOMATION_RUNBOOK="Enable Admin"',
    );
  });
});

describe('AutomationRemediator without a token', () => {
  test('when no credential is available, then start is AUTH.NO_TOKEN before anything is sent', async () => {
    const unavailable = {
      getToken: async () => {
        const error = new Error('ManagedIdentityCredential: no managed identity endpoint found.');
        error.name = 'CredentialUnavailableError';
        throw error;
      },
    };
    const remediator = new AutomationRemediator(
      unavailable,
      loadAutomationSettings({ ...VALID, ARM_ENDPOINT: 'https://127.0.0.1:1' }, 'AzurePublic'),
    );
    await expect(remediator.start(TENANT, INCIDENT)).rejects.toMatchObject({
      code: 'AUTH.NO_TOKEN',
      message: expect.stringContaining('az login'),
    });
  });
});
