import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Azurite's published development account (documented, not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  connectionString: string;
  stop(): Promise<void>;
}

/**
 * Starts a real Azurite (the npm dependency) on free loopback ports with in-memory storage, and
 * waits until it accepts connections. Used by the demo and the integration tests.
 *
 * A port found free can be taken by another process before Azurite binds it (two test runs on one
 * machine start dozens of servers): then Azurite exits with EADDRINUSE and is started again on other ports.
 */
export async function startAzurite(): Promise<RunningAzurite> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnce(): Promise<RunningAzurite> {
  const [blobPort, queuePort, tablePort] = [await freePort(), await freePort(), await freePort()];
  const workspace = mkdtempSync(join(tmpdir(), 'sspr-azurite-'));
  const main = join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
  const child = spawn(
    process.execPath,
    [
      main,
      '--silent',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(blobPort),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(queuePort),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(tablePort),
    ],
    // In-memory storage; the temporary working folder catches anything Azurite still writes.
    // Its start-up errors (EADDRINUSE among them) are printed on stdout, despite --silent.
    { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  try {
    await Promise.all([blobPort, queuePort, tablePort].map((port) => waitForPort(port, child, () => output)));
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(workspace, { recursive: true, force: true });
    throw /EADDRINUSE/.test(output) ? new PortTaken((err as Error).message) : err;
  }
  // Running: what it prints on stdout from now on is of no interest, but the pipe must not fill up.
  child.stdout?.removeAllListeners('data').resume();
  const base = 'http://127.0.0.1';
  return {
    connectionString: [
      'DefaultEndpointsProtocol=http',
      `AccountName=${DEV_ACCOUNT}`,
      `AccountKey=${DEV_KEY}`,
      `BlobEndpoint=${base}:${blobPort}/${DEV_ACCOUNT}`,
      `QueueEndpoint=${base}:${queuePort}/${DEV_ACCOUNT}`,
      `TableEndpoint=${base}:${tablePort}/${DEV_ACCOUNT}`,
    ].join(';'),
    stop: () => stop(child, workspace),
  };
}

async function stop(child: ChildProcess, workspace: string): Promise<void> {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(workspace, { recursive: true, force: true });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Up to 2 minutes: Azurite took 20-25 s to start on a 2-core machine running two test suites and more. */
async function waitForPort(
  port: number,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Azurite exited with code ${child.exitCode}: ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Azurite did not listen on port ${port} within ${timeoutMs} ms: ${output()}`);
}
