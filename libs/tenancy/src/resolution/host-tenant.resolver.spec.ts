import { describe, expect, it } from 'vitest';
import { InvalidHostError } from '../tenancy.errors.js';
import { HeaderTenantResolver } from './header-tenant.resolver.js';
import { HostTenantResolver } from './host-tenant.resolver.js';

describe('HostTenantResolver', () => {
  const forwarded = { headers: { host: 'proxy.internal:8080', 'x-forwarded-host': 'globex.example.com, Acme.Example.com' } };

  it('reads Host and ignores X-Forwarded-Host unless the proxy is trusted', () => {
    expect(new HostTenantResolver().resolve(forwarded)).toEqual({ host: 'proxy.internal' });
  });

  it('takes the last X-Forwarded-Host value (the one the trusted proxy added), also over several header lines', () => {
    expect(new HostTenantResolver(true).resolve(forwarded)).toEqual({ host: 'acme.example.com' });
    expect(new HostTenantResolver(true).resolve({ headers: { 'x-forwarded-host': ', acme.localhost' } })).toEqual({
      host: 'acme.localhost',
    });
    expect(
      new HostTenantResolver(true).resolve({ headers: { 'x-forwarded-host': ['globex.localhost', 'acme.localhost'] } }),
    ).toEqual({ host: 'acme.localhost' });
    expect(() => new HostTenantResolver(true).resolve({ headers: { 'x-forwarded-host': 'acme.localhost, ' } })).toThrow(
      InvalidHostError,
    );
  });

  it('falls back to Host when a trusted proxy sent no X-Forwarded-Host', () => {
    expect(new HostTenantResolver(true).resolve({ headers: { host: 'acme.localhost:3000' } })).toEqual({
      host: 'acme.localhost',
    });
  });

  it('throws InvalidHostError for a missing or malformed host', () => {
    expect(() => new HostTenantResolver().resolve({ headers: {} })).toThrow(InvalidHostError);
    expect(() => new HostTenantResolver().resolve({ headers: { host: 'a b' } })).toThrow(InvalidHostError);
    expect(() => new HostTenantResolver(true).resolve({ headers: { 'x-forwarded-host': '!!' } })).toThrow(InvalidHostError);
  });
});

describe('HeaderTenantResolver', () => {
  it('resolves a schema from its header, or lets the next resolver try', () => {
    expect(new HeaderTenantResolver('X-Tenant').resolve({ headers: { 'x-tenant': ' acme ' } })).toEqual({ schema: 'acme' });
    expect(new HeaderTenantResolver().resolve({ headers: { host: 'x' } })).toBeUndefined();
  });
});
