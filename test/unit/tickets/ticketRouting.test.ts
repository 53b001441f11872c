import { isKeyVaultSecretName, routingProblems } from '../../../src/core/ticketRouting';

describe('ticket routing per tenant (core rules)', () => {
  test('when each field fits its ticket system, then there is no problem', () => {
    expect(routingProblems({ project: 'contoso/identity-ops' }, 'github')).toEqual([]);
    expect(routingProblems({ project: 'SEC' }, 'jira')).toEqual([]);
    expect(routingProblems({ project: 'Identity Ops' }, 'azuredevops')).toEqual([]);
    expect(routingProblems({ assignmentGroup: 'Identity – Tier 2' }, 'servicenow')).toEqual([]);
    expect(routingProblems({ webhookUrlSecret: 'tenant-contoso-webhook' }, 'webhook')).toEqual([]);
    expect(routingProblems({}, undefined)).toEqual([]);
  });

  test('when a field does not apply to TICKET_SYSTEM, then the problem names the field and the systems it applies to', () => {
    expect(routingProblems({ assignmentGroup: 'Identity' }, 'github')).toEqual([
      'routing.assignmentGroup applies to servicenow only; TICKET_SYSTEM is github. Remove it.',
    ]);
    expect(routingProblems({ project: 'SEC', webhookUrlSecret: 'x' }, 'servicenow')).toHaveLength(2);
    expect(routingProblems({ project: 'SEC' }, undefined)[0]).toContain('TICKET_SYSTEM is not set');
  });

  test('when the project has the wrong shape for the system, then it is refused with an example', () => {
    expect(routingProblems({ project: 'identity-ops' }, 'github')[0]).toContain('owner/name');
    expect(routingProblems({ project: 'contoso/..' }, 'github')).toHaveLength(1);
    expect(routingProblems({ project: '-contoso/x' }, 'github')).toHaveLength(1);
    expect(routingProblems({ project: 'Security' }, 'jira')[0]).toContain('Jira project key');
    expect(routingProblems({ project: 'Identity/../Other' }, 'azuredevops')[0]).toContain('Azure DevOps');
    expect(routingProblems({ project: 'x'.repeat(65) }, 'azuredevops')).toHaveLength(1);
    // URL normalisation would drop these path segments and reach another project or the organisation.
    for (const dots of ['.', '..', 'Identity.'])
      expect(routingProblems({ project: dots }, 'azuredevops')[0]).toContain('not ending in .');
    expect(routingProblems({ assignmentGroup: 'g'.repeat(101) }, 'servicenow')[0]).toContain('at most 100');
  });

  test('when a field holds control or invisible characters, blanks or padding, then it is refused', () => {
    for (const value of ['Iden\u202etity', 'Ident\u200bity', 'a\nb', 'a\u0007', '', '   ', ' Identity']) {
      expect(routingProblems({ assignmentGroup: value }, 'servicenow')).toHaveLength(1);
    }
    expect(routingProblems({ project: 42 as unknown as string }, 'jira')[0]).toContain('non-empty text');
  });

  test('when the webhook secret is a URI or the URL itself, then it is refused: only a Key Vault secret name is accepted', () => {
    expect(isKeyVaultSecretName('a')).toBe(true);
    expect(isKeyVaultSecretName('A-b-9'.padEnd(127, 'x'))).toBe(true);
    expect(isKeyVaultSecretName('x'.repeat(128))).toBe(false);
    expect(isKeyVaultSecretName('')).toBe(false);
    expect(isKeyVaultSecretName('tenant_webhook')).toBe(false);
    expect(isKeyVaultSecretName('tenant.webhook')).toBe(false);
    const uri = 'https://kv-other.vault.azure.net/secrets/hook';
    expect(isKeyVaultSecretName(uri)).toBe(false);
    expect(routingProblems({ webhookUrlSecret: uri }, 'webhook')[0]).toContain('not a URI');
    expect(routingProblems({ webhookUrlSecret: 'https://hooks.example.com/x' }, 'webhook')).toHaveLength(1);
  });
});
