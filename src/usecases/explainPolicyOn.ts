import type { Finding, SsprFailure } from '../core/model';
import { policyOnCause } from '../core/policyOnCause';
import type { DirectoryReader } from './ports/graph';

/**
 * Administrators who failed while admin SSPR was on failed for another reason: read their SSPR
 * registration (one $batch for all of them) and name the likely cause and the next step in the
 * finding's reason. Advice only; the verdict stays `policy-on`.
 */
export async function explainPolicyOn(
  deps: { directory: DirectoryReader },
  findings: Finding[],
  failuresByUser: Map<string, SsprFailure[]>,
): Promise<Finding[]> {
  const policyOn = findings.filter((finding) => finding.verdict === 'policy-on');
  if (policyOn.length === 0) return findings;
  const registrations = await deps.directory.registrationDetails(policyOn.map((finding) => finding.userId));
  return findings.map((finding) =>
    finding.verdict === 'policy-on'
      ? {
          ...finding,
          reason: `${finding.reason} ${policyOnCause(registrations.get(finding.userId), failuresByUser.get(finding.userId)!)}`,
        }
      : finding,
  );
}
