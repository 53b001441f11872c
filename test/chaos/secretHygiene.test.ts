import { startEmulator } from '../../emulator';
import { SECRET_MARKER, TOKEN_MARKER } from '../../emulator/tokens';
import { runNode } from '../helpers/nodeChild';
import { echo, takeSecretLeaks } from '../setup/secretHygiene';

/**
 * The three nets that make "no token or secret in logs or telemetry" hold across the whole suite:
 * each must catch a leak, or a leak anywhere else would pass unnoticed.
 */
describe('secret hygiene across the test suite', () => {
  test('when a child process logs an emulator token, then the helper that started it fails', async () => {
    await expect(
      runNode(
        ['-e', `console.error('token ${TOKEN_MARKER}0123abcd')`],
        { PATH: process.env.PATH ?? '' },
        'a leaky child',
      ),
    ).rejects.toThrow(/Secret hygiene: EMULATOR-TOKEN-0123… in the stderr of a leaky child/);
  });

  test('when code in the test process logs a secret, then the hook records it (and would fail the test)', () => {
    echo.on = false;
    try {
      console.warn(`password ${SECRET_MARKER}jira`);
      process.stderr.write(`header ${SECRET_MARKER}abcd\n`);
    } finally {
      echo.on = true;
    }
    expect(takeSecretLeaks()).toEqual(
      expect.arrayContaining([`${SECRET_MARKER}jira… in console.warn`, `${SECRET_MARKER}abcd… in stderr`]),
    );
  });

  test('when telemetry or a ticket body carries a secret, then stopping the emulator fails', async () => {
    const emulator = await startEmulator({ scenario: 'policy-on' });
    emulator.telemetry.push({
      name: 'Microsoft.ApplicationInsights.Event',
      time: new Date().toISOString(),
      data: { baseData: { properties: { header: emulator.identityHeader } } },
    } as never);
    await expect(emulator.stop()).rejects.toThrow(/Secret hygiene: EMULATOR-SECRET-\w*… in telemetry/);
  });
});
