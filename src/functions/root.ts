import type * as Composition from '../composition';

/**
 * The composition root, loaded on first use. A cold start registers the triggers without parsing the
 * Azure SDKs, the Graph client, the ticket sinks or telemetry's exporter; the settings check one turn
 * later and the first invocation that needs them load them once (Node caches the module).
 */
function root(): typeof Composition {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a deliberate lazy load (see above)
  return require('../composition') as typeof Composition;
}

export const services = (): Composition.Services => root().services();

/**
 * Every setting problem of every section, as GET /api/health and the cold start report them. Through
 * the root too: validating a storage connection string loads the Storage SDK.
 */
export const settingProblems = () => root().checkServiceSettings(process.env).problems;
export const alertTelemetry = () => root().alertTelemetry();
