import { runCli, type CliRun } from '../helpers/cli';

/**
 * `sspr-remediator demo` as a newcomer runs it: its own emulator and Azurite, the real CLI in child
 * processes. What it prints must say what each step shows, and its claims must be the fakes' counts.
 */
describe('sspr-remediator demo', () => {
  let demo: CliRun;
  // The demo starts Azurite and the emulator and runs four CLI processes: far more than one test's default time.
  beforeAll(async () => {
    demo = await runCli(['demo'], { ...process.env });
  }, 300_000);
  const step = (n: number) => {
    const start = demo.stdout.indexOf(`\n${n}. `);
    const end = demo.stdout.indexOf(`\n${n + 1}. `, start);
    return demo.stdout.slice(start, end < 0 ? undefined : end);
  };

  test('when it runs, then it exits 0', () => {
    // The whole run on failure: what it printed says which step broke.
    expect(demo).toMatchObject({ code: 0 });
  });

  test('when step 2 reads no new failures, then it says it acts on the incident step 1 recorded, and resolves that one', () => {
    const opened = /Incident (\S+) \(SSPR_009, open\)/.exec(step(1))?.[1];
    expect(opened).toBeDefined();
    expect(step(2)).toContain('acts on the incident step 1 recorded');
    expect(step(2)).toContain('No new failed self-service password resets');
    expect(step(2)).toContain(`Incident ${opened} (SSPR_009, resolved)`);
  });

  test('when step 3 scans again, then its scan is shown and the ticket and job counts come from the fakes', () => {
    expect(step(3)).toContain('$ ACTION_MODE=remediate TICKET_SYSTEM=webhook sspr-remediator scan --tenant');
    expect(step(3)).toMatch(/^Tenant \S+$/m);
    expect(step(3)).toMatch(/^\d+ SSPR audit events read/m);
    expect(step(3)).toContain(
      'Seen by the fakes after both scans: tickets created: 1 (webhook events: opened, resolved), runbook jobs started: 1.',
    );
    expect(step(3)).toContain('No second ticket, no second job.');
  });

  test('when it prints the error code, then people read one spelling, SSPR_009, and the note says where the JSON writes SSPR_0009', () => {
    const withoutNote = demo.stdout.replace(/^\(SSPR_009 is written SSPR_0009 in --json errorCode.*\)$/m, '');
    expect(withoutNote).not.toContain('SSPR_0009');
    expect(demo.stdout).toMatch(/^adele\.vance@contoso\.com +confirmed .* SSPR_009 /m);
    expect(demo.stdout).toContain('(SSPR_009 is written SSPR_0009 in --json errorCode');
  });
});
