import { MikroORM } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { CrossTenantAccessError, NoTenantBoundError, TenancyModule, TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

/**
 * What TenantIsolation installs when an app boots, checked on an app booted inside the test: the
 * SQL guard in front of the app's own onQuery hook, fed with the tenant bound to the context.
 */
describe('isolation installed at boot (real PostgreSQL)', () => {
  let setup: NestFastifyApplication;
  let a: TenantDetails;
  let b: TenantDetails;

  beforeAll(async () => {
    setup = await createTestApp(2);
    a = await createTestTenant(setup, { schema: uniqueName('inst_a') });
    b = await createTestTenant(setup, { schema: uniqueName('inst_b') });
  });

  afterAll(async () => {
    await dropTestTenants(setup, [a.schema, b.schema]);
    await setup.close();
  });

  it("guards every statement, then passes it to the app's own onQuery hook", async () => {
    const seen: string[] = [];
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot({
          ...ormOptions(databaseUrl(), 2),
          onQuery: (sql: string) => {
            seen.push(sql);
            return sql;
          },
        }),
        TenancyModule.forRoot({ migrations }),
      ],
    }).compile();
    const context = await moduleRef.init();
    try {
      const tenancy = context.get(TenancyService);
      expect(await tenancy.run(a.schema, (em) => em.find(Project, {}))).toEqual([]);
      expect(seen.some((sql) => sql.includes(`from "${a.schema}"."project"`))).toBe(true);
      await expect(
        tenancy.run(a.schema, (em) => em.getConnection().execute(`select * from "${b.schema}"."project"`)),
      ).rejects.toThrow(CrossTenantAccessError);
      await expect(context.get(MikroORM).em.fork().find(Project, {})).rejects.toThrow(
        new NoTenantBoundError(
          'Project is a tenant entity, but no tenant is bound here, so the query was refused. ' +
            'Bind a tenant: serve the route on a tenant host (not a @SharedRoute()), or wrap the code in ' +
            'TenancyService.run(tenant, fn). Hand-written SQL must qualify tenant tables with the bound schema.',
        ),
      );
      expect(seen.some((sql) => sql.includes('__tenancy_no_tenant_bound__'))).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('lets statements name the shared schema and the extraSharedSchemas, and no other schema, with a tenant bound or not', async () => {
    const extra = uniqueName('inst_ext');
    await sql(
      setup,
      `create schema "${extra}"; create table "${extra}".rates (code text); insert into "${extra}".rates values ('eur')`,
    );
    const app = await createTestApp(1, { extraSharedSchemas: [extra] });
    try {
      const tenancy = app.get(TenancyService);
      const em = app.get(MikroORM).em.fork();
      const read = `select code from "${extra}".rates`;
      expect(await em.getConnection().execute(read)).toEqual([{ code: 'eur' }]);
      expect(await tenancy.run(a.schema, (bound) => bound.getConnection().execute(read))).toEqual([{ code: 'eur' }]);
      expect(
        await tenancy.run(a.schema, (bound) =>
          bound.getConnection().execute('select count(*)::int as n from public.tenant where schema = ?', [a.schema]),
        ),
      ).toEqual([{ n: 1 }]);
      await expect(em.getConnection().execute(`select * from "${b.schema}"."project"`)).rejects.toThrow(NoTenantBoundError);
      await expect(
        tenancy.run(a.schema, (bound) => bound.getConnection().execute(`select * from "${b.schema}"."project"`)),
      ).rejects.toThrow(CrossTenantAccessError);
      // the same statement on an app that does not declare the schema shared
      await expect(setup.get(MikroORM).em.fork().getConnection().execute(read)).rejects.toThrow(
        `The query names schema "${extra}", which is not a shared schema, and no tenant is bound here, so it was refused.`,
      );
    } finally {
      await app.close();
      await sql(setup, `drop schema "${extra}" cascade`);
    }
  });
});
