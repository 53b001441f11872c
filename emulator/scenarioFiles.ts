import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { scenarioSchema, type Scenario, type ValidScenario } from './scenarioSchema';
import { scenariosDir } from './projectRoot';

export function listScenarios(): string[] {
  return fs
    .readdirSync(scenariosDir())
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** Accepts a scenario name (emulator/scenarios/<name>.json) or a path to any scenario file. */
export function loadScenario(nameOrPath: string): ValidScenario {
  const file = scenarioPath(nameOrPath);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`Scenario file ${file} could not be read as JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return validateScenario(raw, `Scenario file ${file}`);
}

export function validateScenario(raw: unknown, source: string): ValidScenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${source} is invalid:\n${describeIssues(parsed.error)}`);
  return parsed.data;
}

export function resolveScenario(scenario: Scenario | string): ValidScenario {
  return typeof scenario === 'string'
    ? loadScenario(scenario)
    : validateScenario(scenario, 'Inline scenario');
}

function scenarioPath(nameOrPath: string): string {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes('\\') || nameOrPath.endsWith('.json');
  if (looksLikePath) {
    const file = path.resolve(nameOrPath);
    if (!fs.existsSync(file)) throw new Error(`Scenario file ${file} does not exist`);
    return file;
  }
  const file = path.join(scenariosDir(), `${nameOrPath}.json`);
  if (!fs.existsSync(file)) {
    throw new Error(`Unknown scenario '${nameOrPath}'. Known scenarios: ${listScenarios().join(', ')}`);
  }
  return file;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.length ? issue.path.map(String).join('.') : '(root)';
      return `  - ${field}: ${issue.message}`;
    })
    .join('\n');
}
