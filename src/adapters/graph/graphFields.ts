import type { DirectoryRole, User } from '@microsoft/microsoft-graph-types';

/**
 * A `$select` list whose names the compiler checks against Microsoft Graph's published v1.0 types
 * (@microsoft/microsoft-graph-types): Graph answers 400 to a property that does not exist on the type.
 */
function select<T>(...names: Array<keyof T & string>): string {
  return names.join(',');
}

export const USER_FIELDS = select<User>(
  'id',
  'userPrincipalName',
  'onPremisesSyncEnabled',
  'onPremisesImmutableId',
);
export const DIRECTORY_ROLE_FIELDS = select<DirectoryRole>('id', 'displayName', 'roleTemplateId');
