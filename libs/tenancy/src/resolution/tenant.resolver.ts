/** What a resolver found in a request: a host to look up, or a schema name. */
export type TenantLookup = { host: string } | { schema: string };

/** The parts of an HTTP request resolvers read (Fastify and Express both fit). */
export interface TenancyRequest {
  headers: Record<string, string | string[] | undefined>;
  url?: string;
}

/**
 * Finds which tenant a request is for. Resolvers are tried in order; return `undefined` to let the
 * next one try, or throw `InvalidHostError` for a malformed value (answered 400).
 *
 * @example
 * new HeaderTenantResolver('x-tenant') // resolves `X-Tenant: acme` to the tenant with schema acme
 */
export interface TenantResolver {
  resolve(request: TenancyRequest): TenantLookup | undefined;
}
