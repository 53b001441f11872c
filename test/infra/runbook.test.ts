import fs from 'node:fs';
import path from 'node:path';
import { EMULATED_RUNBOOK_PARAMETERS } from '../../emulator/arm/automationJobs';
import {
  GRAPH_ENVIRONMENTS,
  RUNBOOK_METHODS,
  RUNBOOK_PARAMETERS,
} from '../../src/adapters/automation/automationRemediator';

/**
 * pwsh is not installed where the tests run, so the runbook is checked as text against what the app
 * sends (parameter names, -Environment values) and what it parses (the last output line).
 */
const script = fs.readFileSync(path.join(__dirname, '../../infra/runbooks/Enable-AdminSspr.ps1'), 'utf8');

/** The top-level param( … ) block, matched by parenthesis depth. */
function paramBlock(text: string): string {
  const start = text.search(/^param\s*\(/im);
  expect(start).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = text.indexOf('(', start); i < text.length; i++) {
    if (text[i] === '(') depth++;
    if (text[i] === ')' && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error('param block is not closed');
}

interface DeclaredParameter {
  name: string;
  type: string;
  validateSet: string[] | null;
}

function declaredParameters(block: string): DeclaredParameter[] {
  const declarations = block.slice(block.indexOf('(') + 1, -1).split(/,\s*\n/);
  return declarations.map((declaration) => {
    const variable = /\[(\w+)\]\s*\$(\w+)/.exec(
      declaration.replace(/\[(Parameter|ValidateSet)\([^)]*\)\]/g, ''),
    );
    if (!variable) throw new Error(`cannot read a parameter from: ${declaration}`);
    const set = /\[ValidateSet\(([^)]*)\)\]/.exec(declaration);
    return {
      type: variable[1],
      name: variable[2],
      validateSet: set ? [...set[1].matchAll(/'([^']*)'/g)].map((m) => m[1]) : null,
    };
  });
}

const parameters = declaredParameters(paramBlock(script));

describe('Enable-AdminSspr.ps1', () => {
  test('when the app starts a job, then every parameter it sends is declared by the runbook, in order, as a string', () => {
    expect(parameters.map((p) => p.name)).toEqual([...RUNBOOK_PARAMETERS]);
    expect(parameters.every((p) => p.type === 'string')).toBe(true);
  });

  test('when the app maps its cloud to -Environment, then every value is in the ValidateSet, and nothing else is', () => {
    const environment = parameters.find((p) => p.name === 'Environment')!;
    expect(environment.validateSet?.slice().sort()).toEqual(
      [...new Set(Object.values(GRAPH_ENVIRONMENTS))].sort(),
    );
    expect(script).toMatch(/\[string\]\$Environment\s*=\s*'Global'/);
  });

  test('when -Method is validated, then it allows Graph and Msol and defaults to Graph', () => {
    expect(parameters.find((p) => p.name === 'Method')!.validateSet).toEqual([...RUNBOOK_METHODS]);
    expect(script).toMatch(/\[string\]\$Method\s*=\s*'Graph'/);
  });

  test('when the emulator plays the runbook, then it declares the same parameters and sets', () => {
    expect(Object.keys(EMULATED_RUNBOOK_PARAMETERS)).toEqual(parameters.map((p) => p.name));
    for (const p of parameters) {
      const emulated = EMULATED_RUNBOOK_PARAMETERS[p.name as keyof typeof EMULATED_RUNBOOK_PARAMETERS];
      expect(emulated.validateSet ? [...emulated.validateSet] : null).toEqual(p.validateSet);
    }
  });

  test('when the script ends, then its last statement writes one compressed JSON line with exactly incidentId, allowedToUseSSPR and method', () => {
    const statements = script
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const [hashtable, write] = statements.slice(-2);
    const keys = /^\$result\s*=\s*\[ordered\]@\{(.*)\}$/.exec(hashtable);
    expect(keys).not.toBeNull();
    expect(keys![1].split(';').map((pair) => pair.split('=')[0].trim())).toEqual([
      'incidentId',
      'allowedToUseSSPR',
      'method',
    ]);
    expect(write).toBe('Write-Output ($result | ConvertTo-Json -Compress)');
  });

  test('when it runs, then it stops on errors, uses the managed identity, skips the update when already on, and keeps the Msol call guarded', () => {
    expect(script).toMatch(/^\$ErrorActionPreference\s*=\s*'Stop'/m);
    expect(script).toMatch(/Connect-MgGraph -Identity -Environment \$Environment -NoWelcome/);
    expect(script).toMatch(/if \(\$before -eq \$true\)/);
    expect(script).toMatch(/Update-MgPolicyAuthorizationPolicy -AllowedToUseSSPR:\$true/);
    expect(script).toMatch(
      /try\s*\{[^}]*Set-MsolCompanySettings -SelfServePasswordResetEnabled \$true[^}]*\}\s*catch/,
    );
    expect(script).toMatch(/MSOnline was retired in 2025/);
    // No credentials of any kind in or through the script.
    expect(script).not.toMatch(
      /ConvertTo-SecureString|PSCredential|ClientSecret|-CertificateThumbprint|password\s*=/i,
    );
  });
});
