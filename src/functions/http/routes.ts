import type { HttpMethod } from '@azure/functions';

/** host.json `extensions.http.routePrefix`. */
export const ROUTE_PREFIX = 'api';

export interface RouteSpec {
  route: string;
  methods: HttpMethod[];
}

/**
 * Every HTTP function's route, by function name: the triggers register from here, and the fallback
 * route answers 404/405 from here. Templates never overlap each other (no literal segment where
 * another has a parameter), so the host's route order cannot pick the wrong one among them.
 */
export const ROUTES = {
  startScan: { route: 'scans', methods: ['POST'] },
  scanStatus: { route: 'scans/{id}', methods: ['GET'] },
  listIncidents: { route: 'incidents', methods: ['GET'] },
  getIncident: { route: 'incidents/{id}', methods: ['GET'] },
  approveIncident: { route: 'incidents/{id}/approve', methods: ['POST'] },
  listTenants: { route: 'tenants', methods: ['GET'] },
  changeTenant: { route: 'tenants/{id}', methods: ['PUT', 'DELETE'] },
  checkTenant: { route: 'tenants/{id}/check', methods: ['GET'] },
  health: { route: 'health', methods: ['GET'] },
} as const satisfies Record<string, RouteSpec>;

export type RouteName = keyof typeof ROUTES;

/** Every method the fallback listens to, so a wrong method on a known route reaches it (405). */
export const ALL_METHODS: HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export interface RouteMatch {
  name: RouteName;
  params: Record<string, string>;
  allowed: readonly HttpMethod[];
}

/** The route a URL path belongs to (prefix included, query ignored), with its parameters. */
export function matchRoute(url: string): RouteMatch | undefined {
  const path = new URL(url, 'http://localhost').pathname;
  const segments = path.split('/').filter(Boolean).map(safeDecode);
  if (segments[0]?.toLowerCase() !== ROUTE_PREFIX) return undefined;
  const rest = segments.slice(1);
  for (const [name, spec] of Object.entries(ROUTES) as Array<[RouteName, RouteSpec]>) {
    const template = spec.route.split('/');
    if (template.length !== rest.length) continue;
    const params: Record<string, string> = {};
    const matches = template.every((part, index) => {
      const parameter = /^\{(\w+)\}$/.exec(part);
      if (parameter) {
        params[parameter[1]] = rest[index];
        return true;
      }
      // Like the host: literal segments match case-insensitively.
      return part.toLowerCase() === rest[index].toLowerCase();
    });
    if (matches) return { name, params, allowed: spec.methods };
  }
  return undefined;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
