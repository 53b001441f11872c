import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './projectRoot';

interface RoleFile {
  roles: { templateId: string; displayName: string }[];
}

let cache: Map<string, string> | undefined;

/** Display names come from the product's own role list so the emulator and the scanner agree on names. */
export function roleDisplayName(templateId: string): string {
  if (!cache) {
    const file = path.join(projectRoot(), 'src', 'core', 'data', 'adminSsprRoles.json');
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as RoleFile;
    cache = new Map(data.roles.map((role) => [role.templateId.toLowerCase(), role.displayName]));
  }
  return cache.get(templateId.toLowerCase()) ?? 'Custom role';
}
