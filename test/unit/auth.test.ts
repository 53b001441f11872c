import {
  AggregateAuthenticationError,
  CredentialUnavailableError,
  type TokenCredential,
} from '@azure/identity';
import { credentialsTried } from '../../src/adapters/auth/credentialFailure';
import { TenantBoundCredential } from '../../src/adapters/auth/tenantBoundCredential';
import { clip } from '../../src/errors';

const TENANT = '3f9c1b52-9a1e-4c55-9e55-2f1f5a0d0a01';
const OTHER = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const jwt = (claims: object) =>
  `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const issuing = (token: string): TokenCredential => ({
  getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});

describe('TenantBoundCredential', () => {
  test('when the token was issued for another tenant, then it is refused with AUTH.WRONG_TENANT naming both tenants', async () => {
    const credential = new TenantBoundCredential(issuing(jwt({ tid: OTHER })), TENANT);
    await expect(credential.getToken('https://graph.microsoft.com/.default')).rejects.toMatchObject({
      code: 'AUTH.WRONG_TENANT',
      message: expect.stringContaining(OTHER),
    });
  });

  test('when the token is for the scanned tenant (any case), or carries no tenant claim, then it passes', async () => {
    const right = jwt({ tid: TENANT.toUpperCase() });
    await expect(new TenantBoundCredential(issuing(right), TENANT).getToken('s')).resolves.toMatchObject({
      token: right,
    });
    await expect(
      new TenantBoundCredential(issuing('opaque-token'), TENANT).getToken('s'),
    ).resolves.toMatchObject({ token: 'opaque-token' });
  });
});

describe('credentialsTried', () => {
  // DefaultAzureCredential's errors on a machine with no credential at all (@azure/identity 4.13).
  const chain = new AggregateAuthenticationError(
    [
      new CredentialUnavailableError(
        'EnvironmentCredential is unavailable. No underlying credential could be used. To troubleshoot, visit https://aka.ms/azsdk/js/identity/environmentcredential/troubleshoot.',
      ),
      new CredentialUnavailableError(
        'ManagedIdentityCredential: Network unreachable. Message: network_error: Network request failed',
      ),
      new CredentialUnavailableError(
        'Visual Studio Code Authentication is not available. Ensure you have have Azure Resources Extension installed in VS Code, signed into Azure via VS Code, installed the @azure/identity-vscode package, and properly configured the extension.',
      ),
      new CredentialUnavailableError(
        "Azure CLI could not be found. Please visit https://aka.ms/azure-cli for installation instructions and then, once installed, authenticate to your Azure account using 'az login'.",
      ),
      new CredentialUnavailableError(
        'Error: Unable to execute PowerShell. Ensure that it is installed in your system. To troubleshoot, visit https://aka.ms/azsdk/js/identity/powershellcredential/troubleshoot.',
      ),
      new CredentialUnavailableError(
        "Azure Developer CLI couldn't be found. To mitigate this issue, see the troubleshooting guidelines at https://aka.ms/azsdk/js/identity/azdevclicredential/troubleshoot.",
      ),
    ],
    'ChainedTokenCredential authentication failed.',
  );

  test('when every credential of the chain failed, then each is named with why, in the order tried, and nothing is cut mid-word', () => {
    expect(credentialsTried(chain)).toBe(
      'EnvironmentCredential is unavailable; ManagedIdentityCredential: Network unreachable; Visual Studio Code Authentication is not available; ' +
        "Azure CLI could not be found; Unable to execute PowerShell; Azure Developer CLI couldn't be found",
    );
  });

  test('when one credential failed on its own, then its first sentence says which and why', () => {
    const error = new Error(
      'ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value.',
    );
    expect(credentialsTried(error)).toBe(
      'ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided',
    );
  });
});

describe('clip', () => {
  test('when a text is longer than allowed, then it is cut at a space and marked, never inside a word', () => {
    expect(clip('Visual Studio Code Authentication is not available', 25)).toBe('Visual Studio Code…');
    expect(clip('short  and\nplain', 40)).toBe('short and plain');
  });
});
