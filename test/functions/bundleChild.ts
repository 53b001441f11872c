import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { childJson, runNode } from '../helpers/nodeChild';
import { assertNoSecrets } from '../helpers/secretHygiene';

/** The Functions bundle that package.json "main" names; `npm test` builds it before jest. */
export const BUNDLE = path.resolve(__dirname, '../../dist/bundle/index.js');
const FUNCTIONS_LIBRARY = require.resolve('@azure/functions');

/** What the Functions worker hands a trigger, in a form that crosses a process boundary. */
export type TriggerInput =
  | {
      kind: 'http';
      method: string;
      path: string;
      query?: Record<string, string>;
      headers?: Record<string, string>;
      body?: string;
      params?: Record<string, string>;
    }
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
 * records what the bundle registers (the metadata the host would index), then invocations of the
 * named functions with a real HttpRequest / InvocationContext, as the host would make them: one, then
 * exit (a cold worker), or, with `serve`, as many as the test sends over IPC (a warm worker).
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

async function invoke(functionName, trigger) {
  const logs = [];
  const done = (result) => ({ ...result, logs, registered: registered.map((r) => ({ name: r.metadata.name, bindings: r.metadata.bindings })) });
  try {
    if (!functionName) return done({});
    const found = registered.find((r) => r.metadata.name === functionName);
    if (!found) throw new Error('no function ' + functionName + ' registered');
    const context = new InvocationContext({
      invocationId: require('node:crypto').randomUUID(),
      functionName,
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
      return done({ response: { status: response.status, headers: Object.fromEntries(response.headers), body, json } });
    }
    const triggerValue = trigger.kind === 'queue' ? trigger.message : { isPastDue: trigger.isPastDue ?? false, schedule: { adjustForDST: true }, scheduleStatus: {} };
    try {
      await found.handler(triggerValue, context);
      return done({});
    } catch (err) {
      return done({ error: { name: err && err.name, code: err && err.code, message: String(err && err.message) } });
    }
  } catch (err) {
    return done({ error: { message: 'driver: ' + String(err && err.stack) } });
  }
}

if (input.serve) {
  process.on('message', (message) => {
    if (message.stop) return process.exit(0);
    invoke(message.functionName, message.trigger).then((result) => process.send({ id: message.id, result }));
  });
  process.send({ ready: true });
} else {
  // Exits once written: a worker's timers (telemetry exporters) must not keep this one-shot process alive.
  // One turn of the event loop first, as a worker answers the host between loading and invoking.
  setImmediate(() =>
    invoke(input.functionName, input.trigger).then((result) => process.stdout.write(JSON.stringify(result), () => process.exit(0))),
  );
}
`;

function assertBundle(bundle: string): void {
  if (!fs.existsSync(bundle))
    throw new Error(`${bundle} is missing: run npm run build (tsc + bundle) first; npm test does.`);
}

/**
 * Loads the bundle in a fresh Node process with `env` only (plus PATH), and invokes `functionName`
 * (or only loads it, when none is given). A fresh process per call: Node trusts the emulator's
 * certificate only through NODE_EXTRA_CA_CERTS read at start-up, and this is how a cold Functions
 * worker starts. For several calls with the same settings, a FunctionsWorker is cheaper.
 */
export async function invokeBundle(
  functionName: string | undefined,
  trigger: TriggerInput | undefined,
  env: NodeJS.ProcessEnv,
  bundle = BUNDLE,
): Promise<Invocation> {
  assertBundle(bundle);
  const output = await runNode(
    ['-e', DRIVER],
    { PATH: process.env.PATH ?? '', ...env },
    'the Functions worker',
    JSON.stringify({ bundle, library: FUNCTIONS_LIBRARY, functionName, trigger }),
  );
  const invocation = { ...childJson(output, 'the Functions worker'), stderr: output.stderr } as Invocation;
  assertNoSecrets('the function logs', JSON.stringify(invocation.logs));
  return invocation;
}

/** A warm worker: one process, the bundle loaded once, any number of invocations with the same settings. */
export interface FunctionsWorker {
  invoke(functionName: string, trigger: TriggerInput): Promise<Invocation>;
  stop(): Promise<void>;
}

/**
 * Starts a worker process with `env` only (plus PATH) that serves invocations until stopped, as the
 * Functions host keeps a worker for many invocations. Each invocation's `stderr` is what the process
 * printed while it ran; none of it, and none of its logs, may carry a secret.
 */
export async function startFunctionsWorker(
  env: NodeJS.ProcessEnv,
  bundle = BUNDLE,
): Promise<FunctionsWorker> {
  assertBundle(bundle);
  const child = spawn(process.execPath, ['-e', DRIVER], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe', 'ipc'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  const pending = new Map<number, (result: Omit<Invocation, 'stderr'>) => void>();
  let exited: string | undefined;
  const failAll = (why: string) => {
    exited = why;
    for (const resolve of pending.values())
      resolve({ error: { message: `the Functions worker ${why}` }, logs: [], registered: [] });
    pending.clear();
  };
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.on('exit', (code, signal) =>
    failAll(`exited (${signal ?? code}) before answering:\n${stdout}\n${stderr}`),
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.on('message', (message: { ready?: true; id?: number; result?: Omit<Invocation, 'stderr'> }) => {
      if (message.ready) return resolve();
      pending.get(message.id!)?.(message.result!);
      pending.delete(message.id!);
    });
    child.once('exit', () =>
      reject(new Error(`the Functions worker exited while loading the bundle:\n${stdout}\n${stderr}`)),
    );
  });
  child.stdin!.end(JSON.stringify({ bundle, library: FUNCTIONS_LIBRARY, serve: true }));
  await ready;
  let nextId = 0;
  let stderrSeen = 0;
  return {
    async invoke(functionName, trigger) {
      if (exited) throw new Error(`the Functions worker ${exited}`);
      const id = ++nextId;
      const result = await new Promise<Omit<Invocation, 'stderr'>>((resolve) => {
        pending.set(id, resolve);
        child.send({ id, functionName, trigger });
      });
      const printed = stderr.slice(stderrSeen);
      stderrSeen = stderr.length;
      assertNoSecrets('the stderr of the Functions worker', printed);
      assertNoSecrets('the function logs', JSON.stringify(result.logs));
      return { ...result, stderr: printed };
    },
    async stop() {
      if (!exited && child.connected) child.send({ stop: true });
      await closed;
      assertNoSecrets('the stderr of the Functions worker', stderr);
    },
  };
}

/** Warm workers that are stopped after each test of the file that calls this (at its top). */
export function useFunctionsWorkers(): (env: NodeJS.ProcessEnv) => Promise<FunctionsWorker> {
  const started: FunctionsWorker[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((worker) => worker.stop()));
  });
  return async (env) => {
    const worker = await startFunctionsWorker(env);
    started.push(worker);
    return worker;
  };
}

/** An HTTP call as the host routes it: the function the route names, with the route's parameters. */
export function http(
  method: string,
  pathAndParams: string,
  options: {
    params?: Record<string, string>;
    headers?: Record<string, string>;
    body?: unknown;
    query?: Record<string, string>;
  } = {},
): TriggerInput {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? options.body
        : JSON.stringify(options.body);
  const headers = {
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...options.headers,
  };
  return {
    kind: 'http',
    method,
    path: pathAndParams,
    params: options.params,
    headers,
    body,
    query: options.query,
  };
}
