import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config/config';
import { isHttpsUrl, type TicketSettings } from '../config/tickets';
import { AppError } from '../errors';
import type { TicketRouting } from '../usecases/ports/tenants';
import { KeyVaultSecrets } from './keyvault/keyVaultSecrets';
import type { Fence } from '../usecases/ports/state';
import type { RemediationMethod, Remediator, TicketSink } from '../usecases/ports/actions';
import { routingProblems } from '../core/ticketRouting';
import { AutomationRemediator } from './automation/automationRemediator';
import { GraphRemediator } from './graph/graphRemediator';
import { AzureDevOpsSink } from './tickets/azureDevOpsSink';
import { GithubSink } from './tickets/githubSink';
import { JiraSink } from './tickets/jiraSink';
import { ServicenowSink } from './tickets/servicenowSink';
import type { SinkRouting, TicketSinkOptions } from './tickets/sinkCommon';
import { WebhookSink } from './tickets/webhookSink';

export interface ActionAdapters {
  /**
   * The ticket sink, for one scan: every request it sends first checks that scan's tenant lease, and the
   * tenant's routing (issue 15), when given, overrides where its tickets go for this sink only.
   */
  ticketsFor(fence?: Fence, routing?: TicketRouting): TicketSink | undefined;
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
  // One reader (and cache) for the process: tenants' webhook URLs are read at ticket time.
  const secrets = config.keyVault && new KeyVaultSecrets(homeCredential, config.keyVault);
  return {
    ticketsFor: (fence, routing) => {
      // The registry validates on input; checked again here because its values go into queries and paths.
      const problems = routing ? routingProblems(routing, config.tickets?.system) : [];
      if (config.tickets && problems.length > 0) return refusingSink(config.tickets.system, problems);
      return ticketSink(config.tickets, { fence, routing: routing && sinkRouting(routing, secrets) });
    },
    remediatorsFor,
    remediatorFor: (graph) => (fixes ? remediatorsFor(graph)[config.remediationMethod] : undefined),
  };
}

/**
 * A sink for a tenant whose routing is invalid: each ticket step fails with the problems, so nothing is
 * sent (least of all to the deployment's default destination), the incident stays open, and the scan
 * itself still runs.
 */
function refusingSink(system: TicketSink['system'], problems: string[]): TicketSink {
  const refuse = (): never => {
    throw new AppError(
      'TICKET.ROUTING_INVALID',
      `This tenant's ticket routing cannot be used, so no ticket was sent: ${problems.join(' ')}`,
    );
  };
  return { system, find: async () => refuse(), create: async () => refuse(), update: async () => refuse() };
}

/**
 * The sink's view of a tenant's routing. The webhook URL is read from Key Vault when a ticket is sent,
 * and checked before anything goes to it: a failure stops the ticket, never falls back to the default.
 */
function sinkRouting(routing: TicketRouting, secrets: KeyVaultSecrets | undefined): SinkRouting {
  const name = routing.webhookUrlSecret;
  const webhookUrl = name && {
    describe: `the Key Vault secret "${name}"`,
    read: async () => {
      if (!secrets) {
        throw new AppError(
          'TICKET.SECRET_UNAVAILABLE',
          `This tenant's webhook URL is in the Key Vault secret "${name}", but KEY_VAULT_URI is not set. Set it to the deployment's vault, e.g. https://kv-contoso.vault.azure.net/.`,
        );
      }
      const url = (await secrets.read(name)).trim();
      if (!isHttpsUrl(url)) {
        throw new AppError(
          'TICKET.SECRET_INVALID',
          `The Key Vault secret "${name}" does not hold an absolute https:// URL without credentials, so nothing was sent. Set its value to the receiver's https address.`,
        );
      }
      return url;
    },
  };
  return {
    project: routing.project,
    assignmentGroup: routing.assignmentGroup,
    ...(webhookUrl ? { webhookUrl } : {}),
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
