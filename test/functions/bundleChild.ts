import fs from 'node:fs';
import path from 'node:path';
import { childJson, runNode } from '../helpers/nodeChild';
import { assertNoSecrets } from '../helpers/secretHygiene';

/** The Functions bundle that package.json "main" names; `npm test` builds it before jest. */
export const BUNDLE = path.resolve(__dirname, '../../dist/bundle/index.js');
const FUNCTIONS_LIBRARY = require.resolve('@azure/functions');

/** What the Functions worker hands a trigger, in a form that crosses a process boundary. */
export type TriggerInput =
  | { kind: 'http'; method: string; path: string; query?: Record<string, string>; headers?: Record<string, string>; body?: string; params?: Record<string, string> }
  | { kind: 'queue'; message: unknown; dequeueCount?: number }
  | { kind: 'timer'; isPastDue?: boolean };

export interface LogLine {
  level: string;
  message: string;
}

export interface Invocation {
  /** HTTP triggers: the response as the host would send it. */
  response?: { status: number; headers: Record<string, string>; body: string; json?: any };
  /** Queue and timer triggers: the handler's rejection, if any (the host then retries or fails the run). */
  error?: { name?: string; code?: string; message: string };
  logs: LogLine[];
  /** Every function the bundle registered with the worker: its name and binding metadata. */
  registered: Array<{ name: string; bindings: Record<string, any> }>;
  stderr: string;
}

/**
 * The worker side of the Functions host, in a child process: a stand-in `@azure/functions-core` that
 * records what the bundle registers (the metadata the host would index), then one invocation of the
 * named function with a real HttpRequest / InvocationContext, as the host would make it.
 */
const DRIVER = `
const Module = require('node:module');
const registered = [];
const core = {
  setProgrammingModel() {},
  registerFunction(metadata, handler) { registered.push({ metadata, handler }); return { dispose() {} }; },
  registerHook() { return { dispose() {} }; },
  log() {},
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request === '@azure/functions-core' ? core : load.call(this, request, ...rest);
};
const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
require(input.bundle);
const { HttpRequest, HttpResponse, InvocationContext } = require(input.library);
const logs = [];
// Exits once written: a worker's timers (telemetry exporters) must not keep this one-shot process alive.
const out = (result) => process.stdout.write(JSON.stringify({ ...result, logs, registered: registered.map((r) => ({ name: r.metadata.name, bindings: r.metadata.bindings })) }), () => process.exit(0));
(async () => {
  if (!input.functionName) return out({});
  const found = registered.find((r) => r.metadata.name === input.functionName);
  if (!found) throw new Error('no function ' + input.functionName + ' registered');
  const { trigger } = input;
  const context = new InvocationContext({
    invocationId: require('node:crypto').randomUUID(),
    functionName: input.functionName,
    triggerMetadata: trigger.kind === 'queue' ? { dequeueCount: trigger.dequeueCount ?? 1 } : {},
    logHandler: (level, ...args) => logs.push({ level, message: require('node:util').format(...args) }),
  });
  if (trigger.kind === 'http') {
    const url = 'http://localhost:7071' + trigger.path + (trigger.query ? '?' + new URLSearchParams(trigger.query) : '');
    const request = new HttpRequest({ method: trigger.method, url, headers: trigger.headers ?? {}, params: trigger.params ?? {}, body: trigger.body === undefined ? undefined : { string: trigger.body } });
    const init = await found.handler(request, context);
    const response = new HttpResponse(init);
    const body = await response.text();
    let json;
    try { json = JSON.parse(body); } catch {}
    return out({ response: { status: response.status, headers: Object.fromEntries(response.headers), body, json } });
  }
  const triggerValue = trigger.kind === 'queue' ? trigger.message : { isPastDue: trigger.isPastDue ?? false, schedule: { adjustForDST: true }, scheduleStatus: {} };
  try {
    await found.handler(triggerValue, context);
    out({});
  } catch (err) {
    out({ error: { name: err && err.name, code: err && err.code, message: String(err && err.message) } });
  }
})().catch((err) => out({ error: { message: 'driver: ' + String(err && err.stack) } }));
`;

/**
 * Loads the bundle in a fresh Node process with `env` only (plus PATH), and invokes `functionName`
 * (or only loads it, when none is given). A fresh process per call, because Node trusts the
 * emulator's certificate only through NODE_EXTRA_CA_CERTS read at start-up, and because that is how
 * a cold Functions worker starts.
 */
export async function invokeBundle(functionName: string | undefined, trigger: TriggerInput | undefined, env: NodeJS.ProcessEnv, bundle = BUNDLE): Promise<Invocation> {
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build (tsc + bundle) first; npm test does.`);
  const output = await runNode(['-e', DRIVER], { PATH: process.env.PATH ?? '', ...env }, 'the Functions worker', JSON.stringify({ bundle, library: FUNCTIONS_LIBRARY, functionName, trigger }));
  const invocation = { ...childJson(output, 'the Functions worker'), stderr: output.stderr } as Invocation;
  assertNoSecrets('the function logs', JSON.stringify(invocation.logs));
  return invocation;
}

/** An HTTP call as the host routes it: the function the route names, with the route's parameters. */
export function http(method: string, pathAndParams: string, options: { params?: Record<string, string>; headers?: Record<string, string>; body?: unknown; query?: Record<string, string> } = {}): TriggerInput {
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  return { kind: 'http', method, path: pathAndParams, params: options.params, headers, body, query: options.query };
}
