import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config/config';
import type { Fence } from '../usecases/ports/state';
import type { RemediationMethod, Remediator, TicketSink } from '../usecases/ports/actions';
import { AutomationRemediator } from './automation/automationRemediator';
import { loadAutomationSettings } from './automation/automationSettings';
import { GraphRemediator } from './graph/graphRemediator';
import { AzureDevOpsSink, loadAzureDevOpsSettings } from './tickets/azureDevOpsSink';
import { GithubSink, loadGithubSettings } from './tickets/githubSink';
import { JiraSink, loadJiraSettings } from './tickets/jiraSink';
import { loadServicenowSettings, ServicenowSink } from './tickets/servicenowSink';
import type { TicketSinkOptions } from './tickets/sinkCommon';
import { loadWebhookSettings, WebhookSink } from './tickets/webhookSink';

export interface ActionAdapters {
  /** The ticket sink, for one scan: every request it sends first checks that scan's tenant lease. */
  ticketsFor(fence?: Fence): TicketSink | undefined;
  /** The remediator for new fixes, for one tenant's Graph client (the PATCH must go to that tenant). */
  remediatorFor(graph: Client): Remediator | undefined;
  /** Every remediator whose settings are present, to follow a fix started under another mode or method. */
  remediatorsFor(graph: Client): Partial<Record<RemediationMethod, Remediator>>;
}

/**
 * Builds the ticket sink and remediator the settings ask for. Their settings are checked here, at
 * start-up (CONFIG.INVALID naming each variable), not at the first incident months later.
 */
export function createActionAdapters(config: Config, homeCredential: TokenCredential): ActionAdapters {
  if (config.actionMode === 'report')
    return { ticketsFor: () => undefined, remediatorFor: () => undefined, remediatorsFor: () => ({}) };
  ticketSink(config); // now, so a bad ticket setting stops start-up
  const fixes = config.actionMode === 'remediate' || config.actionMode === 'approve';
  // Required when new fixes use it; otherwise built only if its settings are there (to follow a job).
  const automation =
    fixes && config.remediationMethod === 'runbook'
      ? automationRemediator(config, homeCredential)
      : optional(() => automationRemediator(config, homeCredential));
  const remediatorsFor = (graph: Client) => ({
    graph: new GraphRemediator(graph),
    ...(automation ? { runbook: automation } : {}),
  });
  return {
    ticketsFor: (fence) => ticketSink(config, { fence }),
    remediatorsFor,
    remediatorFor: (graph) => (fixes ? remediatorsFor(graph)[config.remediationMethod] : undefined),
  };
}

/**
 * Each group of settings the mode needs (the ticket system's, the runbook's), loaded on its own without
 * building anything, so a report can name every bad setting rather than the first.
 */
export function actionSettingChecks(config: Config): Array<() => unknown> {
  if (config.actionMode === 'report') return [];
  const fixes = config.actionMode === 'remediate' || config.actionMode === 'approve';
  const runbook = fixes && config.remediationMethod === 'runbook';
  return [
    () => ticketSink(config),
    ...(runbook ? [() => loadAutomationSettings(config.env, config.cloud)] : []),
  ];
}

function automationRemediator(config: Config, credential: TokenCredential): AutomationRemediator {
  return new AutomationRemediator(credential, loadAutomationSettings(config.env, config.cloud));
}

function optional<T>(build: () => T): T | undefined {
  try {
    return build();
  } catch {
    return undefined;
  }
}

function ticketSink(config: Config, options: TicketSinkOptions = {}): TicketSink | undefined {
  const env = config.env;
  switch (config.ticketSystem) {
    case 'servicenow':
      return new ServicenowSink(loadServicenowSettings(env), options);
    case 'jira':
      return new JiraSink(loadJiraSettings(env), options);
    case 'azuredevops':
      return new AzureDevOpsSink(loadAzureDevOpsSettings(env), options);
    case 'github':
      return new GithubSink(loadGithubSettings(env), options);
    case 'webhook':
      return new WebhookSink(loadWebhookSettings(env), options);
    case undefined:
      return undefined;
  }
}
