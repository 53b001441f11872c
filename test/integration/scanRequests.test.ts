import { DefaultAzureCredential } from '@azure/identity';
import { ScanRequests } from '../../src/adapters/storage/scanRequests';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';

/** The ssprScans table against a real Azurite: what the timer's clean-up forgets and what it keeps. */
let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('ScanRequests.forgetBefore', () => {
  test("when scan rows were last written before the cut-off, then they go and the tenants' last-scan rows stay", async () => {
    const scans = new ScanRequests(azurite.connectionString, new DefaultAzureCredential());
    const tenantId = '7b1c2d3e-0000-4000-8000-000000000001';
    const ids = ['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a2'];
    for (const scanId of ids) {
      await scans.queued({
        scanId,
        tenantId,
        requestedBy: 'timer',
        principal: null,
        mode: null,
        window: { from: null, to: null },
      });
      await scans.succeeded(scanId, tenantId, { findings: [] });
    }
    // Azurite stamps rows with its own clock: nothing was written a minute ago, everything before a minute from now.
    expect(await scans.forgetBefore(new Date(Date.now() - 60_000))).toBe(0);
    expect(await scans.get(ids[0])).toMatchObject({ status: 'succeeded' });
    expect(await scans.forgetBefore(new Date(Date.now() + 60_000))).toBe(2);
    expect(await Promise.all(ids.map((id) => scans.get(id)))).toEqual([undefined, undefined]);
    expect(await scans.summaries([tenantId])).toEqual([
      expect.objectContaining({ tenantId, lastStatus: 'succeeded', lastScanId: ids[1] }),
    ]);
  });
});
