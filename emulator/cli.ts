import path from 'node:path';
import { listScenarios, loadScenario, startEmulator } from './index';
import { projectRoot } from './projectRoot';

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

  const resolved = loadScenario(scenario);
  const emulator = await startEmulator({ scenario: resolved, now });
  const settings = {
    GRAPH_ENDPOINT: emulator.graphUrl,
    IDENTITY_ENDPOINT: emulator.tokenEndpoint,
    IDENTITY_HEADER: emulator.identityHeader,
    NODE_EXTRA_CA_CERTS: emulator.caCertPath,
  };
  const env = Object.entries(settings).map(([name, value]) => `${name}=${shellQuote(value)}`);
  const cli = shellQuote(path.join(projectRoot(), 'bin', 'sspr-remediator.js'));
  console.log(`Emulating scenario '${resolved.name}' (Ctrl+C to stop): ${resolved.description}`);
  console.log(`Tenant id: ${resolved.tenantId}`);
  console.log(`\nPoint the app (or curl) at it with:`);
  for (const line of env) console.log(`  ${line}`);
  console.log(`\nScan it from another terminal:`);
  console.log(`  ${env.join(' ')} node ${cli} scan --tenant ${resolved.tenantId}`);
  // DefaultAzureCredential tries these before a managed identity: the scan would sign in to a real tenant instead.
  const ambient = [
    'AZURE_CLIENT_SECRET',
    'AZURE_CLIENT_CERTIFICATE_PATH',
    'AZURE_FEDERATED_TOKEN_FILE',
  ].filter((name) => process.env[name]);
  if (ambient.length > 0)
    console.log(
      `  (first unset ${ambient.join(', ')}: DefaultAzureCredential would use it before the emulator's managed identity)`,
    );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await emulator.stop();
  return 0;
}

/** A value as a POSIX shell reads it back unchanged, quoted only when it has to be. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
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
