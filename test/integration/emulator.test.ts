import { createHash, createPrivateKey, randomUUID, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import {
  fleetScenarios,
  listScenarios,
  loadScenario,
  startEmulator,
  type RunningEmulator,
  type Scenario,
} from '../../emulator';
import { SignJWT } from 'jose';
import { generate } from 'selfsigned';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

function read(response: http.IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('error', reject);
    response.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ status: response.statusCode ?? 0, headers: response.headers, text, json });
    });
  });
}

/** Real TLS with the emulator's certificate as the only trusted CA, like NODE_EXTRA_CA_CERTS gives a client. */
function graph(
  emulator: RunningEmulator,
  pathOrUrl: string,
  options: { method?: string; token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const url = new URL(pathOrUrl, emulator.graphUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (payload) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      { method: options.method ?? 'GET', headers, ca: fs.readFileSync(emulator.caCertPath), agent: false },
      (response) => void read(response).then(resolve, reject),
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** A form POST to the emulated sign-in endpoint, as msal-node sends a client-credentials request. */
function post(emulator: RunningEmulator, path: string, form: Record<string, string>): Promise<Answer> {
  const body = new URLSearchParams(form).toString();
  return new Promise((resolve, reject) => {
    const request = https.request(
      new URL(path, emulator.loginUrl),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ca: fs.readFileSync(emulator.caCertPath),
        agent: false,
      },
      (response) => void read(response).then(resolve, reject),
    );
    request.on('error', reject);
    request.end(body);
  });
}

function tokenRequest(emulator: RunningEmulator, query: string, identityHeader?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = identityHeader ? { 'X-IDENTITY-HEADER': identityHeader } : {};
    http
      .get(
        `${emulator.tokenEndpoint}?${query}`,
        { headers, agent: false },
        (response) => void read(response).then(resolve, reject),
      )
      .on('error', reject);
  });
}

async function issueToken(emulator: RunningEmulator): Promise<string> {
  const answer = await tokenRequest(
    emulator,
    'resource=https%3A%2F%2Fgraph.microsoft.com&api-version=2019-08-01',
    emulator.identityHeader,
  );
  return answer.json.access_token;
}

async function readAllPages(emulator: RunningEmulator, token: string, firstPath: string): Promise<any[]> {
  const events: any[] = [];
  let next: string | undefined = firstPath;
  while (next) {
    const page = await graph(emulator, next, { token });
    expect(page.status).toBe(200);
    events.push(...page.json.value);
    next = page.json['@odata.nextLink'];
  }
  return events;
}

const SSPR_FILTER = "loggedByService eq 'Self-service Password Management'";
const audits = (filter: string, extra = '') =>
  `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}${extra}`;

function withOverrides(name: string, overrides: Partial<Scenario>): Scenario {
  return { ...loadScenario(name), ...overrides };
}

describe('tenant emulator', () => {
  const running: RunningEmulator[] = [];
  const start = async (scenario: Scenario | string, now?: Date) => {
    const emulator = await startEmulator({ scenario, now });
    running.push(emulator);
    return emulator;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((emulator) => emulator.stop()));
  });

  describe('scenario files', () => {
    it.each(listScenarios())(
      'when scenario %s is loaded, then it validates and its name matches its file',
      (name) => {
        const scenario = loadScenario(name);
        expect(scenario.name).toBe(name);
        expect(scenario.description.length).toBeGreaterThan(10);
      },
    );

    it('when every scenario is listed, then the fourteen shipped ones are there with distinct tenants', () => {
      const names = listScenarios();
      expect(names.length).toBeGreaterThanOrEqual(14);
      const tenants = new Set(names.map((name) => loadScenario(name).tenantId));
      expect(tenants.size).toBe(names.length);
    });

    it('when a scenario file has a bad field, then the error names the file and the field', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scenario-test-'));
      const file = path.join(dir, 'broken.json');
      fs.writeFileSync(file, JSON.stringify({ ...loadScenario('demo'), policy: 'maybe', extra: 1 }));
      try {
        expect(() => loadScenario(file)).toThrow(file);
        expect(() => loadScenario(file)).toThrow(/policy/);
        expect(() => loadScenario(file)).toThrow(/extra/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('managed identity endpoint', () => {
    it('when the identity header is sent, then a bearer token carrying the marker is issued', async () => {
      const emulator = await start('demo');
      const answer = await tokenRequest(
        emulator,
        'resource=https%3A%2F%2Fgraph.microsoft.com&api-version=2019-08-01',
        emulator.identityHeader,
      );
      expect(answer.status).toBe(200);
      expect(answer.json.access_token).toContain(emulator.tokenMarker);
      expect(answer.json.token_type).toBe('Bearer');
      expect(answer.json.resource).toBe('https://graph.microsoft.com');
      expect(Number(answer.json.expires_on)).toBeGreaterThan(Date.now() / 1000 + 3000);
      expect(typeof answer.json.expires_on).toBe('string');
    });

    it('when the identity header is missing or wrong, then it answers 401 like App Service', async () => {
      const emulator = await start('demo');
      for (const header of [undefined, 'wrong']) {
        const answer = await tokenRequest(emulator, 'resource=x&api-version=2019-08-01', header);
        expect(answer.status).toBe(401);
        expect(answer.json.statusCode).toBe(401);
        expect(answer.text).not.toContain(emulator.tokenMarker);
      }
    });

    it('when the resource is missing, then it answers 400', async () => {
      const emulator = await start('demo');
      const answer = await tokenRequest(emulator, 'api-version=2019-08-01', emulator.identityHeader);
      expect(answer.status).toBe(400);
    });

    it('when @azure/identity asks for a token through IDENTITY_ENDPOINT, then it gets one', async () => {
      const emulator = await start('demo');
      const saved = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
      process.env.IDENTITY_ENDPOINT = emulator.tokenEndpoint;
      process.env.IDENTITY_HEADER = emulator.identityHeader;
      try {
        const { ManagedIdentityCredential } = await import('@azure/identity');
        const token = await new ManagedIdentityCredential().getToken('https://graph.microsoft.com/.default');
        expect(token.token).toContain(emulator.tokenMarker);
        const answer = await graph(emulator, '/v1.0/policies/authorizationPolicy', { token: token.token });
        expect(answer.status).toBe(200);
      } finally {
        process.env.IDENTITY_ENDPOINT = saved.endpoint;
        process.env.IDENTITY_HEADER = saved.header;
        if (saved.endpoint === undefined) delete process.env.IDENTITY_ENDPOINT;
        if (saved.header === undefined) delete process.env.IDENTITY_HEADER;
      }
    });
  });

  describe('authentication and envelope', () => {
    it('when no bearer token is sent, then Graph answers 401 InvalidAuthenticationToken with its error envelope', async () => {
      const emulator = await start('demo');
      const answer = await graph(emulator, audits(SSPR_FILTER), {
        headers: { 'client-request-id': 'abc-123' },
      });
      expect(answer.status).toBe(401);
      expect(answer.json.error.code).toBe('InvalidAuthenticationToken');
      expect(answer.json.error.innerError['client-request-id']).toBe('abc-123');
      expect(answer.json.error.innerError['request-id']).toBe(answer.headers['request-id']);
      expect(answer.json.error.innerError.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(answer.headers['client-request-id']).toBe('abc-123');
    });

    it('when a token the emulator never issued is sent, then Graph answers 401', async () => {
      const emulator = await start('demo');
      const answer = await graph(emulator, audits(SSPR_FILTER), { token: `${emulator.tokenMarker}forged` });
      expect(answer.status).toBe(401);
    });

    it('when an authorised request succeeds, then it carries Graph content type and request ids', async () => {
      const emulator = await start('demo');
      const answer = await graph(emulator, audits(SSPR_FILTER), { token: await issueToken(emulator) });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe(
        'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
      );
      expect(answer.headers['request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(answer.headers['client-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('when an unknown segment is requested, then Graph answers 400 naming the segment', async () => {
      const emulator = await start('demo');
      const answer = await graph(emulator, '/v1.0/auditLogs/nothingHere', {
        token: await issueToken(emulator),
      });
      expect(answer.status).toBe(400);
      expect(answer.json.error.message).toBe("Resource not found for the segment 'nothingHere'.");
    });
  });

  describe('directory audits', () => {
    it('when nextLinks are followed to the end, then every visible event comes once, newest first', async () => {
      const scenario = withOverrides('busy-tenant', { pageSize: 700, throttle: { requestsPer10s: 0 } });
      const emulator = await start(scenario);
      const token = await issueToken(emulator);
      const first = await graph(emulator, audits(SSPR_FILTER), { token });
      expect(first.json['@odata.context']).toBe(
        `${emulator.graphUrl}/v1.0/$metadata#auditLogs/directoryAudits`,
      );
      expect(first.json.value).toHaveLength(700);
      expect(first.json['@odata.nextLink']).toMatch(
        new RegExp(
          `^${emulator.graphUrl.replace(/\./g, '\\.')}/v1\\.0/auditLogs/directoryAudits\\?\\$filter=loggedByService%20eq%20.*&\\$skiptoken=`,
        ),
      );

      const events = await readAllPages(emulator, token, audits(SSPR_FILTER));
      expect(events).toHaveLength(5000 + (scenario.events ?? []).length);
      expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
      const times = events.map((event) => Date.parse(event.activityDateTime));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(events[0].activityDateTime).toMatch(/\.\d{7}Z$/);
      const failures = events.filter(
        (event) =>
          event.activityDisplayName === 'Reset password (self-service)' && event.result === 'failure',
      );
      expect(failures).toHaveLength(23);
    });

    it('when $top is smaller than the page size, then pages hold $top events and nextLink keeps it', async () => {
      const emulator = await start(withOverrides('demo', { throttle: { requestsPer10s: 0 } }));
      const token = await issueToken(emulator);
      const answer = await graph(emulator, audits(SSPR_FILTER, '&$top=50'), { token });
      expect(answer.json.value).toHaveLength(50);
      expect(answer.json['@odata.nextLink']).toContain('$top=50');
      const all = await readAllPages(emulator, token, audits(SSPR_FILTER, '&$top=50'));
      expect(all).toHaveLength(206);
    });

    it('when the filter bounds activityDateTime, then only events inside the window come back', async () => {
      const now = new Date('2026-03-01T12:00:00Z');
      const emulator = await start('demo', now);
      const token = await issueToken(emulator);
      const filter = `${SSPR_FILTER} and activityDateTime ge 2026-03-01T11:20:00Z and activityDateTime le 2026-03-01T11:50:00.0000000Z`;
      const events = await readAllPages(emulator, token, audits(filter));
      // Demo events at -26m, -25m, -18m, -17m fall inside; -43m, -42m and all noise (before -1h) do not.
      expect(events.map((event) => event.resultReason)).toEqual([
        'Password reset has been disabled entirely for this tenant.',
        'User started the password reset flow',
        "User's account has insufficient authentication methods defined. Add authentication info to resolve this",
        'User started the password reset flow',
      ]);
      expect(events[0].initiatedBy.user.userPrincipalName).toBe('ben.walters@contoso.com');
      expect(events[0].targetResources[0]).toMatchObject({
        type: 'User',
        userPrincipalName: 'ben.walters@contoso.com',
      });
    });

    it('when the filter names result or category, then Graph answers 400 Invalid filter clause', async () => {
      const emulator = await start('demo');
      const token = await issueToken(emulator);
      for (const filter of [
        `${SSPR_FILTER} and result eq 'failure'`,
        "category eq 'UserManagement'",
        'activityDateTime ge yesterday',
      ]) {
        const answer = await graph(emulator, audits(filter), { token });
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe('BadRequest');
        expect(answer.json.error.message).toContain('Invalid filter clause');
      }
    });

    it('when the policy change activity is asked for, then the change comes with who made it and old and new values', async () => {
      const emulator = await start('propagating');
      const token = await issueToken(emulator);
      const events = await readAllPages(
        emulator,
        token,
        audits("activityDisplayName eq 'Update authorization policy'"),
      );
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        category: 'Policy',
        loggedByService: 'Core Directory',
        result: 'success',
      });
      expect(events[0].initiatedBy.user.userPrincipalName).toBe('nestor.wilke@litware.com');
      expect(events[0].targetResources[0].modifiedProperties).toEqual([
        { displayName: 'AllowedToUseSspr', oldValue: '[false]', newValue: '[true]' },
      ]);
    });

    it('when more than the allowed requests arrive within 10 s, then Graph answers 429 with Retry-After', async () => {
      const emulator = await start(withOverrides('admin-policy-off', { throttle: { requestsPer10s: 2 } }));
      const token = await issueToken(emulator);
      expect((await graph(emulator, audits(SSPR_FILTER), { token })).status).toBe(200);
      expect((await graph(emulator, audits(SSPR_FILTER), { token })).status).toBe(200);
      const throttled = await graph(emulator, audits(SSPR_FILTER), { token });
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // The sample response of Microsoft's "Microsoft Graph throttling guidance".
      expect(throttled.json.error).toMatchObject({
        code: 'TooManyRequests',
        message: 'Please retry again later.',
        innerError: { code: '429', status: '429', message: 'Please retry after' },
      });
      expect(throttled.json.error.innerError['request-id']).toEqual(expect.any(String));
      expect((await graph(emulator, '/v1.0/policies/authorizationPolicy', { token })).status).toBe(200);
    });

    it('when late events are released, then they appear in the next read', async () => {
      const emulator = await start('late-events');
      const token = await issueToken(emulator);
      const before = await readAllPages(emulator, token, audits(SSPR_FILTER));
      emulator.releaseLateEvents();
      const after = await readAllPages(emulator, token, audits(SSPR_FILTER));
      expect(before).toHaveLength(1);
      expect(after).toHaveLength(2);
      expect(after[0].targetResources[0].userPrincipalName).toBe('ben.walters@trey.com');
    });

    it('when anonymous and unattributed events are read, then they carry the all-zero id or a null user', async () => {
      const emulator = await start('anonymous-noise');
      const events = await readAllPages(emulator, await issueToken(emulator), audits(SSPR_FILTER));
      const cancellations = events.filter((event) => event.resultReason === 'User cancelled the flow');
      expect(cancellations.map((event) => event.initiatedBy.user?.id ?? null).sort()).toEqual([
        '00000000-0000-0000-0000-000000000000',
        '00000000-0000-0000-0000-000000000000',
        null,
      ]);
      expect(cancellations.every((event) => event.targetResources.length === 0)).toBe(true);
    });
  });

  describe('policy', () => {
    it('when v1.0 and beta are read, then v1.0 answers the object and beta a collection', async () => {
      const emulator = await start('demo');
      const token = await issueToken(emulator);
      const v1 = await graph(emulator, '/v1.0/policies/authorizationPolicy', { token });
      expect(v1.json).toMatchObject({
        '@odata.context': `${emulator.graphUrl}/v1.0/$metadata#policies/authorizationPolicy/$entity`,
        id: 'authorizationPolicy',
        allowedToUseSSPR: false,
      });
      const beta = await graph(emulator, '/beta/policies/authorizationPolicy', { token });
      expect(beta.json.value).toHaveLength(1);
      expect(beta.json.value[0].allowedToUseSSPR).toBe(false);
    });

    it('when the property is absent, then allowedToUseSSPR is missing from the object', async () => {
      const emulator = await start('policy-absent');
      const answer = await graph(emulator, '/v1.0/policies/authorizationPolicy', {
        token: await issueToken(emulator),
      });
      expect(answer.status).toBe(200);
      expect('allowedToUseSSPR' in answer.json).toBe(false);
    });

    it('when reading the policy is forbidden, then Graph answers 403 Authorization_RequestDenied', async () => {
      const emulator = await start('policy-forbidden');
      const answer = await graph(emulator, '/v1.0/policies/authorizationPolicy', {
        token: await issueToken(emulator),
      });
      expect(answer.status).toBe(403);
      expect(answer.json.error).toMatchObject({
        code: 'Authorization_RequestDenied',
        message: 'Insufficient privileges to complete the operation.',
      });
      expect(Object.keys(answer.json.error.innerError).sort()).toEqual([
        'client-request-id',
        'date',
        'request-id',
      ]);
    });

    it('when the policy is patched, then it answers 204, the value changes and an audit record is written', async () => {
      const emulator = await start('admin-policy-off');
      const token = await issueToken(emulator);
      const patch = await graph(emulator, '/v1.0/policies/authorizationPolicy', {
        method: 'PATCH',
        token,
        body: { allowedToUseSSPR: true },
      });
      expect(patch.status).toBe(204);
      const read = await graph(emulator, '/v1.0/policies/authorizationPolicy', { token });
      expect(read.json.allowedToUseSSPR).toBe(true);
      const changes = await readAllPages(
        emulator,
        token,
        audits("activityDisplayName eq 'Update authorization policy'"),
      );
      expect(changes).toHaveLength(1);
      expect(changes[0].initiatedBy.app.displayName).toBe('sspr-remediator');
      emulator.setPolicy('error');
      expect((await graph(emulator, '/v1.0/policies/authorizationPolicy', { token })).json.error.code).toBe(
        'generalException',
      );
    });
  });

  describe('users and roles', () => {
    it('when a user is read with $select, then only the selected properties come back', async () => {
      const emulator = await start('demo');
      const token = await issueToken(emulator);
      const id = loadScenario('demo').users[0].id;
      const answer = await graph(
        emulator,
        `/v1.0/users/${id}?$select=id,userPrincipalName,onPremisesSyncEnabled,onPremisesImmutableId`,
        { token },
      );
      expect(Object.keys(answer.json).sort()).toEqual(
        [
          '@odata.context',
          'id',
          'onPremisesImmutableId',
          'onPremisesSyncEnabled',
          'userPrincipalName',
        ].sort(),
      );
      expect(answer.json.onPremisesSyncEnabled).toBe(true);
      expect(answer.json.onPremisesImmutableId).toMatch(/^[A-Za-z0-9+/]+=*$/);
    });

    it('when a user is read without $select, then on-premises properties are left out as Graph does', async () => {
      const emulator = await start('demo');
      const id = loadScenario('demo').users[0].id;
      const answer = await graph(emulator, `/v1.0/users/${id}`, { token: await issueToken(emulator) });
      expect(answer.json).toMatchObject({
        id,
        userPrincipalName: 'adele.vance@contoso.com',
        displayName: 'Adele Vance',
      });
      expect('onPremisesSyncEnabled' in answer.json).toBe(false);
    });

    it('when an unknown user is read, then Graph answers 404 Request_ResourceNotFound', async () => {
      const emulator = await start('user-deleted');
      const id = '11111111-2222-4333-8444-555555555555';
      const answer = await graph(emulator, `/v1.0/users/${id}`, { token: await issueToken(emulator) });
      expect(answer.status).toBe(404);
      expect(answer.json.error.message).toBe(
        `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
      );
    });

    it('when a role comes through a group, then roleAssignments shows nothing and transitiveMemberOf shows the role', async () => {
      const emulator = await start('admin-via-group');
      const token = await issueToken(emulator);
      const scenario = loadScenario('admin-via-group');
      const userId = scenario.users[0].id;
      const direct = await graph(
        emulator,
        `/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${userId}'`)}`,
        { token },
      );
      expect(direct.json.value).toEqual([]);
      const viaGroup = await graph(
        emulator,
        `/v1.0/roleManagement/directory/roleAssignments?$filter=${encodeURIComponent(`principalId eq '${scenario.groups[0].id}'`)}`,
        { token },
      );
      expect(viaGroup.json.value).toEqual([
        expect.objectContaining({
          principalId: scenario.groups[0].id,
          directoryScopeId: '/',
          roleDefinitionId: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
        }),
      ]);
      const transitive = await graph(
        emulator,
        `/v1.0/users/${userId}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=id,displayName,roleTemplateId`,
        { token, headers: { ConsistencyLevel: 'eventual' } },
      );
      expect(transitive.json['@odata.count']).toBe(1);
      expect(transitive.json.value).toEqual([
        {
          '@odata.type': '#microsoft.graph.directoryRole',
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          displayName: 'Helpdesk Administrator',
          roleTemplateId: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
        },
      ]);
    });

    it('when roleAssignments is asked without a principal filter, then it answers 400', async () => {
      const emulator = await start('demo');
      const answer = await graph(emulator, '/v1.0/roleManagement/directory/roleAssignments', {
        token: await issueToken(emulator),
      });
      expect(answer.status).toBe(400);
    });
  });

  describe('$batch', () => {
    it('when more than 20 requests are batched, then Graph rejects the batch with 400', async () => {
      const emulator = await start('demo');
      const requests = Array.from({ length: 21 }, (_, index) => ({
        id: String(index + 1),
        method: 'GET',
        url: '/policies/authorizationPolicy',
      }));
      const answer = await graph(emulator, '/v1.0/$batch', {
        method: 'POST',
        token: await issueToken(emulator),
        body: { requests },
      });
      expect(answer.status).toBe(400);
      expect(answer.json.error.message).toBe('Too many requests in a batch. Maximum allowed is 20.');
    });

    it('when ids repeat in any case, then Graph rejects the batch with 400', async () => {
      const emulator = await start('demo');
      const requests = [
        { id: 'a', method: 'GET', url: '/policies/authorizationPolicy' },
        { id: 'A', method: 'GET', url: '/policies/authorizationPolicy' },
      ];
      const answer = await graph(emulator, '/v1.0/$batch', {
        method: 'POST',
        token: await issueToken(emulator),
        body: { requests },
      });
      expect(answer.status).toBe(400);
      expect(answer.json.error).toMatchObject({
        code: 'BadRequest',
        message: 'Request Id A has to be unique in a batch.',
      });
    });

    it('when items are batched, then each is answered on its own, out of order, and logged as a batch item', async () => {
      const emulator = await start('demo');
      const users = loadScenario('demo').users;
      const requests = [
        ...users.map((user, index) => ({
          id: String(index + 1),
          method: 'GET',
          url: `/users/${user.id}?$select=id,onPremisesSyncEnabled`,
        })),
        { id: 'missing', method: 'GET', url: '/users/11111111-2222-4333-8444-555555555555' },
      ];
      const answer = await graph(emulator, '/v1.0/$batch', {
        method: 'POST',
        token: await issueToken(emulator),
        body: { requests },
      });
      expect(answer.status).toBe(200);
      const ids = answer.json.responses.map((response: any) => response.id);
      expect([...ids].sort()).toEqual(requests.map((request) => request.id).sort());
      expect(ids).not.toEqual(requests.map((request) => request.id));
      const byId = new Map<string, any>(
        answer.json.responses.map((response: any) => [response.id, response]),
      );
      expect(byId.get('1').status).toBe(200);
      expect(byId.get('1').body.id).toBe(users[0].id);
      expect(byId.get('missing').status).toBe(404);
      expect(byId.get('missing').body.error.code).toBe('Request_ResourceNotFound');
      expect(emulator.requests.filter((entry) => entry.batchItem)).toHaveLength(requests.length);
      expect(emulator.requests.find((entry) => entry.path === '/v1.0/$batch')?.status).toBe(200);
    });
  });

  describe('roles over time (PIM, role history, role definitions, registration)', () => {
    const audits = (filter: string) =>
      `/v1.0/auditLogs/directoryAudits?$filter=${encodeURIComponent(filter)}`;

    it('when an activation expired before now, then the log holds PIM’s and Core Directory’s records of it and the role is no longer assigned', async () => {
      const emulator = await start('pim-activation-expired');
      const userId = loadScenario('pim-activation-expired').users[0].id;
      const token = await issueToken(emulator);
      const added = await graph(emulator, audits("startswith(activityDisplayName,'Add member to role')"), {
        token,
      });
      const removed = await graph(
        emulator,
        audits("startswith(activityDisplayName,'Remove member from role')"),
        {
          token,
        },
      );
      expect(added.json.value.map((e: any) => [e.loggedByService, e.activityDisplayName]).sort()).toEqual([
        ['Core Directory', 'Add member to role'],
        ['PIM', 'Add member to role completed (PIM activation)'],
        ['PIM', 'Add member to role requested (PIM activation)'],
      ]);
      expect(removed.json.value.map((e: any) => e.activityDisplayName).sort()).toEqual([
        'Remove member from role',
        'Remove member from role (PIM activation expired)',
      ]);
      // Core Directory: the template id only in the user's modifiedProperties; the Role target is the role object.
      const core = added.json.value.find((e: any) => e.loggedByService === 'Core Directory');
      const user = core.targetResources.find((t: any) => t.type === 'User');
      expect(user.modifiedProperties.find((p: any) => p.displayName === 'Role.TemplateId').newValue).toBe(
        '"62e90394-69f5-4237-9190-012177145e10"',
      );
      expect(core.targetResources.find((t: any) => t.type === 'Role').id).not.toBe(
        '62e90394-69f5-4237-9190-012177145e10',
      );
      expect(core.initiatedBy.app.displayName).toBe('MS-PIM');
      const instances = await graph(
        emulator,
        `/v1.0/roleManagement/directory/roleAssignmentScheduleInstances?$filter=${encodeURIComponent(`principalId eq '${userId}'`)}`,
        { token },
      );
      expect(instances.json.value).toEqual([]);
      const eligible = await graph(
        emulator,
        `/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${encodeURIComponent(`principalId eq '${userId}'`)}&$select=roleDefinitionId`,
        { token },
      );
      expect(eligible.json.value).toEqual([{ roleDefinitionId: '62e90394-69f5-4237-9190-012177145e10' }]);
    });

    it.each([
      ['startswith on another property', "startswith(loggedByService,'Core')"],
      [
        'or, which directoryAudit does not document',
        "activityDisplayName eq 'Add member to role' or activityDisplayName eq 'Remove member from role'",
      ],
      ['category, which is not filterable', "category eq 'RoleManagement'"],
    ])('when the audit filter uses %s, then it is refused with 400', async (_label, filter) => {
      const emulator = await start('pim-activation-expired');
      const answer = await graph(emulator, audits(filter), { token: await issueToken(emulator) });
      expect(answer.status).toBe(400);
    });

    it.each([
      [
        'assignment instances without a principal filter',
        '/v1.0/roleManagement/directory/roleAssignmentScheduleInstances',
      ],
      [
        'eligibility instances with a $select the type lacks',
        `/v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=${encodeURIComponent("principalId eq 'x'")}&$select=nope`,
      ],
      [
        'role definitions with a $filter',
        `/v1.0/roleManagement/directory/roleDefinitions?$filter=${encodeURIComponent('isBuiltIn eq true')}`,
      ],
      [
        'the registration Get with a query option',
        '/v1.0/reports/authenticationMethods/userRegistrationDetails/00000000-0000-4000-8000-000000000001?$select=id',
      ],
    ])('when the request asks for %s, then it is refused with 400', async (_label, url) => {
      const emulator = await start('pim-activation-expired');
      const answer = await graph(emulator, url, { token: await issueToken(emulator) });
      expect(answer.status).toBe(400);
    });
  });

  describe('rules Graph documents, enforced as strictly as the docs say', () => {
    const castPath = (userId: string, query: string) =>
      `/v1.0/users/${userId}/transitiveMemberOf/microsoft.graph.directoryRole${query}`;

    it.each([
      [
        'neither ConsistencyLevel nor $count (the request the scanner used to send)',
        '?$select=id,roleTemplateId',
        {},
      ],
      ['ConsistencyLevel without $count', '?$select=id,roleTemplateId', { ConsistencyLevel: 'eventual' }],
      ['$count without ConsistencyLevel', '?$count=true&$select=id,roleTemplateId', {}],
      ['ConsistencyLevel other than eventual', '?$count=true', { ConsistencyLevel: 'session' }],
    ])(
      'when the directoryRole cast comes with %s, then Graph answers 400 Request_UnsupportedQuery',
      async (_label, query, headers) => {
        const emulator = await start('admin-via-group');
        const userId = loadScenario('admin-via-group').users[0].id;
        const answer = await graph(emulator, castPath(userId, query), {
          token: await issueToken(emulator),
          headers,
        });
        expect(answer.status).toBe(400);
        expect(answer.json.error.code).toBe('Request_UnsupportedQuery');
        expect(answer.json.error.message).toContain(
          '$count=true query parameter and ConsistencyLevel:eventual header',
        );
      },
    );

    it('when the cast is batched, then only the item carrying the header in its own headers is answered', async () => {
      const emulator = await start('admin-via-group');
      const userId = loadScenario('admin-via-group').users[0].id;
      const url = `/users/${userId}/transitiveMemberOf/microsoft.graph.directoryRole?$count=true&$select=roleTemplateId`;
      const answer = await graph(emulator, '/v1.0/$batch', {
        method: 'POST',
        token: await issueToken(emulator),
        // The outer POST's header is not the item's: Graph applies only each item's own headers.
        headers: { ConsistencyLevel: 'eventual' },
        body: {
          requests: [
            { id: 'bare', method: 'GET', url },
            { id: 'advanced', method: 'GET', url, headers: { ConsistencyLevel: 'eventual' } },
          ],
        },
      });
      const byId = new Map<string, any>(
        answer.json.responses.map((response: any) => [response.id, response]),
      );
      expect(byId.get('bare')).toMatchObject({
        status: 400,
        body: { error: { code: 'Request_UnsupportedQuery' } },
      });
      expect(byId.get('advanced')).toMatchObject({
        status: 200,
        body: { value: [{ roleTemplateId: '729827e3-9c14-49f7-bb1b-9608f156bbb8' }] },
      });
    });

    it.each([
      [
        'a user',
        (userId: string) => `/v1.0/users/${userId}?$select=id,onPremisesSyncEnable`,
        'onPremisesSyncEnable',
        'microsoft.graph.user',
        {},
      ],
      [
        'a directoryRole cast',
        (userId: string) => castPath(userId, '?$count=true&$select=id,templateId'),
        'templateId',
        'microsoft.graph.directoryRole',
        { ConsistencyLevel: 'eventual' },
      ],
    ])(
      'when $select on %s names a property the type lacks, then Graph answers 400 naming it',
      async (_label, path, property, type, headers) => {
        const emulator = await start('admin-via-group');
        const userId = loadScenario('admin-via-group').users[0].id;
        const answer = await graph(emulator, path(userId), { token: await issueToken(emulator), headers });
        expect(answer.status).toBe(400);
        expect(answer.json.error).toMatchObject({
          code: 'Request_BadRequest',
          message: `Could not find a property named '${property}' on type '${type}'.`,
        });
      },
    );

    it('when a token issued for Resource Manager is sent to Graph, and one for Graph to Resource Manager, then both answer 401 for the audience', async () => {
      const emulator = await start('demo');
      const armToken = (
        await tokenRequest(
          emulator,
          'resource=https%3A%2F%2Fmanagement.azure.com&api-version=2019-08-01',
          emulator.identityHeader,
        )
      ).json.access_token;
      const toGraph = await graph(emulator, '/v1.0/policies/authorizationPolicy', { token: armToken });
      expect(toGraph.status).toBe(401);
      expect(toGraph.json.error).toMatchObject({
        code: 'InvalidAuthenticationToken',
        message: 'Access token validation failure. Invalid audience.',
      });

      // A token asked for the emulator's own origin (a GRAPH_ENDPOINT override) is no Graph token either.
      const originToken = (
        await tokenRequest(
          emulator,
          `resource=${encodeURIComponent(emulator.graphUrl)}&api-version=2019-08-01`,
          emulator.identityHeader,
        )
      ).json.access_token;
      expect(
        (await graph(emulator, '/v1.0/policies/authorizationPolicy', { token: originToken })).status,
      ).toBe(401);

      const toArm = await graph(emulator, `${emulator.armUrl}/subscriptions?api-version=2020-01-01`, {
        token: await issueToken(emulator),
      });
      expect(toArm.status).toBe(401);
      expect(toArm.json.error.code).toBe('InvalidAuthenticationTokenAudience');
    });

    it.each(['gt', 'lt'])(
      'when activityDateTime is compared with %s, which directoryAudit does not document, then Graph answers 400',
      async (operator) => {
        const emulator = await start('demo');
        const filter = `${SSPR_FILTER} and activityDateTime ${operator} 2026-03-01T11:20:00Z`;
        const answer = await graph(emulator, audits(filter), { token: await issueToken(emulator) });
        expect(answer.status).toBe(400);
        expect(answer.json.error.message).toContain('Invalid filter clause');
      },
    );
  });

  describe('faults', () => {
    it('when flaky-graph is read, then the first audit page is 503, the policy read is reset and one batch item is throttled', async () => {
      const emulator = await start('flaky-graph');
      const token = await issueToken(emulator);
      const first = await graph(emulator, audits(SSPR_FILTER), { token });
      expect(first.status).toBe(503);
      expect(first.headers['retry-after']).toBe('1');
      expect((await graph(emulator, audits(SSPR_FILTER), { token })).status).toBe(200);

      await expect(graph(emulator, '/v1.0/policies/authorizationPolicy', { token })).rejects.toThrow();
      expect((await graph(emulator, '/v1.0/policies/authorizationPolicy', { token })).status).toBe(200);

      const userId = loadScenario('flaky-graph').users[0].id;
      const batch = await graph(emulator, '/v1.0/$batch', {
        method: 'POST',
        token,
        body: { requests: [{ id: '1', method: 'GET', url: `/users/${userId}` }] },
      });
      expect(batch.json.responses[0]).toMatchObject({ status: 429, headers: { 'Retry-After': '1' } });
      expect(batch.json.responses[0].body.error.code).toBe('TooManyRequests');
      expect((await graph(emulator, `/v1.0/users/${userId}`, { token })).status).toBe(200);
    });

    it('when a slow fault fires, then the request is still answered normally and logged', async () => {
      const emulator = await start(
        withOverrides('demo', {
          faults: [{ match: 'authorizationPolicy', kind: 'slow', delayMs: 50, times: -1 }],
        }),
      );
      const token = await issueToken(emulator);
      for (let attempt = 0; attempt < 2; attempt++) {
        expect((await graph(emulator, '/v1.0/policies/authorizationPolicy', { token })).status).toBe(200);
      }
      expect(
        emulator.requests
          .filter((entry) => entry.path === '/v1.0/policies/authorizationPolicy')
          .map((entry) => entry.status),
      ).toEqual([200, 200]);
    });

    it('when a hold fault fires, then the request waits until releaseHeld() and is then answered normally', async () => {
      const emulator = await start(
        withOverrides('demo', { faults: [{ match: 'authorizationPolicy', kind: 'hold', times: 1 }] }),
      );
      const token = await issueToken(emulator);
      let answered = false;
      const held = graph(emulator, '/v1.0/policies/authorizationPolicy', { token }).finally(
        () => (answered = true),
      );
      while (emulator.heldRequests() === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      // times: 1, so a second request on the same path is answered while the first still waits.
      expect((await graph(emulator, '/v1.0/policies/authorizationPolicy', { token })).status).toBe(200);
      expect(answered).toBe(false);
      emulator.releaseHeld();
      expect((await held).status).toBe(200);
      expect(emulator.heldRequests()).toBe(1);
    });

    it('when a batch item loses its connection, then that item alone answers 504', async () => {
      const faults = [{ match: 'authorizationPolicy', kind: 'reset' as const, inBatch: true }];
      const emulator = await start(withOverrides('demo', { faults }));
      const requests = [
        { id: '1', method: 'GET', url: '/policies/authorizationPolicy' },
        { id: '2', method: 'GET', url: '/policies/authorizationPolicy' },
      ];
      const answer = await graph(emulator, '/v1.0/$batch', {
        method: 'POST',
        token: await issueToken(emulator),
        body: { requests },
      });
      expect(answer.json.responses.map((response: any) => response.status).sort()).toEqual([200, 504]);
    });

    it('when a malformed fault fires, then the body is truncated JSON with status 200', async () => {
      const emulator = await start(
        withOverrides('demo', { faults: [{ match: 'directoryAudits', kind: 'malformed' }] }),
      );
      const answer = await graph(emulator, audits(SSPR_FILTER), { token: await issueToken(emulator) });
      expect(answer.status).toBe(200);
      expect(answer.json).toBeUndefined();
      expect(answer.text).toBe('{"value": [');
    });
  });

  describe('many tenants (issue 15)', () => {
    const [a, b, c] = fleetScenarios({ count: 3, seed: 'emulator-test', confirmedEvery: 2 });
    const startFleet = async (appRequestsPer10s?: number, withoutConsent: string[] = []) => {
      const emulator = await startEmulator({
        scenario: 'policy-on',
        fleet: { tenants: [a, b, c], appRequestsPer10s, withoutConsent },
      });
      running.push(emulator);
      return emulator;
    };
    const clientCredentials = (emulator: RunningEmulator, tenantId: string, secret?: string) =>
      post(emulator, `/${tenantId}/oauth2/v2.0/token`, {
        grant_type: 'client_credentials',
        client_id: emulator.fleet!.clientId,
        client_secret: secret ?? emulator.fleet!.clientSecret,
        scope: 'https://graph.microsoft.com/.default',
      });
    const tokenFor = async (emulator: RunningEmulator, tenantId: string) =>
      (await clientCredentials(emulator, tenantId)).json.access_token as string;

    it('when each tenant signs in with client credentials, then its token reads its own audit log and no other', async () => {
      const emulator = await startFleet();
      expect(emulator.fleet!.tenantIds).toEqual([a.tenantId, b.tenantId, c.tenantId]);
      const tokenA = await tokenFor(emulator, a.tenantId);
      const tokenB = await tokenFor(emulator, b.tenantId);
      const eventsA = await readAllPages(emulator, tokenA, audits(SSPR_FILTER));
      const eventsB = await readAllPages(emulator, tokenB, audits(SSPR_FILTER));
      // a: an admin's and a user's failure (confirmedEvery 2, n % 3 == 0); b: none.
      expect(eventsA).toHaveLength(2);
      expect(eventsB).toHaveLength(0);
      expect(
        (await graph(emulator, '/v1.0/policies/authorizationPolicy', { token: tokenA })).json
          .allowedToUseSSPR,
      ).toBe(false);
      expect(
        (await graph(emulator, '/v1.0/policies/authorizationPolicy', { token: tokenB })).json
          .allowedToUseSSPR,
      ).toBe(true);
      // The request log says which tenant each Graph request reached.
      const audited = emulator.requests.filter((entry) => entry.path === '/v1.0/auditLogs/directoryAudits');
      expect(audited.map((entry) => entry.tenantId)).toEqual([a.tenantId, b.tenantId]);
    });

    it('when the app sends more audit requests across tenants than its limit, then Graph answers 429 in its documented shape, whatever tenant asks', async () => {
      const emulator = await startFleet(4);
      const tokens = await Promise.all([a, b, c].map((tenant) => tokenFor(emulator, tenant.tenantId)));
      const statuses: number[] = [];
      for (const token of [...tokens, ...tokens]) {
        const answer = await graph(emulator, audits(SSPR_FILTER), { token });
        statuses.push(answer.status);
        if (answer.status === 429) {
          expect(Number(answer.headers['retry-after'])).toBeGreaterThanOrEqual(1);
          expect(answer.json.error).toMatchObject({ code: 'TooManyRequests', innerError: { status: '429' } });
        }
      }
      // Each tenant is far under its own 5; the fifth and sixth exceed the app's 4.
      expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
      // Other Graph calls do not fall under the reports limit.
      expect((await graph(emulator, '/v1.0/policies/authorizationPolicy', { token: tokens[2] })).status).toBe(
        200,
      );
    });

    it('when a tenant never consented or the secret is wrong, then its token endpoint refuses as Entra does', async () => {
      const emulator = await startFleet(undefined, [b.tenantId]);
      const refused = await clientCredentials(emulator, b.tenantId);
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error: 'unauthorized_client', error_codes: [700016] });
      const badSecret = await clientCredentials(emulator, a.tenantId, 'EMULATOR-SECRET-wrong');
      expect(badSecret.status).toBe(401);
      expect(badSecret.json.error_description).toContain('AADSTS7000215');
      const unknown = await clientCredentials(emulator, '00000000-0000-4000-8000-0000000000ff');
      expect(unknown.status).toBe(400);
      expect(unknown.json.error).toBe('invalid_tenant');
      expect((await clientCredentials(emulator, c.tenantId)).status).toBe(200);
    });

    describe('client assertions (certificate, federated managed identity)', () => {
      const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
      const withAssertion = (emulator: RunningEmulator, tenantId: string, form: Record<string, string>) =>
        post(emulator, `/${tenantId}/oauth2/v2.0/token`, {
          grant_type: 'client_credentials',
          client_id: emulator.fleet!.clientId,
          scope: 'https://graph.microsoft.com/.default',
          ...form,
        });
      /** A certificate assertion as msal-node builds it: PS256, x5t#S256 of the certificate's DER. */
      const certificateAssertion = async (
        emulator: RunningEmulator,
        tenantId: string,
        change: { audience?: string; expiresIn?: number; pem?: string } = {},
      ) => {
        const pem = change.pem ?? fs.readFileSync(emulator.fleet!.certificatePath, 'utf8');
        const der = new X509Certificate(
          /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0],
        ).raw;
        const now = Math.floor(Date.now() / 1000);
        return new SignJWT({ jti: randomUUID() })
          .setProtectedHeader({
            alg: 'PS256',
            'x5t#S256': createHash('sha256').update(der).digest('base64url'),
          })
          .setAudience(change.audience ?? `${emulator.loginUrl}/${tenantId}/oauth2/v2.0/token`)
          .setIssuer(emulator.fleet!.clientId)
          .setSubject(emulator.fleet!.clientId)
          .setNotBefore(now - 3600)
          .setExpirationTime(now + (change.expiresIn ?? 600))
          .sign(createPrivateKey(pem));
      };
      const managedIdentityToken = async (emulator: RunningEmulator, resource: string) =>
        (
          await tokenRequest(
            emulator,
            `resource=${encodeURIComponent(resource)}&api-version=2019-08-01&client_id=${emulator.fleet!.managedIdentityClientId}`,
            emulator.identityHeader,
          )
        ).json.access_token as string;

      it("when the app presents an assertion signed by its registered certificate, then it gets a token; otherwise Entra's refusals", async () => {
        const emulator = await startFleet();
        const ok = await withAssertion(emulator, a.tenantId, {
          client_assertion_type: JWT_BEARER,
          client_assertion: await certificateAssertion(emulator, a.tenantId),
        });
        expect(ok.status).toBe(200);
        const expired = await withAssertion(emulator, a.tenantId, {
          client_assertion_type: JWT_BEARER,
          client_assertion: await certificateAssertion(emulator, a.tenantId, { expiresIn: -600 }),
        });
        expect([expired.status, expired.json.error_codes]).toEqual([401, [700024]]);
        const otherAudience = await withAssertion(emulator, a.tenantId, {
          client_assertion_type: JWT_BEARER,
          client_assertion: await certificateAssertion(emulator, b.tenantId),
        });
        expect([otherAudience.status, otherAudience.json.error_codes]).toEqual([401, [700027]]);
        const pems = await generate([{ name: 'commonName', value: 'stranger' }], {
          keyType: 'rsa',
          keySize: 2048,
        });
        const unregistered = await withAssertion(emulator, a.tenantId, {
          client_assertion_type: JWT_BEARER,
          client_assertion: await certificateAssertion(emulator, a.tenantId, {
            pem: pems.private + pems.cert,
          }),
        });
        expect(unregistered.json.error_description).toMatch(/^AADSTS700027: The certificate with identifier/);
        const wrongType = await withAssertion(emulator, a.tenantId, {
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
          client_assertion: await certificateAssertion(emulator, a.tenantId),
        });
        expect([wrongType.status, wrongType.json.error]).toEqual([400, 'invalid_request']);
        const nothing = await withAssertion(emulator, a.tenantId, {});
        expect([nothing.status, nothing.json.error_codes]).toEqual([401, [7000218]]);
      });

      it("when the app presents the managed identity's token-exchange token, then it gets a token; a token for another audience is refused", async () => {
        const emulator = await startFleet();
        const exchange = await managedIdentityToken(emulator, 'api://AzureADTokenExchange');
        const ok = await withAssertion(emulator, c.tenantId, {
          client_assertion_type: JWT_BEARER,
          client_assertion: exchange,
        });
        expect(ok.status).toBe(200);
        // The identity's subject is what the app's federated credential names.
        expect(emulator.fleet!.federatedSubject).toBe(emulator.fleet!.managedIdentityObjectId);
        const graphToken = await managedIdentityToken(emulator, 'https://graph.microsoft.com');
        const opaque = await withAssertion(emulator, c.tenantId, {
          client_assertion_type: JWT_BEARER,
          client_assertion: graphToken,
        });
        expect(opaque.status).toBe(400);
        // Another user-assigned identity than the emulator's is not found.
        const other = await tokenRequest(
          emulator,
          'resource=api%3A%2F%2FAzureADTokenExchange&api-version=2019-08-01&client_id=00000000-0000-4000-8000-000000000bad',
          emulator.identityHeader,
        );
        expect(other.status).toBe(400);
      });
    });
  });
});
