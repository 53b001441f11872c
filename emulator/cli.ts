import { listScenarios, startEmulator } from './index';

const USAGE = `Usage: npm run emulator -- [scenario-name-or-path] [--now <ISO date-time>]
Scenarios: ${listScenarios().join(', ')}`;

/** Runs the emulator in the foreground and prints the settings that point the app (or curl) at it. */
async function main(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const nowIndex = args.indexOf('--now');
  const nowText = nowIndex >= 0 ? args[nowIndex + 1] : undefined;
  const now = nowText ? new Date(nowText) : undefined;
  if (now && Number.isNaN(now.getTime())) {
    console.error(`--now expects an ISO date-time, got '${nowText}'.\n${USAGE}`);
    return 2;
  }
  const positional = args.filter(
    (arg, index) => !arg.startsWith('--') && (nowIndex < 0 || index !== nowIndex + 1),
  );
  const scenario = positional[0] ?? 'demo';

  const emulator = await startEmulator({ scenario, now });
  console.log(`Emulating scenario '${scenario}' (Ctrl+C to stop). Point the app at it with:`);
  console.log(`  GRAPH_ENDPOINT=${emulator.graphUrl}`);
  console.log(`  IDENTITY_ENDPOINT=${emulator.tokenEndpoint}`);
  console.log(`  IDENTITY_HEADER=${emulator.identityHeader}`);
  console.log(`  NODE_EXTRA_CA_CERTS=${emulator.caCertPath}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    console.error(err.message);
    process.exitCode = 1;
  },
);
