/**
 * The runbook contract: what the remediator sends, what Enable-AdminSspr.ps1 declares, what Bicep creates
 * (name, type, modules) and what the postprovision hook publishes.
 */

export interface DeclaredParameter {
  name: string;
  mandatory: boolean;
  validateSet: string[] | null;
}

/** The top-level `param( … )` block of a PowerShell script, read as text (no pwsh here). */
export function declaredParameters(script: string): DeclaredParameter[] {
  const start = script.search(/^param\s*\(/im);
  if (start === -1) return [];
  let depth = 0;
  let end = -1;
  for (let i = script.indexOf('(', start); i < script.length; i++) {
    if (script[i] === '(') depth++;
    if (script[i] === ')' && --depth === 0) {
      end = i;
      break;
    }
  }
  if (end === -1) throw new Error('the param( ) block is not closed');
  const body = script.slice(script.indexOf('(', start) + 1, end);
  return body
    .split(/,\s*\n/)
    .map((declaration) => {
      const variable = /\$(\w+)/.exec(declaration.replace(/\[(?:Parameter|ValidateSet)\([^)]*\)\]/g, ''));
      if (!variable) return undefined;
      const set = /\[ValidateSet\(([^)]*)\)\]/.exec(declaration);
      return {
        name: variable[1],
        mandatory: /\[Parameter\([^)]*Mandatory/.test(declaration),
        validateSet: set ? [...set[1].matchAll(/'([^']*)'/g)].map((m) => m[1]) : null,
      };
    })
    .filter((p): p is DeclaredParameter => p !== undefined);
}

/** The PowerShell module each cmdlet family the runbook calls comes from. */
export const CMDLET_MODULES: Array<{ cmdlet: RegExp; module: string }> = [
  {
    cmdlet: /\b(?:Connect|Disconnect)-MgGraph\b|\bGet-MgContext\b/,
    module: 'Microsoft.Graph.Authentication',
  },
  { cmdlet: /\b(?:Get|Update)-MgPolicyAuthorizationPolicy\b/, module: 'Microsoft.Graph.Identity.SignIns' },
];

export function modulesNeeded(script: string): string[] {
  return CMDLET_MODULES.filter(({ cmdlet }) => cmdlet.test(script)).map(({ module }) => module);
}

export interface RunbookContract {
  /** RUNBOOK_PARAMETERS, in the order the remediator sends them. */
  sent: readonly string[];
  /** The -Environment values the app maps its clouds to (GRAPH_ENVIRONMENTS). */
  environmentsSent: readonly string[];
  script: string;
  scriptFile: string;
  /** The runbook name Bicep creates, the app's AUTOMATION_RUNBOOK default and the name the hook publishes. */
  names: Record<string, string | undefined>;
  /** runbookType in Bicep (PowerShell72, …). */
  bicepType: string | undefined;
  /** Modules Bicep installs in the Automation account. */
  modulesInstalled: string[];
  /** Does the runbook file the hook publishes exist? */
  publishedFileExists: boolean;
}

export function checkRunbookContract(c: RunbookContract): string[] {
  const problems: string[] = [];
  const declared = declaredParameters(c.script);
  const names = declared.map((p) => p.name);
  for (const name of c.sent) {
    if (!names.includes(name))
      problems.push(`the remediator sends -${name}, but ${c.scriptFile} does not declare it.`);
  }
  for (const p of declared) {
    if (p.mandatory && !c.sent.includes(p.name))
      problems.push(`${c.scriptFile} requires -${p.name}, but the remediator does not send it.`);
  }
  const environment = declared.find((p) => p.name === 'Environment');
  if (environment?.validateSet) {
    for (const value of c.environmentsSent) {
      if (!environment.validateSet.includes(value))
        problems.push(`the app sends -Environment ${value}, which ${c.scriptFile}'s ValidateSet refuses.`);
    }
  }
  const distinct = [...new Set(Object.values(c.names))];
  if (distinct.length !== 1 || !distinct[0]) {
    problems.push(
      `the runbook name differs: ${Object.entries(c.names)
        .map(([where, name]) => `${where} ${JSON.stringify(name ?? null)}`)
        .join(', ')}.`,
    );
  }
  if (!c.publishedFileExists)
    problems.push(`the hook publishes infra/runbooks/${distinct[0]}.ps1, which does not exist.`);
  const requires = /^#Requires\s+-Version\s+(\d+)\.(\d+)/im.exec(c.script);
  const expectedType =
    requires && Number(requires[1]) >= 7 ? `PowerShell${requires[1]}${requires[2]}` : 'PowerShell';
  if (c.bicepType !== expectedType)
    problems.push(
      `${c.scriptFile} needs runbook type ${expectedType} (#Requires), Bicep creates ${c.bicepType ?? 'none'}.`,
    );
  for (const module of modulesNeeded(c.script)) {
    if (!c.modulesInstalled.includes(module))
      problems.push(
        `${c.scriptFile} calls cmdlets of ${module}, which the Automation account does not install.`,
      );
  }
  return problems;
}
