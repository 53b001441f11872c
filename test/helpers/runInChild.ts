import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AffectedAdmin, TicketContent, TicketEvent } from '../../src/usecases/ports/actions';
import { childJson, runNode } from './nodeChild';
import { runSinkInChild } from './runSinkInChild';

/** The compiled project; `npm test` builds it before jest runs. */
export const DIST = path.resolve(__dirname, '../../dist');

export interface ChildResult<T = any> {
  ok: boolean;
  value?: T;
  error?: { name?: string; code?: string; message: string };
  stderr: string;
}

/**
 * Runs `body` (the body of an async function; it sees `input` and `dist(relativePath)`, which requires
 * from dist/) in a fresh node process and returns what it returned, or the error it threw.
 * A child, because Node's fetch trusts extra CAs (the emulator's self-signed certificate) only through
 * NODE_EXTRA_CA_CERTS read at process start, and TLS checks are never to be turned off.
 * The child gets only PATH and `env`: nothing of the test process's environment leaks in.
 */
export async function runInChild<T = any>(
  body: string,
  input: unknown,
  env: Record<string, string>,
): Promise<ChildResult<T>> {
  if (!fs.existsSync(path.join(DIST, 'src')))
    throw new Error(`${DIST} is missing: run npm run build first (npm test does).`);
  const script = `
    const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
    const dist = (relative) => require(require('node:path').join(${JSON.stringify(DIST)}, relative));
    (async () => { ${body} })().then(
      (value) => process.stdout.write(JSON.stringify({ ok: true, value: value === undefined ? null : value })),
      (err) => process.stdout.write(JSON.stringify({ ok: false, error: { name: err && err.name, code: err && err.code, message: String(err && err.message) } })),
    );`;
  const output = await runNode(
    ['-e', script],
    { PATH: process.env.PATH ?? '', ...env },
    'a test child',
    JSON.stringify(input),
  );
  return { ...childJson(output, 'the test child'), stderr: output.stderr };
}

/** Which compiled sink to run: its module under dist/src/adapters/tickets, class and settings loader. */
export interface SinkModule {
  file: string;
  className: string;
  loader: string;
}

/** One call `sink[op](...args)` on the sink built from `settings`, in a child that trusts `caCertPath`. */
export async function runSink<T = any>(
  caCertPath: string,
  sink: SinkModule,
  settings: Record<string, string>,
  op: 'find' | 'create' | 'update',
  args: unknown[],
): Promise<ChildResult<T>> {
  const run = await runSinkInChild({
    module: `src/adapters/tickets/${sink.file}.js`,
    loader: sink.loader,
    sinkClass: sink.className,
    env: settings,
    caCertPath,
    steps: [{ op, args }],
  });
  const [result] = run.results;
  const error = result.error
    ? { code: result.error.code ?? undefined, message: result.error.message }
    : undefined;
  return {
    ok: result.ok === true,
    value: result.ok ? (result.value ?? null) : undefined,
    error,
    stderr: run.stderr,
  };
}

/** An admin with the given UPN, for ticket content in tests. */
export function admin(
  userPrincipalName: string | null,
  userId = '11111111-1111-1111-1111-111111111111',
): AffectedAdmin {
  return {
    userId,
    userPrincipalName,
    roles: ['Global Administrator'],
    synced: true,
    eventIds: ['event-1'],
    correlationIds: ['corr-1'],
    lastFailureAt: '2026-01-10T08:00:00Z',
  };
}

/** A confirmed SSPR_009 incident as the scan hands it to a ticket sink. */
export function ticketContent(incidentId: string, overrides: Partial<TicketContent> = {}): TicketContent {
  return {
    incidentId,
    tenantId: '00000000-0000-0000-0000-0000000000aa',
    cause: 'SSPR_009',
    event: 'opened',
    admins: [admin('admin@contoso.com')],
    newAdmins: [],
    policy: { allowedToUseSSPR: false },
    disabledBy: { by: 'hardening@contoso.com', at: '2026-01-09T10:00:00Z' },
    remediation: null,
    note: null,
    ...overrides,
  };
}

/** What a sink is given for `event`: on an update the last admin is the new one; once resolved the switch reads on. */
export function contentFor(
  incidentId: string,
  event: TicketEvent,
  admins: AffectedAdmin[] = [admin('ada@contoso.com', randomUUID())],
): TicketContent {
  return ticketContent(incidentId, {
    event,
    admins,
    newAdmins: event === 'updated' ? admins.slice(-1) : [],
    policy: { allowedToUseSSPR: event === 'resolved' },
  });
}
