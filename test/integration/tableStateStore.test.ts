import { DefaultAzureCredential } from '@azure/identity';
import { startAzurite, type RunningAzurite } from '../../src/local/azurite';
import { incidentId } from '../../src/core/incident';
import { AppError } from '../../src/errors';
import { FencedStateStore } from '../../src/usecases/fencedState';
import { TableStateStore } from '../../src/adapters/storage/tableStateStore';

/** The state store against a real Azurite: races, idempotent reruns and the checkpoint rules. */
let azurite: RunningAzurite;
let tenantSeq = 0;
const newTenant = () => `00000000-0000-4000-8000-${String(++tenantSeq).padStart(12, '0')}`;
const NOW = new Date('2026-11-25T12:00:00Z');
const admin = (userId: string) => ({
  userId,
  userPrincipalName: `${userId}@contoso.com`,
  roles: ['Global Administrator'],
  synced: true,
  eventIds: [`e-${userId}`],
  correlationIds: [],
  lastFailureAt: NOW.toISOString(),
});
// Connection-string auth: the credential is never asked for a token here.
const store = () => new TableStateStore(azurite.connectionString, new DefaultAzureCredential());

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite?.stop();
});

describe('TableStateStore', () => {
  test('when five scans race to open the same incident, then exactly one incident holds every admin', async () => {
    const tenant = newTenant();
    const stores = Array.from({ length: 5 }, store);
    const saved = await Promise.all(
      stores.map((s, i) =>
        s.saveIncident(
          tenant,
          { id: 'planned', cause: 'SSPR_009', userIds: [`user-${i}`] },
          [admin(`user-${i}`)],
          NOW,
        ),
      ),
    );
    expect(new Set(saved.map((incident) => incident.id))).toEqual(
      new Set([incidentId(tenant, 'SSPR_009', 1)]),
    );
    const open = await store().listIncidents(tenant);
    expect(open).toHaveLength(1);
    expect(open[0].userIds).toEqual(['user-0', 'user-1', 'user-2', 'user-3', 'user-4']);
  });

  test('when the same admins are saved again (a rerun after a crash), then nothing changes', async () => {
    const tenant = newTenant();
    const s = store();
    const first = await s.saveIncident(
      tenant,
      { id: 'planned', cause: 'SSPR_009', userIds: ['a', 'b'] },
      [admin('a'), admin('b')],
      NOW,
    );
    const again = await s.saveIncident(
      tenant,
      { id: 'planned', cause: 'SSPR_009', userIds: ['b', 'a'] },
      [admin('b'), admin('a')],
      new Date(NOW.getTime() + 60_000),
    );
    expect(again).toEqual(first);
  });

  test('when a stale copy of the incident is written, then STATE.CONFLICT and the newer state survives', async () => {
    const tenant = newTenant();
    const s = store();
    const opened = await s.saveIncident(
      tenant,
      { id: 'planned', cause: 'SSPR_009', userIds: ['a'] },
      [admin('a')],
      NOW,
    );
    await s.updateIncident({ ...opened, state: 'ticketed' });
    await expect(s.updateIncident({ ...opened, state: 'remediating' })).rejects.toMatchObject({
      code: 'STATE.CONFLICT',
    });
    expect((await s.getIncident(tenant, opened.id))?.state).toBe('ticketed');
  });

  test('when an admin failed before the latest incident was resolved, then the admin joins it and it stays resolved', async () => {
    const tenant = newTenant();
    const s = store();
    const opened = await s.saveIncident(
      tenant,
      { id: 'planned', cause: 'SSPR_009', userIds: ['a'] },
      [admin('a')],
      NOW,
    );
    const resolvedAt = new Date(NOW.getTime() + 10 * 60_000).toISOString();
    await s.updateIncident({
      ...opened,
      state: 'resolved',
      transitions: [
        ...opened.transitions,
        { from: 'open', to: 'resolved', at: resolvedAt, actor: 'scan', reason: 'verified' },
      ],
    });
    const joined = await s.joinLatestIncident(
      tenant,
      'SSPR_009',
      [admin('b')],
      new Date(NOW.getTime() - 5 * 60_000),
      new Date(NOW.getTime() + 30 * 60_000),
    );
    expect(joined).toMatchObject({ id: opened.id, state: 'resolved', userIds: ['a', 'b'] });
    expect((await s.listIncidents(tenant, { all: true })).map((incident) => incident.userIds)).toEqual([
      ['a', 'b'],
    ]);
  });

  test('when an admin failed after the latest incident was resolved, or there is no incident, then nothing is joined', async () => {
    const tenant = newTenant();
    const s = store();
    expect(await s.joinLatestIncident(tenant, 'SSPR_009', [admin('b')], NOW, NOW)).toBeUndefined();
    const opened = await s.saveIncident(
      tenant,
      { id: 'planned', cause: 'SSPR_009', userIds: ['a'] },
      [admin('a')],
      NOW,
    );
    const resolvedAt = new Date(NOW.getTime() + 10 * 60_000);
    await s.updateIncident({
      ...opened,
      state: 'resolved',
      transitions: [
        ...opened.transitions,
        { from: 'open', to: 'resolved', at: resolvedAt.toISOString(), actor: 'scan', reason: 'verified' },
      ],
    });
    expect(
      await s.joinLatestIncident(
        tenant,
        'SSPR_009',
        [admin('b')],
        new Date(resolvedAt.getTime() + 1000),
        NOW,
      ),
    ).toBeUndefined();
    expect((await s.getIncident(tenant, opened.id))?.userIds).toEqual(['a']);
  });

  test('when an action is intended twice, then the second caller sees the first intent, and its result once done', async () => {
    const tenant = newTenant();
    const s = store();
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW)).toMatchObject({ status: 'intended' });
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW)).toMatchObject({ status: 'intended' });
    await s.complete(tenant, 'inc', 'ticket:opened', { id: 'INC001' }, NOW);
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW)).toMatchObject({
      status: 'done',
      result: { id: 'INC001' },
    });
  });

  test('when a writer intends an action, then its row names it, a second writer sees that, takes it over, and only the owner can abandon it', async () => {
    const tenant = newTenant();
    const s = store();
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW, 'host-a:1#lease-a')).toMatchObject({
      status: 'intended',
      writer: 'host-a:1#lease-a',
    });
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW, 'host-b:2#lease-b')).toMatchObject({
      status: 'intended',
      writer: 'host-a:1#lease-a',
    });

    await s.takeOver(tenant, 'inc', 'ticket:opened', NOW, 'host-b:2#lease-b');
    await s.abandon(tenant, 'inc', 'ticket:opened', 'host-a:1#lease-a'); // no longer A's claim: kept
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW, 'host-c:3#lease-c')).toMatchObject({
      writer: 'host-b:2#lease-b',
    });

    await s.abandon(tenant, 'inc', 'ticket:opened', 'host-b:2#lease-b');
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW, 'host-c:3#lease-c')).toMatchObject({
      status: 'intended',
      writer: 'host-c:3#lease-c',
    });
  });

  test('when an action is done, then taking it over is refused and abandoning it keeps the result', async () => {
    const tenant = newTenant();
    const s = store();
    await s.intend(tenant, 'inc', 'remediation:start', NOW, 'host-a:1#lease-a');
    await s.complete(tenant, 'inc', 'remediation:start', { jobName: 'j' }, NOW);
    await expect(
      s.takeOver(tenant, 'inc', 'remediation:start', NOW, 'host-b:2#lease-b'),
    ).rejects.toMatchObject({ code: 'STATE.CONFLICT' });
    await s.abandon(tenant, 'inc', 'remediation:start', 'host-a:1#lease-a');
    expect(await s.intend(tenant, 'inc', 'remediation:start', NOW, 'host-b:2#lease-b')).toMatchObject({
      status: 'done',
      result: { jobName: 'j' },
    });
  });

  test('when the lease behind a fenced store is lost, then every write is refused before it reaches storage, and reads and abandon still work', async () => {
    const tenant = newTenant();
    const s = store();
    await s.intend(tenant, 'inc', 'ticket:opened', NOW, 'me');
    let held = true;
    const fenced = new FencedStateStore(s, {
      assertHeld: () => {
        if (!held) throw new AppError('STATE.LEASE_LOST', 'lost', { transient: true });
      },
    });
    await fenced.advanceCheckpoint(tenant, NOW, undefined);
    held = false;

    const writes = [
      fenced.saveIncident(tenant, { id: 'planned', cause: 'SSPR_009', userIds: ['a'] }, [admin('a')], NOW),
      fenced.joinLatestIncident(tenant, 'SSPR_009', [admin('a')], NOW, NOW),
      fenced.recordEvents(tenant, [
        { eventId: 'e', at: NOW.toISOString(), userId: 'a', verdict: 'confirmed' },
      ]),
      fenced.forgetEventsBefore(tenant, NOW),
      fenced.advanceCheckpoint(tenant, new Date(NOW.getTime() + 1000), undefined),
      fenced.intend(tenant, 'inc', 'ticket:other', NOW, 'me'),
      fenced.takeOver(tenant, 'inc', 'ticket:opened', NOW, 'me'),
      fenced.complete(tenant, 'inc', 'ticket:opened', {}, NOW),
    ];
    for (const write of writes) await expect(write).rejects.toMatchObject({ code: 'STATE.LEASE_LOST' });
    expect(await s.listIncidents(tenant)).toEqual([]);
    expect((await fenced.readCheckpoint(tenant))?.windowEnd).toEqual(NOW);
    await fenced.abandon(tenant, 'inc', 'ticket:opened', 'me');
    expect(await s.intend(tenant, 'inc', 'ticket:opened', NOW, 'next')).toMatchObject({ writer: 'next' });
  });

  test('when more than one transaction of events is recorded, then all are found from the given time on', async () => {
    const tenant = newTenant();
    const s = store();
    const events = Array.from({ length: 250 }, (_, i) => ({
      eventId: `event-${i}`,
      at: new Date(NOW.getTime() + i * 1000).toISOString(),
      userId: 'u',
      verdict: 'not-admin' as const,
    }));
    await s.recordEvents(tenant, events);
    await s.recordEvents(tenant, events.slice(0, 10)); // idempotent upsert
    // 200.7 s: the query reaches back to the whole second before, 199 s, as Graph's filter does.
    const since = await s.recordedEventIds(tenant, new Date(NOW.getTime() + 200_700));
    expect(since.size).toBe(51);
    expect(since.has('event-249')).toBe(true);
    expect(since.has('event-199')).toBe(true);
    expect(since.has('event-198')).toBe(false);
  });

  test('when events are older than the cut-off, then they are forgotten, at most the limit per call, and newer ones stay', async () => {
    const tenant = newTenant();
    const s = store();
    const at = (daysAgo: number, i: number) =>
      new Date(NOW.getTime() - daysAgo * 86_400_000 + i * 1000).toISOString();
    const old = Array.from({ length: 130 }, (_, i) => ({
      eventId: `old-${i}`,
      at: at(40, i),
      userId: 'u',
      verdict: 'not-admin' as const,
    }));
    const recent = Array.from({ length: 3 }, (_, i) => ({
      eventId: `new-${i}`,
      at: at(2, i),
      userId: 'u',
      verdict: 'not-admin' as const,
    }));
    await s.recordEvents(tenant, [...old, ...recent]);
    const cutOff = new Date(NOW.getTime() - 31 * 86_400_000);
    expect(await s.forgetEventsBefore(tenant, cutOff, 120)).toBe(120);
    expect(await s.forgetEventsBefore(tenant, cutOff, 120)).toBe(10);
    expect(await s.forgetEventsBefore(tenant, cutOff, 120)).toBe(0);
    expect([...(await s.recordedEventIds(tenant, new Date(0)))].sort()).toEqual(['new-0', 'new-1', 'new-2']);
  });

  test('when another scan moved the checkpoint meanwhile, then a stale write neither fails nor moves it back', async () => {
    const tenant = newTenant();
    const a = store();
    await a.advanceCheckpoint(tenant, new Date('2026-11-25T10:00:00Z'), undefined);
    const seen = await a.readCheckpoint(tenant);
    await a.advanceCheckpoint(tenant, new Date('2026-11-25T11:00:00Z'), seen);
    await a.advanceCheckpoint(tenant, new Date('2026-11-25T10:30:00Z'), seen);
    expect((await a.readCheckpoint(tenant))?.windowEnd).toEqual(new Date('2026-11-25T11:00:00Z'));
  });

  test('when the storage cannot be reached, then the error is STATE.UNAVAILABLE and says what to check', async () => {
    const broken = new TableStateStore(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:1/devstoreaccount1',
      new DefaultAzureCredential(),
    );
    await expect(broken.readCheckpoint(newTenant())).rejects.toMatchObject({
      code: 'STATE.UNAVAILABLE',
      message: expect.stringContaining('STATE_STORAGE'),
    });
  });
});
