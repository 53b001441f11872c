import { checkConfig } from './config';
import { checkFunctionsSettings } from './functionsSettings';

/** Every setting the Functions app reads, checked in one pass: the host's, the scan's and each section's. */
export function checkServiceSettings(env: NodeJS.ProcessEnv) {
  const functions = checkFunctionsSettings(env);
  const scan = checkConfig(env);
  return {
    settings: functions.settings,
    config: scan.config,
    // Both sections read TENANTS (the Functions app needs one; the scan seeds the registry): name it once.
    problems: [
      ...functions.problems,
      ...scan.problems.filter(
        (problem) => !functions.problems.some((other) => other.message === problem.message),
      ),
    ],
  };
}
