import { DefaultAzureCredential } from '@azure/identity';
import type { ActionMode } from '../usecases/incidentActions';
import { composeApp, type App } from '../composition';
import { loadConfig, type Config } from '../config';
import { AppError } from '../errors';
import { ApiCallerVerifier } from './apiCaller';
import { loadFunctionsSettings, type FunctionsSettings } from './functionsSettings';
import { ScanQueue } from './scanQueue';
import { ScanRequests } from './scanRequests';

/** What the triggers share: settings, the scan queue, the ssprScans table, and the App per mode. */
export interface Services {
  settings: FunctionsSettings;
  /** The configuration as set (ACTION_MODE as configured). */
  config: Config;
  /** The App running in `mode` (the configured one by default); one per mode, built on first use. */
  app(mode?: ActionMode): App;
  scans: ScanRequests;
  queue: ScanQueue;
  /** Checks Entra ID bearer tokens; absent when API_AUDIENCE is not set (approvals over HTTP are then off). */
  apiCallers?: ApiCallerVerifier;
}

/**
 * Builds the services from the environment, validating every setting first: one CONFIG.INVALID that
 * lists the Functions settings and the scan settings together.
 */
export function buildServices(env: NodeJS.ProcessEnv = process.env): Services {
  const problems: string[] = [];
  let settings: FunctionsSettings | undefined;
  let config: Config | undefined;
  for (const load of [() => (settings = loadFunctionsSettings(env)), () => (config = loadConfig(env))]) {
    try {
      load();
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'CONFIG.INVALID')) throw err;
      problems.push(err.message.replace(/^Invalid settings:\n/, ''));
    }
  }
  if (!settings || !config) throw new AppError('CONFIG.INVALID', `Invalid settings:\n${problems.join('\n')}`);
  const configured = config;
  const apps = new Map<ActionMode, App>();
  return {
    settings,
    config: configured,
    app(mode = configured.actionMode) {
      let app = apps.get(mode);
      if (!app) {
        app = composeApp(
          mode === configured.actionMode ? configured : loadConfig({ ...env, ACTION_MODE: mode }),
        );
        apps.set(mode, app);
      }
      return app;
    },
    scans: new ScanRequests(
      settings.stateStorage,
      new DefaultAzureCredential({ authorityHost: configured.authorityHost }),
    ),
    queue: new ScanQueue(settings.queue, configured.authorityHost),
    apiCallers: settings.api ? new ApiCallerVerifier(settings.api, configured.authorityHost) : undefined,
  };
}

let current: Services | undefined;

/**
 * The services of this process, built on first use and kept: the Functions worker runs many invocations
 * in one process, and credentials, token caches and storage clients are meant to be reused. A failure
 * (bad settings) is not kept: every invocation reports it until the settings are fixed.
 */
export function services(): Services {
  current ??= buildServices(process.env);
  return current;
}

/** Forgets the built services; tests that change the environment call it. */
export function resetServices(): void {
  current = undefined;
}
