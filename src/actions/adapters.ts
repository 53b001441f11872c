import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config';
import type { Remediator, TicketSink } from './ports';
import { AutomationRemediator } from './remediation/automationRemediator';
import { loadAutomationSettings } from './remediation/automationSettings';
import { GraphRemediator } from './remediation/graphRemediator';
import { AzureDevOpsSink, loadAzureDevOpsSettings } from './tickets/azureDevOpsSink';
import { GithubSink, loadGithubSettings } from './tickets/githubSink';
import { JiraSink, loadJiraSettings } from './tickets/jiraSink';
import { loadServicenowSettings, ServicenowSink } from './tickets/servicenowSink';
import { loadWebhookSettings, WebhookSink } from './tickets/webhookSink';

export interface ActionAdapters {
  tickets?: TicketSink;
  /** Builds the remediator for one tenant's Graph client (the PATCH must go to that tenant). */
  remediatorFor(graph: Client): Remediator | undefined;
}

/**
 * Builds the ticket sink and remediator the settings ask for. Their settings are checked here, at
 * start-up (CONFIG.INVALID naming each variable), not at the first incident months later.
 */
export function createActionAdapters(config: Config, homeCredential: TokenCredential): ActionAdapters {
  if (config.actionMode === 'report') return { remediatorFor: () => undefined };
  const tickets = ticketSink(config);
  if (config.actionMode === 'ticket') return { tickets, remediatorFor: () => undefined };
  if (config.remediationMethod === 'graph') return { tickets, remediatorFor: (graph) => new GraphRemediator(graph) };
  const automation = new AutomationRemediator(homeCredential, loadAutomationSettings(config.env, config.cloud));
  return { tickets, remediatorFor: () => automation };
}

function ticketSink(config: Config): TicketSink | undefined {
  const env = config.env;
  switch (config.ticketSystem) {
    case 'servicenow':
      return new ServicenowSink(loadServicenowSettings(env));
    case 'jira':
      return new JiraSink(loadJiraSettings(env));
    case 'azuredevops':
      return new AzureDevOpsSink(loadAzureDevOpsSettings(env));
    case 'github':
      return new GithubSink(loadGithubSettings(env));
    case 'webhook':
      return new WebhookSink(loadWebhookSettings(env));
    case undefined:
      return undefined;
  }
}
