import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DomainNotFoundError,
  DomainTakenError,
  InvalidHostError,
  InvalidTenantInputError,
  PrimaryDomainError,
  TenancyService,
  TenantNotFoundError,
} from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, uniqueName } from './support/test-app.js';

const domainName = (prefix: string) => `${uniqueName(prefix).replaceAll('_', '-')}.test`;

/** A tenant's domains and status through TenancyService, on the example app's database. */
describe('tenant domains and status (real PostgreSQL)', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const created: string[] = [];

  beforeAll(async () => {
    app = await createTestApp(4);
    tenancy = app.get(TenancyService);
  });

  afterAll(async () => {
    await dropTestTenants(app, created);
    await app.close();
  });

  async function tenant(domains: string[] = []) {
    const schema = uniqueName('dom');
    created.push(schema);
    return tenancy.createTenant({ schema, domains });
  }

  it('makes the first domain primary, later ones only when asked, and lists the primary first, then by host', async () => {
    const { schema } = await tenant();
    const [first, b, a, c] = [domainName('first'), `b-${domainName('x')}`, `a-${domainName('x')}`, domainName('c')];
    expect((await tenancy.addDomain(schema, first)).domains).toEqual([{ host: first, isPrimary: true }]);
    await tenancy.addDomain(schema, b);
    const details = await tenancy.addDomain(schema, a.toUpperCase(), { primary: false });
    expect(details.domains).toEqual([
      { host: first, isPrimary: true },
      { host: a, isPrimary: false },
      { host: b, isPrimary: false },
    ]);
    const moved = await tenancy.addDomain(schema, c, { primary: true });
    expect(moved.domains.filter((domain) => domain.isPrimary)).toEqual([{ host: c, isPrimary: true }]);
    expect(moved.domains).toHaveLength(4);
  });

  it('moves the primary domain to another host of the tenant only', async () => {
    const one = await tenant([domainName('one-a'), domainName('one-b')]);
    const two = await tenant([domainName('two-a')]);
    await tenancy.makePrimaryDomain(one.domains[1].host);
    expect((await tenancy.getTenant(one.schema)).domains).toEqual([
      { host: one.domains[1].host, isPrimary: true },
      { host: one.domains[0].host, isPrimary: false },
    ]);
    expect((await tenancy.getTenant(two.schema)).domains).toEqual([{ host: two.domains[0].host, isPrimary: true }]);
    await expect(tenancy.makePrimaryDomain(domainName('nobody'))).rejects.toThrow(DomainNotFoundError);
  });

  it('removes a domain, the primary one only when it is the last', async () => {
    const { schema, domains } = await tenant([domainName('keep'), domainName('extra')]);
    const [primary, extra] = domains.map((domain) => domain.host);
    await expect(tenancy.removeDomain(primary)).rejects.toThrow(PrimaryDomainError);
    await tenancy.removeDomain(extra.toUpperCase());
    expect((await tenancy.getTenant(schema)).domains).toEqual([{ host: primary, isPrimary: true }]);
    await tenancy.removeDomain(primary);
    expect((await tenancy.getTenant(schema)).domains).toEqual([]);
    await expect(tenancy.removeDomain(primary)).rejects.toThrow(DomainNotFoundError);
  });

  it('refuses a domain for an unknown tenant, a domain in use and a malformed one', async () => {
    const { schema, domains } = await tenant([domainName('used')]);
    await expect(tenancy.addDomain('no_such_tenant', domainName('free'))).rejects.toThrow(TenantNotFoundError);
    const other = await tenant();
    await expect(tenancy.addDomain(other.schema, domains[0].host)).rejects.toThrow(DomainTakenError);
    await expect(tenancy.addDomain(schema, domains[0].host)).rejects.toThrow(DomainTakenError);
    await expect(tenancy.addDomain(schema, 'not a host')).rejects.toThrow(InvalidHostError);
    expect((await tenancy.getTenant(other.schema)).domains).toEqual([]);
  });

  it('suspends and resumes a tenant, returning it with its new status', async () => {
    const { schema, updatedAt } = await tenant();
    const suspended = await tenancy.suspend(schema);
    expect(suspended).toMatchObject({ schema, status: 'suspended' });
    expect(suspended.updatedAt.getTime()).toBeGreaterThanOrEqual(updatedAt.getTime());
    expect(await tenancy.resume(schema)).toMatchObject({ schema, status: 'active' });
    await expect(tenancy.suspend('no_such_tenant')).rejects.toThrow(TenantNotFoundError);
  });

  it('names a tenant after its schema by default, takes 1-200 characters, and stores each domain once', async () => {
    const schema = uniqueName('named');
    created.push(schema);
    const host = domainName('twice');
    const details = await tenancy.createTenant({ schema, domains: [host, host.toUpperCase()] });
    expect(details).toMatchObject({ schema, name: schema, status: 'active', domains: [{ host, isPrimary: true }] });
    for (const name of ['', '   ', 'x'.repeat(201)]) {
      const refusal = tenancy.createTenant({ schema: uniqueName('bad'), name });
      await expect(refusal, JSON.stringify(name)).rejects.toThrow(InvalidTenantInputError);
      await expect(refusal, JSON.stringify(name)).rejects.toThrow('The tenant name must be 1-200 characters.');
    }
    const long = uniqueName('long');
    created.push(long);
    expect((await tenancy.createTenant({ schema: long, name: 'x'.repeat(200) })).name).toHaveLength(200);
  });

  it('lists every tenant ordered by schema, each with its own domains', async () => {
    const b = await tenant([domainName('list-b')]);
    const a = await tenant([domainName('list-a')]);
    const listed = (await tenancy.listTenants()).filter((t) => t.schema === a.schema || t.schema === b.schema);
    expect(listed.map((t) => t.schema)).toEqual([a.schema, b.schema].sort());
    for (const t of listed) {
      expect(t.domains).toEqual((t.schema === a.schema ? a : b).domains);
      expect(t.createdAt).toBeInstanceOf(Date);
    }
  });

  it('lists tenants whose domains interleave by host, each with exactly its own, primary first then by host', async () => {
    // the domains are read in one query ordered by (primary, host) and grouped per tenant: hosts of
    // different tenants alternate in that order, and a tenant's primary is not its first host
    const tag = uniqueName('mix').replaceAll('_', '-');
    const host = (letter: string, tenantIndex: number) => `${letter}${tenantIndex}-${tag}.test`;
    const one = await tenant([host('c', 1), host('a', 1), host('e', 1)]);
    const two = await tenant([host('d', 2), host('b', 2), host('f', 2)]);
    const none = await tenant();
    await tenancy.makePrimaryDomain(host('e', 1));
    const listed = new Map((await tenancy.listTenants()).map((t) => [t.schema, t]));
    expect(listed.get(one.schema)?.domains).toEqual([
      { host: host('e', 1), isPrimary: true },
      { host: host('a', 1), isPrimary: false },
      { host: host('c', 1), isPrimary: false },
    ]);
    expect(listed.get(two.schema)?.domains).toEqual([
      { host: host('d', 2), isPrimary: true },
      { host: host('b', 2), isPrimary: false },
      { host: host('f', 2), isPrimary: false },
    ]);
    expect(listed.get(none.schema)?.domains).toEqual([]);
    for (const schema of [one.schema, two.schema, none.schema]) {
      expect((await tenancy.getTenant(schema)).domains).toEqual(listed.get(schema)?.domains);
    }
  });
});
