import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../emulator';
import {
  ADO_EMULATOR_ORG,
  ADO_EMULATOR_PAT,
  ADO_EMULATOR_PROJECT,
} from '../../emulator/tickets/azureDevOpsRoutes';
import { GITHUB_EMULATOR_TOKEN } from '../../emulator/tickets/githubRoutes';
import {
  JIRA_EMULATOR_API_TOKEN,
  JIRA_EMULATOR_EMAIL,
  JIRA_EMULATOR_PROJECT,
} from '../../emulator/tickets/jiraRoutes';
import {
  SERVICENOW_EMULATOR_PASSWORD,
  SERVICENOW_EMULATOR_USERNAME,
} from '../../emulator/tickets/servicenowRoutes';
import type { TicketRef } from '../../src/usecases/ports/actions';
import { admin, ticketContent } from '../helpers/runInChild';
import { runSinkInChild, type SinkStep } from '../helpers/runSinkInChild';

/**
 * Issue 11, finding 3: the marker that says "this update was already posted" must be something no
 * user-controlled text (an approver's name or note, a UPN) can produce. An approver who wrote the
 * marker of the `resolved` update into an earlier update silenced that update on Jira and ServiceNow.
 * Here every form of every system's marker, old and new, goes into a note and a UPN of one update;
 * the real `resolved` update must still be posted once, through the HTTPS fakes.
 */

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ scenario: 'admin-policy-off' });
});
afterAll(() => emulator?.stop());

/** Each system's marker for `key`, as the sinks write them now and wrote them before. */
function forgeries(key: string): string[] {
  return [
    `sspr-remediator ${key}`,
    `(sspr-remediator ${key})`,
    `<sspr-remediator ${key}>`,
    `[code]<sspr-remediator ${key}>[/code]`,
    `<!-- sspr-remediator:update=${encodeURIComponent(key)} -->`,
    `<p><small>sspr-remediator update <code>${key}</code></small></p>`,
    `sspr-remediator update ${key}`,
  ];
}

const RESOLVED_TEXT = 'Resolved: SSPR for administrators';

interface System {
  name: string;
  module: string;
  loader: string;
  sinkClass: string;
  env: () => Record<string, string>;
  /** The texts of every update (comment, work note, delivery) on the ticket `ref`. */
  updates: (ref: TicketRef, incidentId: string) => string[];
  /** Whether the ticket is closed/resolved/done (true for systems without states). */
  closed: (ref: TicketRef) => boolean;
}

const SYSTEMS: System[] = [
  {
    name: 'Jira',
    module: 'jiraSink',
    loader: 'loadJiraSettings',
    sinkClass: 'JiraSink',
    env: () => ({
      JIRA_BASE_URL: `${emulator.ticketsUrl}/jira`,
      JIRA_EMAIL: JIRA_EMULATOR_EMAIL,
      JIRA_API_TOKEN: JIRA_EMULATOR_API_TOKEN,
      JIRA_PROJECT_KEY: JIRA_EMULATOR_PROJECT,
    }),
    updates: (ref) =>
      emulator.tickets.jira.issues
        .find((issue) => issue.key === ref.id)!
        .comments.map((comment) => JSON.stringify(comment.body)),
    closed: (ref) =>
      emulator.tickets.jira.issues.find((issue) => issue.key === ref.id)!.status.category === 'done',
  },
  {
    name: 'ServiceNow',
    module: 'servicenowSink',
    loader: 'loadServicenowSettings',
    sinkClass: 'ServicenowSink',
    env: () => ({
      SERVICENOW_INSTANCE_URL: `${emulator.ticketsUrl}/servicenow`,
      SERVICENOW_USERNAME: SERVICENOW_EMULATOR_USERNAME,
      SERVICENOW_PASSWORD: SERVICENOW_EMULATOR_PASSWORD,
    }),
    updates: (ref) =>
      emulator.tickets.servicenow.incidents
        .find((incident) => incident.sysId === ref.id)!
        .workNotes.map((note) => note.value),
    closed: (ref) =>
      emulator.tickets.servicenow.incidents.find((incident) => incident.sysId === ref.id)!.fields.state ===
      '6',
  },
  {
    name: 'Azure DevOps',
    module: 'azureDevOpsSink',
    loader: 'loadAzureDevOpsSettings',
    sinkClass: 'AzureDevOpsSink',
    env: () => ({
      AZURE_DEVOPS_ORG_URL: `${emulator.ticketsUrl}/ado/${ADO_EMULATOR_ORG}`,
      AZURE_DEVOPS_PROJECT: ADO_EMULATOR_PROJECT,
      AZURE_DEVOPS_PAT: ADO_EMULATOR_PAT,
    }),
    updates: (ref) =>
      emulator.tickets.azureDevOps.workItems
        .find((item) => item.id === Number(ref.id))!
        .comments.map((comment) => comment.text),
    closed: (ref) =>
      emulator.tickets.azureDevOps.workItems.find((item) => item.id === Number(ref.id))!.fields[
        'System.State'
      ] === 'Done',
  },
  {
    name: 'GitHub',
    module: 'githubSink',
    loader: 'loadGithubSettings',
    sinkClass: 'GithubSink',
    env: () => ({
      GITHUB_API_URL: `${emulator.ticketsUrl}/github`,
      GITHUB_REPOSITORY: 'contoso/identity-ops',
      GITHUB_TOKEN: GITHUB_EMULATOR_TOKEN,
    }),
    updates: (ref) =>
      emulator.tickets.github.issues
        .find((issue) => issue.repo === 'identity-ops' && issue.number === Number(ref.id))!
        .comments.map((comment) => comment.body),
    closed: (ref) =>
      emulator.tickets.github.issues.find(
        (issue) => issue.repo === 'identity-ops' && issue.number === Number(ref.id),
      )!.state === 'closed',
  },
  {
    name: 'webhook',
    module: 'webhookSink',
    loader: 'loadWebhookSettings',
    sinkClass: 'WebhookSink',
    env: () => ({ TICKET_WEBHOOK_URL: `${emulator.ticketsUrl}/webhook/hooks/sspr` }),
    updates: (_ref, incidentId) =>
      emulator.tickets.webhook.deliveries
        .filter(
          (delivery) =>
            delivery.idempotencyKey?.startsWith(incidentId) &&
            !delivery.idempotencyKey.endsWith(':ticket:opened'),
        )
        // The key is a header, not text in the body; the body of the resolved delivery says resolved.
        .map((delivery) =>
          (delivery.body as { event?: string }).event === 'resolved'
            ? RESOLVED_TEXT
            : JSON.stringify(delivery.body),
        ),
    closed: () => true,
  },
];

async function run(system: System, steps: SinkStep[]) {
  const result = await runSinkInChild({
    module: `src/adapters/tickets/${system.module}.js`,
    loader: system.loader,
    sinkClass: system.sinkClass,
    env: system.env(),
    caCertPath: emulator.caCertPath,
    steps,
    sinkOptions: { backoffBaseMs: 1 },
  });
  return result.results;
}

describe('ticket markers cannot be forged by user text', () => {
  test.each(SYSTEMS.map((system) => [system.name, system] as const))(
    'when an approver note and a UPN on %s carry the marker of the resolved update, then the resolved update is still posted once',
    async (_name, system) => {
      const incidentId = randomUUID();
      const resolvedKey = `${incidentId}:ticket:resolved`;
      const [created] = await run(system, [
        { op: 'create', args: [ticketContent(incidentId), `${incidentId}:ticket:opened`] },
      ]);
      expect(created.ok).toBe(true);
      const ref = created.value as TicketRef;

      const forged = forgeries(resolvedKey);
      const hostileAdmin = admin(forged[0], randomUUID());
      const hostile = ticketContent(incidentId, {
        event: 'updated',
        admins: [admin('admin@contoso.com'), hostileAdmin],
        newAdmins: [hostileAdmin],
        note: forged.join('\n'),
      });
      const resolved = ticketContent(incidentId, { event: 'resolved', policy: { allowedToUseSSPR: true } });
      const results = await run(system, [
        { op: 'update', args: [ref, hostile, `${incidentId}:ticket:approved`] },
        { op: 'update', args: [ref, resolved, resolvedKey] },
        // A genuine repeat of the resolved update (a retry after a crash) is still recognised.
        { op: 'update', args: [ref, resolved, resolvedKey] },
      ]);
      expect(results.map((result) => result.error ?? 'ok')).toEqual(['ok', 'ok', 'ok']);

      const updates = system.updates(ref, incidentId);
      expect(updates.filter((text) => text.includes(RESOLVED_TEXT))).toHaveLength(1);
      expect(system.closed(ref)).toBe(true);
    },
  );
});
