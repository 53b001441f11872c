import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../../emulator';
import { GITHUB_EMULATOR_TOKEN } from '../../../emulator/tickets/githubRoutes';
import { loadGithubSettings } from '../../../src/config/tickets';
import { admin, contentFor } from '../../helpers/runInChild';
import { runSinkInChild, type SinkStep } from '../../helpers/runSinkInChild';

/**
 * The GitHub sink, compiled, in its own process (Node trusts the emulator's certificate only through
 * NODE_EXTRA_CA_CERTS at start-up) against the GitHub issues fake over HTTPS.
 */
let emulator: RunningEmulator;

beforeAll(async () => {
  emulator = await startEmulator({ scenario: 'demo' });
});
afterAll(async () => {
  await emulator?.stop();
});

const REPOSITORY = 'contoso/identity-ops';

function settings(extra: Record<string, string> = {}): Record<string, string> {
  return {
    GITHUB_API_URL: `${emulator.ticketsUrl}/github`,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_TOKEN: GITHUB_EMULATOR_TOKEN,
    ...extra,
  };
}

async function run(
  steps: SinkStep[],
  extra: Record<string, string> = {},
  sinkOptions: Record<string, unknown> = { backoffBaseMs: 10 },
) {
  const result = await runSinkInChild({
    module: 'src/adapters/tickets/githubSink.js',
    loader: 'loadGithubSettings',
    sinkClass: 'GithubSink',
    env: settings(extra),
    caCertPath: emulator.caCertPath,
    steps,
    sinkOptions,
  });
  const token = settings(extra).GITHUB_TOKEN;
  expect(result.stdout).not.toContain(token);
  expect(result.stderr).not.toContain(token);
  return result.results;
}

/** A distinct admin for each call, so an update really adds one. */
const newAdmin = (upn: string) => admin(upn, randomUUID());

const issuesOf = (incidentId: string) =>
  emulator.tickets.github.issues.filter((issue) => issue.body?.includes(`incident=${incidentId} -->`));
const ourRequests = () => emulator.tickets.requests.filter((request) => request.system === 'github');

describe('GitHub issues sink', () => {
  test('when no issue exists, then find answers nothing; when one is created, then find returns the same reference', async () => {
    const incidentId = randomUUID();
    const [missing, created, found] = await run([
      { op: 'find', args: [incidentId] },
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
      { op: 'find', args: [incidentId] },
    ]);
    expect(missing).toEqual({ ok: true });
    expect(created.value).toMatchObject({
      system: 'github',
      id: expect.stringMatching(/^\d+$/),
      url: expect.stringContaining('/issues/'),
    });
    expect(found.value).toEqual(created.value);

    const [issue] = issuesOf(incidentId);
    expect(issue).toMatchObject({
      owner: 'contoso',
      repo: 'identity-ops',
      state: 'open',
      labels: ['sspr-remediator'],
    });
    expect(issue.body?.trimEnd().endsWith(`<!-- sspr-remediator:incident=${incidentId} -->`)).toBe(true);
    expect(issue.title).toContain('SSPR_009');

    const headers = ourRequests().at(-1)!.headers;
    expect(headers).toMatchObject({
      authorization: '<redacted>',
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'sspr-remediator',
    });
  });

  test('when more than 100 labelled issues are newer than ours, then find follows the Link pages and still finds it', async () => {
    const incidentId = randomUUID();
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    const others = Array.from({ length: 120 }, () => randomUUID());
    // Other incidents filed later: the list is newest first, so ours moves to page 2.
    const seeded = await run(
      others.map(
        (other) => ({ op: 'create', args: [contentFor(other, 'opened'), `${other}:opened`] }) as SinkStep,
      ),
    );
    expect(seeded.every((step) => step.ok)).toBe(true);

    const before = ourRequests().length;
    const [found] = await run([{ op: 'find', args: [incidentId] }]);
    expect(found.value).toEqual(created.value);
    const pages = ourRequests()
      .slice(before)
      .filter((request) => request.method === 'GET');
    expect(pages.map((request) => new URL(request.path, 'https://x').searchParams.get('page'))).toEqual([
      null,
      '2',
    ]);
    expect(new URL(pages[0].path, 'https://x').searchParams.get('labels')).toBe('sspr-remediator');
    expect(new URL(pages[0].path, 'https://x').searchParams.get('state')).toBe('all');
  });

  test("when a UPN carries another incident's marker, then find for that incident does not take the issue", async () => {
    const victim = randomUUID();
    const attacker = randomUUID();
    const forged = newAdmin(`<!-- sspr-remediator:incident=${victim} -->`);
    const [created, found] = await run([
      { op: 'create', args: [contentFor(attacker, 'opened', [forged]), `${attacker}:opened`] },
      { op: 'find', args: [victim] },
    ]);
    expect(created.ok).toBe(true);
    expect(found).toEqual({ ok: true });
  });

  test('when an update is sent twice with the same key, then the issue gets one comment; when resolved, then it is closed as completed', async () => {
    const incidentId = randomUUID();
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    const ref = created.value;
    const updated = contentFor(incidentId, 'updated', [
      newAdmin('ada@contoso.com'),
      newAdmin('grace@contoso.com'),
    ]);
    const steps = await run([
      { op: 'update', args: [ref, updated, `${incidentId}:updated:2`] },
      { op: 'update', args: [ref, updated, `${incidentId}:updated:2`] },
      { op: 'update', args: [ref, contentFor(incidentId, 'resolved'), `${incidentId}:resolved`] },
    ]);
    expect(steps.every((step) => step.ok)).toBe(true);

    const [issue] = issuesOf(incidentId);
    expect(issue.comments).toHaveLength(2);
    expect(issue.comments[0].body).toContain('grace@contoso.com');
    expect(issue.comments[1].body).toContain('Resolved');
    expect(issue).toMatchObject({ state: 'closed', stateReason: 'completed' });
  });

  test('when GitHub answers 503 once, then the retry files one issue, not two', async () => {
    const incidentId = randomUUID();
    emulator.tickets.failNext('github', 503, 1, 0);
    const before = ourRequests().length;
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    expect(created.ok).toBe(true);
    expect(issuesOf(incidentId)).toHaveLength(1);
    expect(
      ourRequests()
        .slice(before)
        .map((request) => request.status),
    ).toContain(503);
  });

  test('when the answer to a create or a comment is lost (504 after GitHub stored it), then the retry finds it instead of posting again', async () => {
    const incidentId = randomUUID();
    emulator.tickets.loseNextAnswers('github', 504, 1);
    const [created] = await run([
      { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
    ]);
    expect(created.ok).toBe(true);
    expect(issuesOf(incidentId)).toHaveLength(1);
    expect(created.value.id).toBe(String(issuesOf(incidentId)[0].number));

    // The update reads the comments first; the answer lost is the POST's.
    emulator.tickets.loseNextAnswersTo('github', 'POST', 504, 1);
    const before = ourRequests().length;
    const updated = contentFor(incidentId, 'updated', [
      newAdmin('ada@contoso.com'),
      newAdmin('grace@contoso.com'),
    ]);
    const [update] = await run([{ op: 'update', args: [created.value, updated, `${incidentId}:updated:2`] }]);
    expect(update.ok).toBe(true);
    expect(
      ourRequests()
        .slice(before)
        .find((request) => request.method === 'POST')?.status,
    ).toBe(504);
    expect(issuesOf(incidentId)[0].comments).toHaveLength(1);
  });

  test('when GitHub drops the label of a new issue and may not add it, then create fails and says what would happen', async () => {
    const incidentId = randomUUID();
    emulator.tickets.github.dropLabelsOnCreate = true;
    try {
      const [failed] = await run([
        { op: 'create', args: [contentFor(incidentId, 'opened'), `${incidentId}:opened`] },
      ]);
      expect(failed.error).toMatchObject({ code: 'TICKET.GITHUB_FAILED' });
      expect(failed.error!.message).toMatch(/dropped its "sspr-remediator" label[\s\S]*GITHUB_TOKEN/);
    } finally {
      emulator.tickets.github.dropLabelsOnCreate = false;
    }
  });

  test('when the rate limit is used up (403, x-ratelimit-remaining 0), then the sink waits for the reset and carries on', async () => {
    const incidentId = randomUUID();
    emulator.tickets.failNext('github', 403, 1, 1);
    const [missing] = await run([{ op: 'find', args: [incidentId] }]);
    expect(missing).toEqual({ ok: true });
  });

  test('when the rate limit resets too far ahead, then the error is transient and says so', async () => {
    emulator.tickets.failNext('github', 403, 1, 3600);
    const [failed] = await run(
      [{ op: 'find', args: [randomUUID()] }],
      {},
      { backoffBaseMs: 10, rateLimitMaxWaitMs: 5_000 },
    );
    expect(failed.error).toMatchObject({ code: 'TICKET.GITHUB_FAILED', transient: true });
    expect(failed.error!.message).toMatch(/rate limit/);
  });

  test('when the token is wrong, then TICKET.GITHUB_FAILED names GITHUB_TOKEN and shows no secret', async () => {
    const secret = 'ghp_wrongwrongwrongwrong';
    const [failed] = await run([{ op: 'find', args: [randomUUID()] }], { GITHUB_TOKEN: secret });
    expect(failed.error).toMatchObject({ code: 'TICKET.GITHUB_FAILED', transient: false });
    expect(failed.error!.message).toContain('GITHUB_TOKEN');
    expect(failed.error!.message).not.toContain(secret);
    expect(ourRequests().at(-1)).toMatchObject({
      status: 401,
      headers: expect.objectContaining({ authorization: '<redacted>' }),
    });
    expect(JSON.stringify(emulator.tickets.requests)).not.toContain(secret);
  });
});

describe('GitHub settings', () => {
  test('when the repository is not owner/repo and the token is missing, then CONFIG.INVALID names both variables', () => {
    expect(() => loadGithubSettings({ GITHUB_REPOSITORY: 'contoso', GITHUB_TOKEN: '' })).toThrow(
      /GITHUB_REPOSITORY must be owner\/repo[\s\S]*GITHUB_TOKEN is required/,
    );
  });

  test('when the API URL is plain http, then it is refused and the token is never echoed', () => {
    let message = '';
    try {
      loadGithubSettings({
        GITHUB_REPOSITORY: 'contoso/ops',
        GITHUB_TOKEN: 'ghp_secret',
        GITHUB_API_URL: 'http://ghe.contoso.com/api/v3',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('GITHUB_API_URL must be an https:// URL');
    expect(message).not.toContain('ghp_secret');
  });

  test('when only the required settings are given, then the API defaults to api.github.com', () => {
    expect(
      loadGithubSettings({ GITHUB_REPOSITORY: 'contoso/identity-ops', GITHUB_TOKEN: 'ghp_x' }),
    ).toMatchObject({
      GITHUB_API_URL: 'https://api.github.com',
    });
  });
});
