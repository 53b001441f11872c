#!/usr/bin/env node
'use strict';
// A scan streams up to millions of audit events in 1,000-event pages: each page is garbage a moment
// later, but V8's default heap growth lets dead pages pile up to ~200 MB before a full collection.
// Preferring size keeps the peak near 120 MB for the same run time (docs/BENCHMARKS.md). Set before
// anything is loaded; node does not accept this flag in NODE_OPTIONS.
require('node:v8').setFlagsFromString('--optimize-for-size');
// The CLI is compiled by `npm run build` (run automatically by `npm ci` through `prepare`).
require('../dist/src/cli.js')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
