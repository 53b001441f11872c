import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config/config';
import type { TicketSettings } from '../config/tickets';
import type { Fence } from '../usecases/ports/state';
import type { RemediationMethod, Remediator, TicketSink } from '../usecases/ports/actions';
import { AutomationRemediator } from './automation/automationRemediator';
import { GraphRemediator } from './graph/graphRemediator';
import { AzureDevOpsSink } from './tickets/azureDevOpsSink';
import { GithubSink } from './tickets/githubSink';
import { JiraSink } from './tickets/jiraSink';
import { ServicenowSink } from './tickets/servicenowSink';
import type { TicketSinkOptions } from './tickets/sinkCommon';
import { WebhookSink } from './tickets/webhookSink';

export interface ActionAdapters {
  /** The ticket sink, for one scan: every request it sends first checks that scan's tenant lease. */
  ticketsFor(fence?: Fence): TicketSink | undefined;
  /** The remediator for new fixes, for one tenant's Graph client (the PATCH must go to that tenant). */
  remediatorFor(graph: Client): Remediator | undefined;
  /** Every remediator whose settings are present, to follow a fix started under another mode or method. */
  remediatorsFor(graph: Client): Partial<Record<RemediationMethod, Remediator>>;
}

/**
 * Builds the ticket sink and remediator the settings ask for. Their settings were checked when the
 * configuration was loaded (CONFIG.INVALID naming each variable), not at the first incident.
 */
export function createActionAdapters(config: Config, homeCredential: TokenCredential): ActionAdapters {
  if (config.actionMode === 'report')
    return { ticketsFor: () => undefined, remediatorFor: () => undefined, remediatorsFor: () => ({}) };
  const fixes = config.actionMode === 'remediate' || config.actionMode === 'approve';
  // Present when new fixes use it (config requires it then), or when its settings are all there (to follow a job).
  const automation = config.automation && new AutomationRemediator(homeCredential, config.automation);
  const remediatorsFor = (graph: Client) => ({
    graph: new GraphRemediator(graph),
    ...(automation ? { runbook: automation } : {}),
  });
  return {
    ticketsFor: (fence) => ticketSink(config.tickets, { fence }),
    remediatorsFor,
    remediatorFor: (graph) => (fixes ? remediatorsFor(graph)[config.remediationMethod] : undefined),
  };
}

function ticketSink(tickets: TicketSettings | undefined, options: TicketSinkOptions): TicketSink | undefined {
  switch (tickets?.system) {
    case 'servicenow':
      return new ServicenowSink(tickets.settings, options);
    case 'jira':
      return new JiraSink(tickets.settings, options);
    case 'azuredevops':
      return new AzureDevOpsSink(tickets.settings, options);
    case 'github':
      return new GithubSink(tickets.settings, options);
    case 'webhook':
      return new WebhookSink(tickets.settings, options);
    case undefined:
      return undefined;
  }
}
