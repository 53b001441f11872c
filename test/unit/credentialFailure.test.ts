import { tokenFailure } from '../../src/adapters/auth/credentialFailure';

/** What a token failure becomes: the federated-credential mismatch gets its own code and fix. */
function failure(message: string, name = 'AuthenticationError'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

describe('tokenFailure', () => {
  test.each(['AADSTS700213', 'AADSTS70021', 'AADSTS700211', 'AADSTS700212', 'AADSTS7002138'])(
    'when Entra answers %s (no matching federated identity record), then it is AUTH.NO_FEDERATION naming the credential to add',
    (code) => {
      const error = tokenFailure(
        failure(
          `ClientAssertionCredential authentication failed. ${code}: No matching federated identity record found for presented assertion subject 'x'.`,
        ),
        'Microsoft Graph',
      );
      expect(error).toMatchObject({ code: 'AUTH.NO_FEDERATION', name: 'AUTH.NO_FEDERATION' });
      expect(error.message).toContain(code);
      expect(error.message).toContain('api://AzureADTokenExchange');
      expect(error.message).toContain('FLEET_MANAGED_IDENTITY_CLIENT_ID');
    },
  );

  test('when the tenant never consented (AADSTS700016), then it stays AUTH.NO_TOKEN and says consent is needed', () => {
    const error = tokenFailure(
      failure(
        "AADSTS700016: Application with identifier 'x' was not found in the directory 'y'.",
        'AuthenticationRequiredError',
      ),
      'Microsoft Graph',
    );
    expect(error).toMatchObject({ code: 'AUTH.NO_TOKEN' });
    expect(error.message).toMatch(/administrator must consent/);
  });

  test('when a code merely starts like a federation code (AADSTS7002100), then it is not taken for one', () => {
    expect(tokenFailure(failure('AADSTS7002100: something else'), 'Microsoft Graph').code).toBe(
      'AUTH.NO_TOKEN',
    );
  });
});
