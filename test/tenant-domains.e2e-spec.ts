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
});
