import { randomUUID } from 'node:crypto';
import { startEmulator, type RunningEmulator } from '../../emulator';
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
import { ticketContent } from '../helpers/runInChild';
import { runSinkInChild, type SinkStep } from '../helpers/runSinkInChild';

/**
 * Issue 11, finding 4: a write whose answer was lost (a proxy's 502/504 after the system stored it)
 * must not be sent again without looking first. Jira comments and transitions and ServiceNow work
 * notes were retried blindly; a Jira issue whose create answer was lost was looked for with a search
 * that lags behind writes (eventually consistent, as Atlassian documents), missed, and filed again.
 * The waits between looks are shortened through the sink options; nothing here races a clock.
 */

let emulator: RunningEmulator;
beforeAll(async () => {
  emulator = await startEmulator({ scenario: 'admin-policy-off' });
});
afterAll(() => emulator?.stop());
afterEach(() => {
  emulator.tickets.jira.searchLagRequests = 0;
  for (const issue of emulator.tickets.jira.issues) issue.hiddenFromSearches = 0;
  emulator.tickets.lostAnswers.clear();
  emulator.tickets.lostAnswersByMethod.clear();
});

const SINK_OPTIONS = { backoffBaseMs: 1, searchSettleWaitsMs: [1, 1, 1, 1, 1] };

async function jira(steps: SinkStep[]) {
  const run = await runSinkInChild({
    module: 'src/adapters/tickets/jiraSink.js',
    loader: 'loadJiraSettings',
    sinkClass: 'JiraSink',
    env: {
      JIRA_BASE_URL: `${emulator.ticketsUrl}/jira`,
      JIRA_EMAIL: JIRA_EMULATOR_EMAIL,
      JIRA_API_TOKEN: JIRA_EMULATOR_API_TOKEN,
      JIRA_PROJECT_KEY: JIRA_EMULATOR_PROJECT,
    },
    caCertPath: emulator.caCertPath,
    steps,
    sinkOptions: SINK_OPTIONS,
  });
  return run.results;
}

async function servicenow(steps: SinkStep[]) {
  const run = await runSinkInChild({
    module: 'src/adapters/tickets/servicenowSink.js',
    loader: 'loadServicenowSettings',
    sinkClass: 'ServicenowSink',
    env: {
      SERVICENOW_INSTANCE_URL: `${emulator.ticketsUrl}/servicenow`,
      SERVICENOW_USERNAME: SERVICENOW_EMULATOR_USERNAME,
      SERVICENOW_PASSWORD: SERVICENOW_EMULATOR_PASSWORD,
    },
    caCertPath: emulator.caCertPath,
    steps,
    sinkOptions: SINK_OPTIONS,
  });
  return run.results;
}

const jiraIssues = (incidentId: string) =>
  emulator.tickets.jira.issues.filter((issue) => issue.labels.includes(`sspr-incident-${incidentId}`));
const updated = (incidentId: string) => ticketContent(incidentId, { event: 'updated', newAdmins: [] });
const resolved = (incidentId: string) =>
  ticketContent(incidentId, { event: 'resolved', policy: { allowedToUseSSPR: true } });

describe('duplicates after a lost answer', () => {
  test('when the answer to a Jira comment is lost, then the sink looks before retrying and there is one comment', async () => {
    const incidentId = randomUUID();
    const [created] = await jira([
      { op: 'create', args: [ticketContent(incidentId), `${incidentId}:ticket:opened`] },
    ]);
    const ref = created.value as TicketRef;
    emulator.tickets.loseNextAnswersTo('jira', 'POST', 504);

    const [result] = await jira([
      { op: 'update', args: [ref, updated(incidentId), `${incidentId}:ticket:updated:1`] },
    ]);

    expect(result.error ?? 'ok').toBe('ok');
    expect(jiraIssues(incidentId)[0].comments).toHaveLength(1);
  });

  test('when the answers to a Jira comment and transition are lost, then there is one comment, the issue is done and the step succeeds', async () => {
    const incidentId = randomUUID();
    const [created] = await jira([
      { op: 'create', args: [ticketContent(incidentId), `${incidentId}:ticket:opened`] },
    ]);
    const ref = created.value as TicketRef;
    emulator.tickets.loseNextAnswersTo('jira', 'POST', 502, 2);

    const [result] = await jira([
      { op: 'update', args: [ref, resolved(incidentId), `${incidentId}:ticket:resolved`] },
    ]);

    expect(result.error ?? 'ok').toBe('ok');
    const [issue] = jiraIssues(incidentId);
    expect(issue.comments).toHaveLength(1);
    expect(issue.status.category).toBe('done');
  });

  test('when the answer to a ServiceNow work note is lost, then the sink looks before retrying and there is one note', async () => {
    const incidentId = randomUUID();
    const [created] = await servicenow([
      { op: 'create', args: [ticketContent(incidentId), `${incidentId}:ticket:opened`] },
    ]);
    const ref = created.value as TicketRef;
    emulator.tickets.loseNextAnswersTo('servicenow', 'PATCH', 504);

    const [result] = await servicenow([
      { op: 'update', args: [ref, resolved(incidentId), `${incidentId}:ticket:resolved`] },
    ]);

    expect(result.error ?? 'ok').toBe('ok');
    const incident = emulator.tickets.servicenow.incidents.find((candidate) => candidate.sysId === ref.id)!;
    expect(incident.workNotes).toHaveLength(1);
    expect(incident.fields.state).toBe('6');
  });

  test('when a Jira create answer is lost and the search lags a few requests behind, then the sink waits, finds the issue and files no second one', async () => {
    const incidentId = randomUUID();
    emulator.tickets.jira.searchLagRequests = 3;
    emulator.tickets.loseNextAnswers('jira', 504);

    const [created] = await jira([
      { op: 'create', args: [ticketContent(incidentId), `${incidentId}:ticket:opened`] },
    ]);

    expect(jiraIssues(incidentId)).toHaveLength(1);
    expect(created.error ?? 'ok').toBe('ok');
    expect((created.value as TicketRef).id).toBe(jiraIssues(incidentId)[0].key);
  });

  test('when a Jira create answer is lost and the search lags longer than the sink waits, then the step fails as transient without a second issue, and the next look finds it', async () => {
    const incidentId = randomUUID();
    emulator.tickets.jira.searchLagRequests = 1000;
    emulator.tickets.loseNextAnswers('jira', 504);

    const [created] = await jira([
      { op: 'create', args: [ticketContent(incidentId), `${incidentId}:ticket:opened`] },
    ]);

    expect(jiraIssues(incidentId)).toHaveLength(1);
    expect(created.error).toMatchObject({ code: 'TICKET.JIRA_FAILED', transient: true });
    expect(created.error?.message).toMatch(/search/i);

    // Minutes later the index has caught up: the next scan's look (find before create) finds it.
    emulator.tickets.jira.searchLagRequests = 0;
    for (const issue of emulator.tickets.jira.issues) issue.hiddenFromSearches = 0;
    const [found] = await jira([{ op: 'find', args: [incidentId] }]);
    expect((found.value as TicketRef).id).toBe(jiraIssues(incidentId)[0].key);
  });
});
