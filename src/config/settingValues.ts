import type { z } from 'zod';
import { AppError, type SettingProblem } from '../errors';

/** What every settings section shares: blank is unset, problems as data, one error listing them all. */

/** App Service and Functions cannot delete a setting from a slot swap, only blank it: blank means unset. */
export const blankIsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/**
 * One problem per zod issue, named by its setting. `shown` says how the value may appear in the
 * message: settings that may hold a secret are named, never echoed.
 */
export function problemsOf(
  issues: readonly z.core.$ZodIssue[],
  env: NodeJS.ProcessEnv,
  shown: (name: string, value: string | undefined) => string | undefined = (_, value) =>
    JSON.stringify(value ?? ''),
): SettingProblem[] {
  return issues.map((issue) => {
    const setting = String(issue.path[0]);
    const value = shown(setting, env[setting]);
    return {
      setting,
      message: value === undefined ? issue.message : `${setting}=${value}: ${issue.message}`,
    };
  });
}

/** One CONFIG.INVALID listing every problem; the problems travel with it as data (health names them). */
export function settingsError(problems: readonly SettingProblem[], heading = 'Invalid settings'): AppError {
  return new AppError(
    'CONFIG.INVALID',
    `${heading}:\n  - ${problems.map((problem) => problem.message).join('\n  - ')}`,
    { problems },
  );
}

/** The problems a CONFIG.INVALID carries, or the error itself when it is something else. */
export function settingProblemsOf(err: unknown): readonly SettingProblem[] {
  if (err instanceof AppError && err.code === 'CONFIG.INVALID' && err.options.problems)
    return err.options.problems;
  throw err;
}
