/** The app roles declared on the API's app registration (docs/DEPLOY.md says how to assign them). */
export const API_ROLES = {
  approve: 'Incidents.Approve',
  runScans: 'Scans.Run',
  read: 'Incidents.Read',
  /** Add, change and remove tenants in the registry, and check a tenant's access (issue 15). */
  manageTenants: 'Tenants.Manage',
} as const;

/** A caller Entra ID vouched for: its object id, and the name it signed in with (a UPN, or an app's name). */
export interface ApiCaller {
  oid: string;
  name: string;
  roles: string[];
}

/** What a request carries that can prove who sent it: only its headers (the bearer token). */
export interface CallerRequest {
  headers: { get(name: string): string | null };
}

/** Proves who is calling from a validated token, never from a field the caller can set. */
export interface CallerVerifier {
  /** The caller, if its token is valid and holds `role`; otherwise AUTH.UNAUTHENTICATED / AUTH.FORBIDDEN. */
  require(request: CallerRequest, role: string): Promise<ApiCaller>;
}
