import type { Client } from '@microsoft/microsoft-graph-client';
import { AppError } from '../../errors';
import { describeGraphFailure, graphCallFailed } from './graphErrors';
import type { RemediationProgress, RemediationRef, Remediator } from '../../usecases/ports/actions';

const PERMISSION = 'Policy.ReadWrite.Authorization';

/**
 * Fixes the tenant directly (REMEDIATION_METHOD=graph): PATCH the authorization policy with
 * allowedToUseSSPR=true. Graph applies it synchronously (204), so there is no job to follow and nothing
 * to store; PATCHing true twice is harmless, which makes a retry after a crash safe. Uses the app's
 * Graph client (pacing and retries included) and needs Policy.ReadWrite.Authorization.
 */
export class GraphRemediator implements Remediator {
  readonly method = 'graph' as const;

  constructor(private readonly client: Client) {}

  /** The Graph client is already bound to the incident's tenant; the incident needs no trace in Graph. */
  async start(): Promise<RemediationRef> {
    try {
      await this.client.api('/policies/authorizationPolicy').patch({ allowedToUseSSPR: true });
    } catch (err) {
      throw patchFailed(err);
    }
    return { method: 'graph', jobName: null };
  }

  /** start() only returns after Graph answered 204, so a ref means the PATCH was accepted. */
  async progress(ref: RemediationRef): Promise<RemediationProgress> {
    if (ref.method !== 'graph') {
      throw new AppError(
        'REMEDIATION.BAD_REF',
        `A ${ref.method} remediation cannot be followed by the Graph remediator.`,
      );
    }
    return {
      status: 'Completed',
      terminal: true,
      succeeded: true,
      result: null,
      detail:
        'Graph accepted PATCH /policies/authorizationPolicy (204); the change can take up to 60 minutes to apply.',
    };
  }
}

function patchFailed(err: unknown): AppError {
  const { status, text } = describeGraphFailure(err);
  const what = 'Switching admin SSPR on (PATCH /policies/authorizationPolicy)';
  if (status === 403) {
    return new AppError(
      'REMEDIATION.FORBIDDEN',
      `${what}: ${text}. Grant the application permission ${PERMISSION} with admin consent, or use REMEDIATION_METHOD=runbook.`,
      { status },
    );
  }
  if (status === 500) {
    return new AppError(
      'REMEDIATION.GRAPH_FAILED',
      `${what}: ${text}. Graph has answered 500 on tenants whose authorization policy has no allowedToUseSSPR property (new tenants, tenants without Entra ID P1): switch admin SSPR on another way, or retry later if the property exists.`,
      { status, transient: true },
    );
  }
  // No status: our own pipeline errors (AUTH.NO_TOKEN, GRAPH.UNREACHABLE) keep their codes and advice.
  if (status === undefined) return graphCallFailed(err, what, PERMISSION);
  const transient = status === 429 || status >= 500;
  return new AppError('REMEDIATION.GRAPH_FAILED', `${what}: ${text}.${transient ? ' Retry later.' : ''}`, {
    status,
    transient,
  });
}
