import type { FastifyRequest } from 'fastify';
import { SlidingWindowThrottle } from './throttle';
import type { TenantState } from './tenantState';

/**
 * Every tenant one emulator serves. Graph tells tenants apart by the access token (its `tid`), so
 * the emulator does too: a token issued for a tenant (the per-tenant client-credentials endpoint, or
 * the managed-identity endpoint for the home tenant) reaches that tenant's directory, audit log and
 * throttle. Requests without a known token are answered as the home tenant would (401).
 */
export class Tenants {
  private readonly byId = new Map<string, TenantState>();
  private readonly ofRequest = new WeakMap<object, TenantState>();
  /** Graph's limit per app across all tenants (122 per 10 s for identity and access reports); 0: off. */
  readonly appThrottle: SlidingWindowThrottle;

  constructor(
    readonly home: TenantState,
    others: TenantState[] = [],
    appRequestsPer10s = 0,
  ) {
    for (const tenant of [home, ...others]) this.byId.set(tenant.scenario.tenantId.toLowerCase(), tenant);
    this.appThrottle = new SlidingWindowThrottle(appRequestsPer10s);
  }

  get(tenantId: string): TenantState | undefined {
    return this.byId.get(tenantId.toLowerCase());
  }

  get all(): TenantState[] {
    return [...this.byId.values()];
  }

  /** The tenant a bearer token was issued for; the home tenant for anything else. */
  forToken(token: string | undefined): TenantState {
    const tenantId = token === undefined ? undefined : this.home.tokens.tenantOf(token);
    return (tenantId && this.get(tenantId)) || this.home;
  }

  /** Set by the Graph front door for each request, before any route runs. */
  assign(request: FastifyRequest, tenant: TenantState): void {
    this.ofRequest.set(request.raw, tenant);
  }

  of(request: FastifyRequest): TenantState {
    return this.ofRequest.get(request.raw) ?? this.home;
  }
}
