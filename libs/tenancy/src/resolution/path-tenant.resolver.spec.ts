import { describe, expect, it } from 'vitest';
import { PathTenantResolver, tenantPathMiddleware, tenantPathRewrite } from './path-tenant.resolver.js';
import type { TenancyRequest } from './tenant.resolver.js';

// The rewrite of path routing, as Fastify's rewriteUrl and Express middleware call it (the e2e test
// test/path-resolver.e2e-spec.ts routes real requests through it).

/** The schema the resolver finds on a request (it answers schemas only). */
const schemaOf = (request: object): string | undefined =>
  (new PathTenantResolver().resolve(request as TenancyRequest) as { schema: string } | undefined)?.schema;

/** Rewrites `url` and says what the resolver then finds on the request. */
function route(url: string | undefined, prefix?: string): { url: string; schema: string | undefined } {
  const request: { url?: string } = url === undefined ? {} : { url };
  const rewritten = tenantPathRewrite(prefix)(request);
  return { url: rewritten, schema: schemaOf(request) };
}

describe('tenantPathRewrite', () => {
  it('routes /t/{schema}/… as /…, keeping the query string, and leaves the schema for the resolver', () => {
    expect(route('/t/acme/projects?x=1')).toEqual({ url: '/projects?x=1', schema: 'acme' });
    expect(route('/t/acme/projects/2/tasks')).toEqual({ url: '/projects/2/tasks', schema: 'acme' });
  });

  it('routes the tenant root, with or without a slash or a query string, as /', () => {
    expect(route('/t/acme')).toEqual({ url: '/', schema: 'acme' });
    expect(route('/t/acme/')).toEqual({ url: '/', schema: 'acme' });
    expect(route('/t/acme?x=1')).toEqual({ url: '/?x=1', schema: 'acme' });
    expect(route('/t/acme#top')).toEqual({ url: '/#top', schema: 'acme' });
  });

  it('leaves a path without the prefix, or whose segment is no schema name, as it is, with no schema', () => {
    for (const url of ['/projects', '/', '/tx/acme/projects', '/t/Bad-Name/projects', '/t//projects', `/t/${'a'.repeat(64)}/x`]) {
      expect(route(url)).toEqual({ url, schema: undefined });
    }
    expect(route(`/t/${'a'.repeat(63)}/x`)).toEqual({ url: '/x', schema: 'a'.repeat(63) });
    expect(route(undefined)).toEqual({ url: '/', schema: undefined });
  });

  it('takes a prefix with or without its trailing slash, and matches whole segments only', () => {
    expect(route('/tenants/acme/projects', '/tenants')).toEqual({ url: '/projects', schema: 'acme' });
    expect(route('/tenants/acme/projects', '/tenants/')).toEqual({ url: '/projects', schema: 'acme' });
    expect(route('/tenantsacme/projects', '/tenants')).toEqual({ url: '/tenantsacme/projects', schema: undefined });
    expect(route('/t/acme/projects', '/tenants')).toEqual({ url: '/t/acme/projects', schema: undefined });
  });
});

describe('tenantPathMiddleware', () => {
  it("rewrites the request's URL in place, then calls next", () => {
    const request = { url: '/t/acme/projects' };
    let called = 0;
    tenantPathMiddleware()(request, {}, () => called++);
    expect({ url: request.url, called, schema: schemaOf(request) }).toEqual({
      url: '/projects',
      called: 1,
      schema: 'acme',
    });
  });
});

describe('PathTenantResolver', () => {
  it("reads the schema from Fastify's raw Node request as well", () => {
    const raw = { url: '/t/acme/x' };
    tenantPathRewrite()(raw);
    expect(new PathTenantResolver().resolve({ raw } as unknown as TenancyRequest)).toEqual({ schema: 'acme' });
    expect(new PathTenantResolver().resolve({ raw: { url: '/x' } } as unknown as TenancyRequest)).toBeUndefined();
  });
});
