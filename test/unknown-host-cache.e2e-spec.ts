import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/eventually.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

const status = async (app: NestFastifyApplication, host: string): Promise<number> =>
  (await app.inject({ method: 'GET', url: '/whoami', ...tenantRequest(host) })).statusCode;

describe('a host that resolved to no tenant is remembered for cache.negativeTtl only', () => {
  const negativeTtl = 300;
  let app: NestFastifyApplication;
  let tenant: TenantDetails;

  beforeAll(async () => {
    // the filter off: every unknown host is looked up and cached as not found
    app = await createTestApp(3, { knownHosts: { enabled: false }, cache: { ttl: 600_000, negativeTtl } });
    tenant = await createTestTenant(app, { schema: uniqueName('negttl') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [tenant.schema]);
    await app.close();
  });

  it('serves a host added by another process, with no notification, once negativeTtl has passed', async () => {
    const host = `late.${tenant.schema.replaceAll('_', '-')}.test`;
    expect(await status(app, host)).toBe(404);
    // another process registers the domain and tells no one
    await sql(app, 'insert into public.domain (host, tenant_id, is_primary, created_at) values (?, ?, false, now())', [
      host,
      tenant.id,
    ]);
    expect(await eventually(() => status(app, host), 200, negativeTtl * 10)).toBe(200);
  });
});

describe('a registered host forgets that it was unknown', () => {
  let app: NestFastifyApplication;
  let tenant: TenantDetails;

  beforeAll(async () => {
    // default TTLs: a negative entry would outlive the test
    app = await createTestApp(3);
    tenant = await createTestTenant(app, { schema: uniqueName('readd') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [tenant.schema]);
    await app.close();
  });

  it('answers 200 at once for a domain removed and added again', async () => {
    const tenancy = app.get(TenancyService);
    const host = `again.${tenant.schema.replaceAll('_', '-')}.test`;
    await tenancy.addDomain(tenant.schema, host);
    expect(await status(app, host)).toBe(200);
    await tenancy.removeDomain(host);
    expect(await status(app, host)).toBe(404);
    await tenancy.addDomain(tenant.schema, host);
    expect(await status(app, host)).toBe(200);
  });
});
