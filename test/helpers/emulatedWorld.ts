import { randomUUID } from 'node:crypto';
import { loadScenario, startEmulator, type RunningEmulator, type Scenario } from '../../emulator';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';

export interface EmulatedWorld {
  /** The file's real Azurite, started before its first test and stopped after its last. */
  readonly azurite: RunningAzurite;
  /**
   * An emulator for a scenario (a name in emulator/scenarios, or an object), stopped after the test.
   * The tenant id is a fresh one unless `keepTenantId`, so incidents in the shared Azurite never mix.
   */
  emulate(
    scenario: string | Scenario,
    options?: { change?: (scenario: Scenario) => Scenario; keepTenantId?: boolean },
  ): Promise<{ emulator: RunningEmulator; tenantId: string }>;
}

/** The set-up every end-to-end test file shares: one Azurite per file, emulators per test. Call at the top of the file. */
export function useEmulatedWorld(): EmulatedWorld {
  let azurite: RunningAzurite | undefined;
  const emulators: RunningEmulator[] = [];
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => {
    await azurite?.stop();
  });
  afterEach(async () => {
    await Promise.all(emulators.splice(0).map((emulator) => emulator.stop()));
  });
  return {
    get azurite() {
      if (!azurite) throw new Error('Azurite is not running: use the world inside a test, not at load time.');
      return azurite;
    },
    async emulate(scenario, { change = (s: Scenario) => s, keepTenantId = false } = {}) {
      const changed = change(typeof scenario === 'string' ? loadScenario(scenario) : scenario);
      const resolved = keepTenantId ? changed : { ...changed, tenantId: randomUUID() };
      const emulator = await startEmulator({ scenario: resolved });
      emulators.push(emulator);
      return { emulator, tenantId: resolved.tenantId };
    },
  };
}
