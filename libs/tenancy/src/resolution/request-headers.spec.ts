import { describe, expect, it } from 'vitest';
import { InvalidHostError } from '../tenancy.errors.js';
import { HeaderTenantResolver } from './header-tenant.resolver.js';
import { HostTenantResolver } from './host-tenant.resolver.js';

describe('HostTenantResolver reading request headers', () => {
  it('refuses a repeated Host header, and reads the last value of a repeated X-Forwarded-Host', () => {
    expect(() => new HostTenantResolver().resolve({ headers: { host: ['Acme.localhost', 'globex.localhost'] } })).toThrow(
      InvalidHostError,
    );
    const forwarded = {
      headers: { host: 'proxy.internal', 'x-forwarded-host': ['b.localhost , globex.localhost', 'acme.localhost'] },
    };
    expect(new HostTenantResolver(true).resolve(forwarded)).toEqual({ host: 'acme.localhost' });
  });

  it('falls back to Host when a trusted proxy sent an empty X-Forwarded-Host', () => {
    const request = { headers: { host: 'acme.localhost', 'x-forwarded-host': '' } };
    expect(new HostTenantResolver(true).resolve(request)).toEqual({ host: 'acme.localhost' });
  });

  it('says whether the host is missing or malformed, quoting at most 100 characters of it', () => {
    expect(() => new HostTenantResolver().resolve({ headers: {} })).toThrow(
      new InvalidHostError('The request has no Host header.'),
    );
    expect(() => new HostTenantResolver().resolve({ headers: { host: '' } })).toThrow('The request has no Host header.');
    expect(() => new HostTenantResolver().resolve({ headers: { host: 'a b' } })).toThrow(
      new InvalidHostError('Malformed host "a b".'),
    );
    const long = `${'x'.repeat(100)}/tail`;
    expect(() => new HostTenantResolver().resolve({ headers: { host: long } })).toThrow(
      new InvalidHostError(`Malformed host "${'x'.repeat(100)}".`),
    );
  });
});

describe('HeaderTenantResolver reading its header', () => {
  it('reads x-tenant by default, and a header named in any case', () => {
    expect(new HeaderTenantResolver().resolve({ headers: { 'x-tenant': 'acme' } })).toEqual({ schema: 'acme' });
    expect(new HeaderTenantResolver('X-Org').resolve({ headers: { 'x-org': 'acme', 'x-tenant': 'globex' } })).toEqual({
      schema: 'acme',
    });
  });

  it('reads the first value of a repeated header, and lets the next resolver try when it is empty', () => {
    expect(new HeaderTenantResolver().resolve({ headers: { 'x-tenant': [' acme', 'globex'] } })).toEqual({ schema: 'acme' });
    expect(new HeaderTenantResolver().resolve({ headers: { 'x-tenant': '' } })).toBeUndefined();
    expect(new HeaderTenantResolver().resolve({ headers: { 'x-tenant': [] } })).toBeUndefined();
  });
});

describe('HostTenantResolver reading the request target and forwarded values', () => {
  it('takes the host of an absolute-form request target (http or https), over Host', () => {
    const resolver = new HostTenantResolver();
    expect(resolver.resolve({ headers: { host: 'globex.localhost' }, url: 'http://Acme.localhost:3000/x?y#z' })).toEqual({
      host: 'acme.localhost',
    });
    expect(resolver.resolve({ headers: { host: 'globex.localhost' }, url: 'HTTPS://acme.localhost?y' })).toEqual({
      host: 'acme.localhost',
    });
  });

  it('reads Host when a URL appears only later in an origin-form target', () => {
    const request = { headers: { host: 'acme.localhost' }, url: '/login?next=http://globex.localhost/' };
    expect(new HostTenantResolver().resolve(request)).toEqual({ host: 'acme.localhost' });
  });

  it('falls back to Host when a trusted proxy sent a blank X-Forwarded-Host', () => {
    const request = { headers: { host: 'acme.localhost', 'x-forwarded-host': '   ' } };
    expect(new HostTenantResolver(true).resolve(request)).toEqual({ host: 'acme.localhost' });
  });

  it('quotes the last forwarded value without its spaces when it is malformed', () => {
    const request = { headers: { 'x-forwarded-host': 'acme.localhost, bad host ' } };
    expect(() => new HostTenantResolver(true).resolve(request)).toThrow(new InvalidHostError('Malformed host "bad host".'));
  });

  it('takes the last of three X-Forwarded-Host lines', () => {
    const request = { headers: { 'x-forwarded-host': ['globex.localhost', 'initech.localhost', 'acme.localhost'] } };
    expect(new HostTenantResolver(true).resolve(request)).toEqual({ host: 'acme.localhost' });
  });
});
