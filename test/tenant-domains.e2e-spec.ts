import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DomainNotFoundError,
  DomainTakenError,
  PrimaryDomainError,
  TenancyError,
  TenancyService,
  type TenantDetails,
} from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

describe('domain operations (TenancyService, TenantDomainsService)', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let tenant: TenantDetails;
  let other: TenantDetails;

  beforeAll(async () => {
    app = await createTestApp(2);
    tenancy = app.get(TenancyService);
    tenant = await createTestTenant(app, { schema: uniqueName('dom') });
    other = await createTestTenant(app, { schema: uniqueName('dom') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [tenant.schema, other.schema]);
    await app.close();
  });

  it('adds, promotes and removes domains, one primary at a time', async () => {
    const extra = `extra.${tenant.domains[0].host}`;
    const added = await tenancy.addDomain(tenant.schema, extra, { primary: true });
    expect(added.domains).toEqual([
      { host: extra, isPrimary: true },
      { host: tenant.domains[0].host, isPrimary: false },
    ]);
    await expect(tenancy.removeDomain(extra)).rejects.toThrow(
      new PrimaryDomainError(`Domain "${extra}" is the tenant's primary domain: make another domain primary first.`),
    );
    await expect(tenancy.removeDomain(extra)).rejects.toThrow(PrimaryDomainError);
    await tenancy.makePrimaryDomain(tenant.domains[0].host);
    await tenancy.removeDomain(extra);
    expect((await tenancy.getTenant(tenant.schema)).domains).toEqual([{ host: tenant.domains[0].host, isPrimary: true }]);
  });

  it('says which domain is taken or unknown, in the same words everywhere', async () => {
    const taken = other.domains[0].host;
    await expect(tenancy.addDomain(tenant.schema, taken)).rejects.toThrow(
      new DomainTakenError(`Domain "${taken}" is already used by another tenant.`),
    );
    await expect(tenancy.createTenant({ schema: uniqueName('dom'), domains: [taken] })).rejects.toThrow(
      new DomainTakenError(`Domain "${taken}" is already used by another tenant.`),
    );
    for (const operation of [
      () => tenancy.removeDomain('nowhere.dom.test'),
      () => tenancy.makePrimaryDomain('nowhere.dom.test'),
    ]) {
      await expect(operation()).rejects.toThrow(
        new DomainNotFoundError('Domain "nowhere.dom.test" is not attached to any tenant.'),
      );
    }
  });

  it('a failing addDomain says that adding the domain failed, not that creating a tenant did', async () => {
    const host = `${uniqueName('refused').replaceAll('_', '-')}.dom.test`;
    const constraint = uniqueName('test_refuse_host');
    // a database error the library does not translate: a check constraint refusing this one host
    await sql(app, `alter table public.domain add constraint ${constraint} check (host <> '${host}')`);
    try {
      const failure = tenancy.addDomain(tenant.schema, host);
      await expect(failure).rejects.toThrow(TenancyError);
      await expect(failure).rejects.toThrow(
        new RegExp(`^Adding domain "${host}" to tenant "${tenant.schema}" failed; nothing was changed: .*${constraint}`),
      );
      await expect(failure).rejects.not.toThrow(/Creating tenant/);
    } finally {
      await sql(app, `alter table public.domain drop constraint ${constraint}`);
    }
    expect((await tenancy.getTenant(tenant.schema)).domains.map((domain) => domain.host)).not.toContain(host);
  });

  it('a failing makePrimaryDomain says that making the domain primary failed, with the database error as cause', async () => {
    const host = `${uniqueName('second').replaceAll('_', '-')}.dom.test`;
    await tenancy.addDomain(tenant.schema, host);
    const constraint = uniqueName('test_refuse_primary');
    await sql(app, `alter table public.domain add constraint ${constraint} check (host <> '${host}' or not is_primary)`);
    try {
      const error = await tenancy.makePrimaryDomain(host).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenancyError);
      expect((error as Error).message).toMatch(
        new RegExp(`^Making domain "${host}" primary failed; nothing was changed: .*${constraint}`),
      );
      expect((error as Error).cause).toBeInstanceOf(Error);
    } finally {
      await sql(app, `alter table public.domain drop constraint ${constraint}`);
      await tenancy.removeDomain(host);
    }
    expect((await tenancy.getTenant(tenant.schema)).domains).toEqual([{ host: tenant.domains[0].host, isPrimary: true }]);
  });
});
