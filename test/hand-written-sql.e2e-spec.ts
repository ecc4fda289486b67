import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CrossTenantAccessError, NoTenantBoundError, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, runAsTenant } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

// Hand-written SQL run as a tenant goes through the same check as the ORM's own: tenant tables
// only in the bound tenant's schema, named exactly as PostgreSQL resolves them.
describe('hand-written SQL of a bound tenant', () => {
  let app: NestFastifyApplication;
  let tenant: TenantDetails;
  // a schema PostgreSQL tells apart from the tenant's only by case: "ACME" is not acme
  let upperCase: string;

  beforeAll(async () => {
    app = await createTestApp(3);
    tenant = await createTestTenant(app, { schema: uniqueName('sqlcase') });
    upperCase = tenant.schema.toUpperCase();
    await sql(app, `create schema "${upperCase}"`);
    await sql(app, `create table "${upperCase}"."project" ("id" int primary key, "name" text)`);
    await sql(app, `insert into "${upperCase}"."project" values (1, 'not the tenant''s')`);
  });

  afterAll(async () => {
    await sql(app, `drop schema if exists "${upperCase}" cascade`);
    await dropTestTenants(app, [tenant.schema]);
    await app.close();
  });

  it('refuses a tenant table in a quoted schema that differs from the bound one only by case', async () => {
    const query = runAsTenant(app, tenant.schema, (em) => em.getConnection().execute(`select * from "${upperCase}"."project"`));
    await expect(query).rejects.toThrow(CrossTenantAccessError);
  });

  it('refuses a foreign key to an unqualified tenant table, and creates nothing', async () => {
    const ddl = runAsTenant(app, tenant.schema, (em) =>
      em
        .getConnection()
        .execute(`create table "${tenant.schema}"."note" ("id" int primary key, "project_id" int references project ("id"))`),
    );
    await expect(ddl).rejects.toThrow(NoTenantBoundError);
    await expect(ddl).rejects.toThrow(/names table "project" without the tenant's schema/);
    expect(
      await sql(app, 'select 1 from information_schema.tables where table_schema = ? and table_name = ?', [
        tenant.schema,
        'note',
      ]),
    ).toEqual([]);
  });
});
