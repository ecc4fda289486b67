import { InvalidHostError } from '../tenancy.errors.js';
import { normalizeHost } from './host.js';
import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/**
 * The default resolver: the request's host (lower case, no port, no trailing dot). Reads the first
 * `X-Forwarded-Host` value instead of `Host` only when `trustProxy` is on.
 */
export class HostTenantResolver implements TenantResolver {
  constructor(private readonly trustProxy = false) {}

  resolve(request: TenancyRequest): TenantLookup {
    const raw = this.rawHost(request);
    const host = normalizeHost(raw);
    if (host === undefined) {
      throw new InvalidHostError(
        raw ? `Malformed host ${JSON.stringify(raw.slice(0, 100))}.` : 'The request has no Host header.',
      );
    }
    return { host };
  }

  private rawHost(request: TenancyRequest): string | undefined {
    if (this.trustProxy) {
      const forwarded = first(request.headers['x-forwarded-host']);
      if (forwarded) {
        return forwarded.split(',')[0].trim();
      }
    }
    return first(request.headers.host);
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
