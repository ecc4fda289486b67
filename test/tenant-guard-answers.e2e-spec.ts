import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HeaderTenantResolver, HostTenantResolver, TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { databaseUrl, sql, uniqueName } from './support/test-app.js';

/** What the resolver guard answers, and what it says, for each kind of request it cannot serve. */
describe('the tenant guard answers (example app, real PostgreSQL)', () => {
  let app: NestFastifyApplication;
  let active: TenantDetails;
  let suspended: TenantDetails;
  let provisioning: TenantDetails;

  beforeAll(async () => {
    app = await createExampleApp({
      databaseUrl: databaseUrl(),
      seed: false,
      logger: false,
      poolSize: 4,
      tenancy: {
        suspendedStatus: 423,
        resolvers: [new HeaderTenantResolver('x-tenant'), new HostTenantResolver()],
      },
    });
    active = await createTestTenant(app, { schema: uniqueName('guard_on') });
    suspended = await createTestTenant(app, { schema: uniqueName('guard_off') });
    provisioning = await createTestTenant(app, { schema: uniqueName('guard_new') });
    await app.get(TenancyService).suspend(suspended.schema);
    // a tenant still being created (a status written by another process, not yet looked up here)
    await sql(app, `update public.tenant set status = 'provisioning' where schema = ?`, [provisioning.schema]);
  });

  afterAll(async () => {
    await dropTestTenants(app, [active.schema, suspended.schema, provisioning.schema]);
    await app.close();
  });

  const get = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/whoami', headers });

  it('serves a tenant named by the first resolver that finds one: the header, then the host', async () => {
    const byHeader = await get({ host: 'nowhere.invalid', 'x-tenant': active.schema });
    expect(byHeader.statusCode).toBe(200);
    expect(byHeader.json()).toMatchObject({ tenant: { schema: active.schema } });
    const byHost = await get(tenantRequest(active.domains[0].host).headers);
    expect(byHost.json()).toMatchObject({ tenant: { schema: active.schema } });
  });

  it('answers 404 naming the unknown schema or host', async () => {
    const bySchema = await get({ host: active.domains[0].host, 'x-tenant': 'no_such_schema' });
    expect(bySchema.statusCode).toBe(404);
    expect(bySchema.json()).toMatchObject({ message: 'No tenant has schema "no_such_schema".' });
    const byHost = await get({ host: 'Nobody.Example.test:8080' });
    expect(byHost.statusCode).toBe(404);
    expect(byHost.json()).toMatchObject({ message: 'No tenant is served at host "nobody.example.test".' });
  });

  it('answers 404 for a tenant that is still being provisioned', async () => {
    expect((await get({ 'x-tenant': provisioning.schema, host: 'x.invalid' })).statusCode).toBe(404);
    expect((await get(tenantRequest(provisioning.domains[0].host).headers)).statusCode).toBe(404);
  });

  it('answers the configured status, with its reason phrase, for a suspended tenant', async () => {
    const response = await get(tenantRequest(suspended.domains[0].host).headers);
    expect(response.statusCode).toBe(423);
    expect(response.json()).toEqual({
      statusCode: 423,
      error: 'Locked',
      message: `Tenant "${suspended.schema}" is suspended.`,
      reason: null,
      suspendedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
  });

  it("says a suspension's reason in the answer", async () => {
    const unpaid = await createTestTenant(app, { schema: uniqueName('guard_why') });
    try {
      await app.get(TenancyService).suspend(unpaid.schema, { reason: 'Invoice 2026-11 unpaid' });
      const response = await get(tenantRequest(unpaid.domains[0].host).headers);
      expect(response.statusCode).toBe(423);
      expect(response.json()).toMatchObject({
        message: `Tenant "${unpaid.schema}" is suspended: Invoice 2026-11 unpaid.`,
        reason: 'Invoice 2026-11 unpaid',
      });
    } finally {
      await dropTestTenants(app, [unpaid.schema]);
    }
  });

  it('answers 400 with the reason for a malformed host', async () => {
    const malformed = await get({ host: 'bad host' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ message: 'Malformed host "bad host".' });
  });
});
