#!/usr/bin/env node
'use strict';
// The CLI is compiled by `npm run build` (run automatically by `npm ci` through `prepare`).
require('../dist/src/cli.js')
  .main(process.argv.slice(2))
  .then((code) => { process.exitCode = code; });
