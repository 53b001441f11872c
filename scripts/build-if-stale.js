#!/usr/bin/env node
'use strict';
// `npm run build` unless dist/ was already built from exactly these sources. `npm ci` builds (prepare)
// and `npm test` needs the build: with this, `npm ci && npm test` builds once. The inputs are hashed
// (paths and contents), not compared by time, so a checkout, a stash or an edit anywhere in them
// rebuilds. `npm run build` always builds; this records what it built from only when it ran it.
const { createHash } = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
/** Everything `npm run build` reads besides node_modules (whose versions package-lock.json pins). */
const INPUT_DIRS = ['src', 'emulator'];
const INPUT_FILES = [
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'esbuild.config.js',
];
/** What the build writes that the tests and the CLI load. */
const OUTPUTS = [
  'dist/src/cli.js',
  'dist/emulator/index.js',
  'dist/bundle/index.js',
  'dist/bundle/applicationinsights.js',
];
const STAMP = path.join(ROOT, 'dist', '.build-inputs.sha256');

function filesUnder(dir) {
  const found = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...filesUnder(relative));
    else if (entry.isFile()) found.push(relative);
  }
  return found;
}

function inputsHash() {
  const hash = createHash('sha256');
  const files = [
    ...INPUT_DIRS.flatMap(filesUnder),
    ...INPUT_FILES.filter((file) => fs.existsSync(path.join(ROOT, file))),
  ].sort();
  for (const file of files)
    hash
      .update(`${file}\0`)
      .update(fs.readFileSync(path.join(ROOT, file)))
      .update('\0');
  return hash.digest('hex');
}

const before = inputsHash();
const built = OUTPUTS.every((file) => fs.existsSync(path.join(ROOT, file)));
if (built && fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8').trim() === before) {
  process.stdout.write(
    'build: dist/ is already built from these sources (npm run build rebuilds it anyway)\n',
  );
  process.exit(0);
}
const npm = process.env.npm_execpath
  ? spawnSync(process.execPath, [process.env.npm_execpath, 'run', 'build'], { cwd: ROOT, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
if (npm.status !== 0) process.exit(npm.status ?? 1);
// The hash from before the build: a source edited while it ran makes the next run build again.
fs.writeFileSync(STAMP, `${before}\n`);
