import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/**
 * Resolves a tenant from a header holding its schema name (for internal callers and tests). When
 * the header is absent it lets the next resolver try.
 *
 * @example TenancyModule.forRoot({ resolvers: [new HeaderTenantResolver('x-tenant'), new HostTenantResolver()] })
 */
export class HeaderTenantResolver implements TenantResolver {
  constructor(private readonly header = 'x-tenant') {}

  resolve(request: TenancyRequest): TenantLookup | undefined {
    const value = request.headers[this.header.toLowerCase()];
    const schema = Array.isArray(value) ? value[0] : value;
    return schema ? { schema: schema.trim() } : undefined;
  }
}
