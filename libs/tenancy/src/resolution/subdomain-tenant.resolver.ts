import { TenancyConfigError } from '../tenancy.errors.js';
import { HostTenantResolver } from './host-tenant.resolver.js';
import { normalizeHost } from './host.js';
import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/** A schema name as the library allows them (see `schema-name.ts`); the registry checks the rest. */
const SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options of {@link SubdomainTenantResolver}. */
export interface SubdomainTenantResolverOptions {
  /** Read the host from the last `X-Forwarded-Host` value (see `HostTenantResolver`). */
  trustProxy?: boolean;
  /** `www.acme.app.example` is `acme.app.example` (default false: it is no tenant's). */
  ignoreWww?: boolean;
}

/**
 * Resolves `{schema}.{baseDomain}` to the tenant with that schema, with no domain rows: the
 * subdomain is the schema name, with `-` read as `_` (host names use hyphens, schema names
 * underscores): `acme-corp.app.example` → `acme_corp`. Hosts outside the base domain (a tenant's
 * custom domain), the base domain itself and deeper subdomains are left to the next resolver, so
 * it chains with `HostTenantResolver` for custom domains:
 *
 * @example
 * TenancyModule.forRoot({ resolvers: [new SubdomainTenantResolver('app.example'), new HostTenantResolver()] })
 */
export class SubdomainTenantResolver implements TenantResolver {
  private readonly host: HostTenantResolver;
  private readonly suffix: string;
  private readonly ignoreWww: boolean;

  constructor(baseDomain: string, options: SubdomainTenantResolverOptions = {}) {
    const base = normalizeHost(baseDomain);
    if (!base || base.includes(':') || !base.includes('.') || baseDomain.includes(':')) {
      throw new TenancyConfigError(
        `SubdomainTenantResolver: invalid base domain ${JSON.stringify(baseDomain)}; give a host name such as "app.example.com", no port.`,
      );
    }
    this.host = new HostTenantResolver(options.trustProxy ?? false);
    this.suffix = `.${base}`;
    this.ignoreWww = options.ignoreWww ?? false;
  }

  resolve(request: TenancyRequest): TenantLookup | undefined {
    // a malformed host throws InvalidHostError (400), as with HostTenantResolver
    const { host } = this.host.resolve(request) as { host: string };
    if (!host.endsWith(this.suffix)) {
      return undefined;
    }
    let label = host.slice(0, -this.suffix.length);
    if (this.ignoreWww && label.startsWith('www.')) {
      label = label.slice(4);
    }
    const schema = label.replaceAll('-', '_');
    return SCHEMA.test(schema) ? { schema } : undefined;
  }
}
