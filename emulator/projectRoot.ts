import fs from 'node:fs';
import path from 'node:path';

/**
 * The emulator runs from emulator/*.ts under Jest and from dist/emulator/*.js after a build,
 * so data files are found relative to the package root rather than to this file.
 */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json found above ${__dirname}`);
    dir = parent;
  }
}

export function scenariosDir(): string {
  return path.join(projectRoot(), 'emulator', 'scenarios');
}
