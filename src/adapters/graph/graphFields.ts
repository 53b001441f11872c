import type {
  DirectoryRole,
  UnifiedRoleAssignmentScheduleInstance,
  UnifiedRoleDefinition,
  UnifiedRoleEligibilityScheduleInstance,
  User,
} from '@microsoft/microsoft-graph-types';

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
export const ASSIGNMENT_INSTANCE_FIELDS = select<UnifiedRoleAssignmentScheduleInstance>(
  'roleDefinitionId',
  'startDateTime',
  'assignmentType',
);
export const ELIGIBILITY_INSTANCE_FIELDS = select<UnifiedRoleEligibilityScheduleInstance>('roleDefinitionId');
export const ROLE_DEFINITION_FIELDS = select<UnifiedRoleDefinition>('templateId', 'displayName', 'isBuiltIn');
