import fs from 'node:fs';
import path from 'node:path';
import {
  automationSettingsSchema,
  GRAPH_ENVIRONMENTS,
  RUNBOOK_PARAMETERS,
} from '../../src/adapters/automation/automationRemediator';
import { readBicep } from './lib/bicep';
import { checkRunbookContract, declaredParameters, modulesNeeded, type RunbookContract } from './lib/runbook';

/**
 * The runbook as the remediator starts it, Bicep creates it and the hook publishes it
 * (test/infra/runbook.test.ts checks the script's own body).
 */
const ROOT = path.join(__dirname, '../..');
const SCRIPT_FILE = 'infra/runbooks/Enable-AdminSspr.ps1';
const script = fs.readFileSync(path.join(ROOT, SCRIPT_FILE), 'utf8');
const main = readBicep(path.join(ROOT, 'infra/main.bicep'));
const automation = readBicep(path.join(ROOT, 'infra/app/automation.bicep'));
const appSettings = readBicep(path.join(ROOT, 'infra/app/appsettings.bicep'));
const publishScript = fs.readFileSync(path.join(ROOT, 'infra/scripts/publish-runbook.sh'), 'utf8');

function contract(): RunbookContract {
  const bicepName = /^var runbookName = '([^']+)'/m.exec(main.text)?.[1];
  const hookName = /runbook="\$\{AUTOMATION_RUNBOOK:-([^}]+)\}"/.exec(publishScript)?.[1];
  const modules = [
    ...[...automation.text.matchAll(/powershell72Modules:\s*\[[\s\S]*?\n {4}\]/g)].flatMap((m) =>
      [...m[0].matchAll(/name: '([^']+)'/g)].map((n) => n[1]),
    ),
    ...[...automation.text.matchAll(/powerShell72Modules@[\d-]+' = \{[\s\S]*?\n {2}name: '([^']+)'/g)].map(
      (m) => m[1],
    ),
  ];
  return {
    sent: RUNBOOK_PARAMETERS,
    environmentsSent: Object.values(GRAPH_ENVIRONMENTS),
    script,
    scriptFile: SCRIPT_FILE,
    names: {
      'infra/main.bicep runbookName': bicepName,
      'AUTOMATION_RUNBOOK default (src/config/automation.ts)':
        automationSettingsSchema.shape.AUTOMATION_RUNBOOK.parse(undefined) as string,
      'infra/scripts/publish-runbook.sh default': hookName,
    },
    bicepType: /runbooks:\s*\[[\s\S]*?type: '([^']+)'/.exec(automation.text)?.[1],
    modulesInstalled: modules,
    publishedFileExists: fs.existsSync(path.join(ROOT, 'infra/runbooks', `${hookName}.ps1`)),
  };
}

describe('runbook: remediator, Bicep, hook and script agree', () => {
  test("when the pieces are read, then they found the script's parameters, the name, the type and both Graph modules", () => {
    const c = contract();
    expect(declaredParameters(script).map((p) => p.name)).toEqual([
      'TenantId',
      'IncidentId',
      'Method',
      'Environment',
    ]);
    expect(new Set(Object.values(c.names))).toEqual(new Set(['Enable-AdminSspr']));
    expect(c.bicepType).toBe('PowerShell72');
    expect(c.modulesInstalled.sort()).toEqual([
      'Microsoft.Graph.Authentication',
      'Microsoft.Graph.Identity.SignIns',
    ]);
    expect(modulesNeeded(script)).toEqual([
      'Microsoft.Graph.Authentication',
      'Microsoft.Graph.Identity.SignIns',
    ]);
  });

  test('when the contract is checked, then there is nothing to report', () => {
    expect(checkRunbookContract(contract())).toEqual([]);
  });

  test("when the app is deployed, then AUTOMATION_RUNBOOK and AUTOMATION_ACCOUNT come from the Automation module's outputs", () => {
    expect(appSettings.text).toMatch(/AUTOMATION_RUNBOOK: automationRunbookName/);
    expect(main.text).toMatch(/automationRunbookName: automation\.outputs\.runbookName/);
    expect(main.text).toMatch(/automationAccountName: automation\.outputs\.name/);
  });

  test('when the Graph modules are installed, then Identity.SignIns waits for Authentication and both use one pinned version', () => {
    expect(automation.text).toMatch(
      /resource signInsModule 'Microsoft\.Automation\/automationAccounts\/powerShell72Modules@[\d-]+'[\s\S]*dependsOn: \[\s*account\s*\]/,
    );
    expect(automation.text.match(/version: graphModuleVersion/g)).toHaveLength(2);
    expect(main.text).toMatch(/^param graphModuleVersion string = '\d+\.\d+\.\d+'$/m);
  });
});

describe('runbook: the check fails when one side changes alone', () => {
  test('when the remediator sends a parameter the script does not declare, then the check names it', () => {
    expect(checkRunbookContract({ ...contract(), sent: [...RUNBOOK_PARAMETERS, 'Force'] })).toEqual([
      `the remediator sends -Force, but ${SCRIPT_FILE} does not declare it.`,
    ]);
  });

  test('when the remediator stops sending a mandatory parameter, then the check names it', () => {
    expect(
      checkRunbookContract({ ...contract(), sent: RUNBOOK_PARAMETERS.filter((p) => p !== 'IncidentId') }),
    ).toEqual([`${SCRIPT_FILE} requires -IncidentId, but the remediator does not send it.`]);
  });

  test('when the app sends an -Environment the script refuses, then the check names the value', () => {
    expect(
      checkRunbookContract({
        ...contract(),
        environmentsSent: [...Object.values(GRAPH_ENVIRONMENTS), 'Germany'],
      }),
    ).toEqual([`the app sends -Environment Germany, which ${SCRIPT_FILE}'s ValidateSet refuses.`]);
  });

  test('when Bicep renames the runbook alone, then the check shows every name', () => {
    const c = contract();
    const found = checkRunbookContract({
      ...c,
      names: { ...c.names, 'infra/main.bicep runbookName': 'Enable-SsprForAdmins' },
    });
    expect(found[0]).toMatch(
      /^the runbook name differs: infra\/main\.bicep runbookName "Enable-SsprForAdmins", AUTOMATION_RUNBOOK default .* "Enable-AdminSspr"/,
    );
  });

  test('when the module list loses Identity.SignIns or the type is PowerShell 5.1, then the check says what the script needs', () => {
    const c = contract();
    expect(
      checkRunbookContract({
        ...c,
        bicepType: 'PowerShell',
        modulesInstalled: ['Microsoft.Graph.Authentication'],
      }),
    ).toEqual([
      `${SCRIPT_FILE} needs runbook type PowerShell72 (#Requires), Bicep creates PowerShell.`,
      `${SCRIPT_FILE} calls cmdlets of Microsoft.Graph.Identity.SignIns, which the Automation account does not install.`,
    ]);
  });
});
