import { app } from '@azure/functions';
import './scheduledScan';
import './tenantScan';
import './scanPoisoned';
import './startScan';
import './scanStatus';
import './listIncidents';
import './getIncident';
import './approveIncident';
import './health';
import './unmatchedRoute';

// The Functions entry point (package.json "main" is its esbuild bundle). Imports run first; setup only
// records options that the worker reads once the entry point has loaded, so its place here is fine.
app.setup({ enableHttpStream: false });
