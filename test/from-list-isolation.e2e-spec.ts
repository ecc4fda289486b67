import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CrossTenantAccessError, NoTenantBoundError, TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, uniqueName } from './support/test-app.js';

/**
 * Hand-written SQL whose FROM list names another tenant's table after a function call, a
 * sub-query or a join: the guard must see every item of the list, not only the first.
 */
describe('hand-written SQL naming a tenant table later in a FROM list (real PostgreSQL)', () => {
  let app: NestFastifyApplication;
  let a: TenantDetails;
  let b: TenantDetails;

  beforeAll(async () => {
    app = await createTestApp();
    a = await createTestTenant(app, { schema: uniqueName('from_a') });
    b = await createTestTenant(app, { schema: uniqueName('from_b') });
    const created = await app.inject({
      method: 'POST',
      url: '/projects',
      ...tenantRequest(b.domains[0].host),
      payload: { name: 'b-secret' },
    });
    expect(created.statusCode).toBe(201);
  });

  afterAll(async () => {
    await dropTestTenants(app, [a.schema, b.schema]);
    await app.close();
  });

  /** Statements whose FROM list names `own`'s tables, then `other`'s project table. */
  const fromLists = (own: string, other: string) => [
    `select p.name from generate_series(1, 1) g, "${other}"."project" p`,
    `select p.name from (select 1) x, "${other}"."project" p`,
    `select p.name from "${own}"."task" t right join "${own}"."project" q on true, "${other}"."project" p`,
    `select p.name from lateral (select 1) x, "${other}"."project" p`,
  ];

  it("refuses another tenant's table while a tenant is bound", async () => {
    const tenancy = app.get(TenancyService);
    for (const query of fromLists(a.schema, b.schema)) {
      await expect(
        tenancy.run(a.schema, (em) => em.getConnection().execute(query)),
        query,
      ).rejects.toThrow(CrossTenantAccessError);
    }
  });

  it('refuses a tenant table with no tenant bound', async () => {
    const em = app.get(MikroORM).em.fork();
    for (const query of fromLists(b.schema, b.schema)) {
      await expect(em.getConnection().execute(query), query).rejects.toThrow(NoTenantBoundError);
    }
  });

  it("runs the same statements on the bound tenant's own table", async () => {
    const tenancy = app.get(TenancyService);
    for (const query of fromLists(b.schema, b.schema)) {
      const rows = await tenancy.run(b.schema, (em) => em.getConnection().execute(query));
      expect((rows as { name: string }[]).map((row) => row.name)).toContain('b-secret');
    }
  });
});
