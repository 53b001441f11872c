import { app } from '@azure/functions';
import { settingProblems } from './root';
import './scheduledScan';
import './tenantScan';
import './scanPoisoned';
import './startScan';
import './scanStatus';
import './listIncidents';
import './getIncident';
import './approveIncident';
import './listTenants';
import './changeTenant';
import './checkTenant';
import './health';
import './unmatchedRoute';

// The Functions entry point (package.json "main" is its esbuild bundle). Imports run first; setup only
// records options that the worker reads once the entry point has loaded, so its place here is fine.
app.setup({ enableHttpStream: false });

// Cold start: every setting of every section is checked as soon as the worker has loaded this file, so
// a mistake shows in the host log when the app starts, not at the first scan. The triggers still
// register: GET /api/health names the same settings, and each invocation answers CONFIG.INVALID until
// they are fixed. Deferred by one turn so that loading the entry point stays light (the check loads the
// Storage SDK to parse connection strings as it will).
setImmediate(() => {
  const problems = settingProblems();
  if (problems.length > 0)
    console.warn(
      `CONFIG.INVALID at start-up (${problems.length} setting problem(s); GET /api/health lists them):\n  - ${problems
        .map((problem) => problem.message)
        .join('\n  - ')}`,
    );
});
