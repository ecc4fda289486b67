import { InvalidHostError } from '../tenancy.errors.js';
import { normalizeHost } from './host.js';
import type { TenancyRequest, TenantLookup, TenantResolver } from './tenant.resolver.js';

/**
 * The default resolver: the request's host (lower case, no port, no trailing dot). With
 * `trustProxy`, reads the **last** `X-Forwarded-Host` value instead of `Host`: the one your proxy
 * added. A proxy that appends to the header keeps what the client sent in front, so the first value
 * is the client's to choose (Fastify's `trustProxy` takes the last one too). Same on Fastify and
 * Express: the resolver reads the headers, not the adapter's host.
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
      const forwarded = last(request.headers['x-forwarded-host']);
      if (forwarded !== undefined && forwarded.trim() !== '') {
        return forwarded.slice(forwarded.lastIndexOf(',') + 1).trim();
      }
    }
    // an absolute-form request target (`GET http://acme.example.com/x`) names the host itself,
    // and then wins over Host (RFC 9112, 3.2.2)
    if (request.url !== undefined && /^https?:\/\//i.test(request.url)) {
      return request.url.replace(/^https?:\/\//i, '').split(/[/?#]/, 1)[0];
    }
    // two Host lines are malformed (RFC 9112): joined, they answer 400
    const host = request.headers.host;
    return Array.isArray(host) ? host.join(', ') : host;
  }
}

/** The last line of a header that may come several times. */
function last(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.at(-1) : value;
}
