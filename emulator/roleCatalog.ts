import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from './projectRoot';
import { stableId } from './stableIds';

interface RoleFile {
  roles: { listedAs: string; templateId: string | null; displayName: string }[];
}

export interface BuiltInRole {
  templateId: string;
  displayName: string;
}

/** Built-in roles outside the admin reset policy, so a tenant's role definitions are not all admin roles. */
const OTHER_BUILT_IN_ROLES: BuiltInRole[] = [
  { templateId: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', displayName: 'Directory Readers' },
  { templateId: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader' },
  { templateId: '4a5d8f65-41da-4de4-8968-e035b65339cf', displayName: 'Reports Reader' },
];

let catalog: Map<string, BuiltInRole> | undefined;

/**
 * The emulated tenant's built-in roles: the product's list of admin roles (so the emulator and the
 * scanner agree on names) and a few others. Microsoft's built-in roles reference gives no template id
 * for some listed roles; the emulator invents a stable one for each (`emulatedTemplateId`).
 */
export function builtInRoles(): Map<string, BuiltInRole> {
  if (!catalog) {
    const file = path.join(projectRoot(), 'src', 'core', 'data', 'adminSsprRoles.json');
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as RoleFile;
    catalog = new Map();
    for (const role of [...data.roles, ...OTHER_BUILT_IN_ROLES]) {
      const templateId = (role.templateId ?? emulatedTemplateId(role.displayName)).toLowerCase();
      if (!catalog.has(templateId)) catalog.set(templateId, { templateId, displayName: role.displayName });
    }
  }
  return catalog;
}

/** The template id the emulator gives a built-in role whose real id Microsoft does not document. */
export function emulatedTemplateId(displayName: string): string {
  return stableId('emulated-built-in-role', displayName);
}

export function roleDisplayName(templateId: string): string {
  return builtInRoles().get(templateId.toLowerCase())?.displayName ?? 'Custom role';
}
