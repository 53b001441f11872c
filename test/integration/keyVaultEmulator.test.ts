import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { startEmulator, type RunningEmulator } from '../../emulator';
import { SECRET_MARKER } from '../../emulator/tokens';

/** The emulator's Key Vault answers as Key Vault does (docs/ARCHITECTURE.md, "Key Vault fake"). */
let emulator: RunningEmulator;
const HOOK = `https://hooks.example.com/t/${SECRET_MARKER}abc`;

beforeAll(async () => {
  emulator = await startEmulator({ scenario: 'demo', keyVault: { secrets: { 'tenant-hook': HOOK } } });
});
afterAll(async () => {
  await emulator?.stop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
}

function collect(
  response: http.IncomingMessage,
  resolve: (answer: Answer) => void,
  reject: (err: Error) => void,
) {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('error', reject);
  response.on('end', () => {
    const text = Buffer.concat(chunks).toString('utf8');
    resolve({
      status: response.statusCode ?? 0,
      headers: response.headers,
      json: text ? JSON.parse(text) : undefined,
    });
  });
}

/** Real TLS with the emulator's certificate as the only trusted CA. */
function vault(path: string, token?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    https
      .get(
        new URL(path, emulator.keyVaultUri),
        {
          headers: token ? { authorization: `Bearer ${token}` } : {},
          ca: fs.readFileSync(emulator.caCertPath),
          agent: false,
        },
        (response) => collect(response, resolve, reject),
      )
      .on('error', reject);
  });
}

/** A token from the emulator's managed-identity endpoint, as DefaultAzureCredential gets one in Azure. */
function token(resource: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(
        `${emulator.tokenEndpoint}?resource=${encodeURIComponent(resource)}&api-version=2019-08-01`,
        { headers: { 'X-IDENTITY-HEADER': emulator.identityHeader }, agent: false },
        (response) => collect(response, (answer) => resolve(answer.json.access_token), reject),
      )
      .on('error', reject);
  });
}

describe('Key Vault fake', () => {
  test('when the app asks with a Key Vault token, then it answers the value, its versioned id and attributes', async () => {
    const answer = await vault('secrets/Tenant-Hook?api-version=7.4', await token('https://vault.azure.net'));
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      value: HOOK,
      id: expect.stringMatching(/\/secrets\/Tenant-Hook\/[0-9a-f]{32}$/),
      attributes: { enabled: true, recoveryLevel: 'Recoverable+Purgeable' },
    });
  });

  test('when no token or a token for another resource comes, then it answers 401 with the challenge', async () => {
    const missing = await vault('secrets/tenant-hook?api-version=7.4');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toMatch(
      /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[^"]+", resource="https:\/\/vault\.azure\.net"$/,
    );
    expect(missing.json.error.code).toBe('Unauthorized');
    const graphToken = await vault(
      'secrets/tenant-hook?api-version=7.4',
      await token('https://graph.microsoft.com'),
    );
    expect(graphToken.status).toBe(401);
    expect(graphToken.json.error.message).toContain('AKV10022');
  });

  test('when the api-version is missing or unknown, then it answers 400 BadParameter', async () => {
    const vaultToken = await token('https://vault.azure.net');
    for (const path of ['secrets/tenant-hook', 'secrets/tenant-hook?api-version=1999-01-01']) {
      const answer = await vault(path, vaultToken);
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('BadParameter');
    }
  });

  test('when the secret is unknown, then 404 SecretNotFound; when the identity lacks the role, then 403 ForbiddenByRbac', async () => {
    const vaultToken = await token('https://vault.usgovcloudapi.net');
    const missing = await vault('secrets/other?api-version=7.4', vaultToken);
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatchObject({
      code: 'SecretNotFound',
      message: expect.stringContaining('A secret with (name/id) other was not found in this key vault.'),
    });
    emulator.keyVault.allowed = false;
    try {
      const denied = await vault('secrets/tenant-hook?api-version=7.4', vaultToken);
      expect(denied.status).toBe(403);
      expect(denied.json.error).toMatchObject({ code: 'Forbidden', innererror: { code: 'ForbiddenByRbac' } });
    } finally {
      emulator.keyVault.allowed = true;
    }
  });

  test('when a test seeds a value without the secret marker, then the emulator refuses it (leaks must be detectable)', () => {
    expect(() => emulator.keyVault.setSecret('plain', 'https://hooks.example.com/x')).toThrow(SECRET_MARKER);
  });
});
