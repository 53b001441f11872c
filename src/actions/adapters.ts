import type { TokenCredential } from '@azure/identity';
import type { Client } from '@microsoft/microsoft-graph-client';
import type { Config } from '../config';
import type { Remediator, TicketSink } from './ports';

/** The ticket sink TICKET_SYSTEM names (settings were validated by loadConfig). */
export function createTicketSink(config: Config): TicketSink | undefined {
  if (config.actionMode === 'report' || !config.ticketSystem) return undefined;
  return undefined;
}

/** The remediator REMEDIATION_METHOD names, for the modes that fix. */
export function createRemediator(config: Config, credential: TokenCredential, graph: Client): Remediator | undefined {
  if (config.actionMode !== 'remediate' && config.actionMode !== 'approve') return undefined;
  void credential;
  void graph;
  return undefined;
}
