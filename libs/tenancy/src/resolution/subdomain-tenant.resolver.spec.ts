import { describe, expect, it } from 'vitest';
import { TenancyConfigError } from '../tenancy.errors.js';
import { SubdomainTenantResolver } from './subdomain-tenant.resolver.js';

// The e2e test test/subdomain-resolver.e2e-spec.ts serves real requests through it; these pin the
// edges of what it reads from a host.

const resolve = (host: string, options?: { ignoreWww?: boolean }) =>
  new SubdomainTenantResolver('app.example', options).resolve({ headers: { host } });

describe('SubdomainTenantResolver', () => {
  it('reads the one label under the base domain as the schema (hyphens as underscores)', () => {
    expect(resolve('acme.app.example')).toEqual({ schema: 'acme' });
    expect(resolve('Acme-Corp.App.Example:3000')).toEqual({ schema: 'acme_corp' });
  });

  it('leaves a host outside the base domain to the next resolver, whatever its length', () => {
    // as long as ".app.example" plus a few characters: cutting the suffix off blindly would read "ac"
    for (const host of ['acme.custom.io', 'shop.customer.io', 'app.example', 'xapp.example', 'acme.app.example.evil']) {
      expect(resolve(host)).toBeUndefined();
    }
  });

  it('leaves deeper subdomains and labels that are no schema name to the next resolver; www. only with ignoreWww', () => {
    expect(resolve('a.b.app.example')).toBeUndefined();
    expect(resolve('9lives.app.example')).toBeUndefined();
    expect(resolve('www.acme.app.example')).toBeUndefined();
    expect(resolve('www.acme.app.example', { ignoreWww: true })).toEqual({ schema: 'acme' });
  });

  it('reads X-Forwarded-Host only with trustProxy: by default the client could name any tenant with it', () => {
    const request = { headers: { host: 'acme.app.example', 'x-forwarded-host': 'globex.app.example' } };
    expect(new SubdomainTenantResolver('app.example').resolve(request)).toEqual({ schema: 'acme' });
    expect(new SubdomainTenantResolver('app.example', { trustProxy: false }).resolve(request)).toEqual({ schema: 'acme' });
    expect(new SubdomainTenantResolver('app.example', { trustProxy: true }).resolve(request)).toEqual({ schema: 'globex' });
  });

  it('refuses a base domain that is no host name, saying what to give', () => {
    for (const base of ['', 'localhost', 'app.example:3000', '[::1]']) {
      expect(() => new SubdomainTenantResolver(base)).toThrow(
        new TenancyConfigError(
          `SubdomainTenantResolver: invalid base domain ${JSON.stringify(base)}; give a host name such as "app.example.com", no port.`,
        ),
      );
    }
  });
});
