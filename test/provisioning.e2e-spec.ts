import { Migration, Migrator } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import {
  DomainTakenError,
  InvalidHostError,
  InvalidSchemaNameError,
  ProvisioningError,
  SchemaMigrator,
  TenancyModule,
  TenancyService,
  TenantAlreadyExistsError,
} from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migration20261126182507_initial as InitialTenantMigration } from '../apps/example/src/migrations/tenant/Migration20261126182507_initial.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { schemaCatalog } from './support/catalog.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

/** Fails half-way, after creating a table, on purpose. */
class FailingMigration extends Migration {
  override up(): void {
    this.addSql('create table "half_done" ("id" int)');
    this.addSql('select 1 / 0');
  }
}

interface Leftovers {
  schema: number;
  tenant: number;
  domain: number;
}

async function leftovers(app: Pick<INestApplicationContext, 'get'>, schema: string, host: string): Promise<Leftovers> {
  const [row] = await sql<{ schema: string; tenant: string; domain: string }>(
    app,
    `select (select count(*) from pg_namespace where nspname = ?) as schema,
            (select count(*) from public.tenant where schema = ?) as tenant,
            (select count(*) from public.domain where host = ?) as domain`,
    [schema, schema, host],
  );
  return { schema: Number(row.schema), tenant: Number(row.tenant), domain: Number(row.domain) };
}

describe('provisioning is all or nothing', () => {
  let context: INestApplicationContext;

  beforeAll(async () => {
    // the shared schema must exist: the example app migrates it
    await (await createTestApp()).close();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
        TenancyModule.forRoot({
          migrations: {
            shared: migrations?.shared,
            tenant: {
              migrationsList: [
                { name: 'Migration20261126182507_initial', class: InitialTenantMigration },
                { name: 'Migration20990101000000_failing', class: FailingMigration },
              ],
            },
          },
        }),
      ],
    }).compile();
    context = await moduleRef.init();
  });

  afterAll(async () => {
    await context.close();
  });

  it('leaves no schema, tenant row or domain when a tenant migration fails', async () => {
    const schema = uniqueName('broken');
    const host = `${schema.replaceAll('_', '-')}.test`;
    const error = await context
      .get(TenancyService)
      .createTenant({ schema, name: 'Broken', domains: [host] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisioningError);
    expect((error as Error).message).toMatch(/division by zero/);
    expect(await leftovers(context, schema, host)).toEqual({ schema: 0, tenant: 0, domain: 0 });
  });
});

describe('provisioning', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const created: string[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    tenancy = app.get(TenancyService);
  });

  afterAll(async () => {
    await dropTestTenants(app, created);
    await app.close();
  });

  it('creates the schema at the latest tenant migration, with its domains, first one primary', async () => {
    const schema = uniqueName('prov');
    created.push(schema);
    const hosts = [`${schema}.Example.TEST`, `www.${schema}.example.test`];
    const tenant = await tenancy.createTenant({ schema, name: 'Provisioned', domains: hosts });
    expect(tenant).toMatchObject({ schema, name: 'Provisioned', status: 'active' });
    expect(tenant.domains).toEqual([
      { host: `${schema}.example.test`, isPrimary: true },
      { host: `www.${schema}.example.test`, isPrimary: false },
    ]);
    const states = await app.get(SchemaMigrator).states('tenant', [schema]);
    expect(states.get(schema)?.pending).toEqual([]);
    expect(states.get(schema)?.applied).toEqual(await app.get(SchemaMigrator).migrationNames('tenant'));
    const tables = await sql<{ table_name: string }>(
      app,
      'select table_name from information_schema.tables where table_schema = ? order by 1',
      [schema],
    );
    expect(tables.map((t) => t.table_name)).toEqual(['mikro_orm_migrations', 'project', 'task']);
  });

  it('refuses bad input and duplicates with a clear error, creating nothing', async () => {
    const schema = uniqueName('dup');
    created.push(schema);
    const host = `${schema}.example.test`;
    await tenancy.createTenant({ schema, domains: [host] });

    await expect(tenancy.createTenant({ schema: 'Bad-Name', domains: ['ok.example.test'] })).rejects.toThrow(
      InvalidSchemaNameError,
    );
    await expect(tenancy.createTenant({ schema: 'pg_nope' })).rejects.toThrow(InvalidSchemaNameError);
    await expect(tenancy.createTenant({ schema: 'public' })).rejects.toThrow(InvalidSchemaNameError);
    await expect(tenancy.createTenant({ schema: uniqueName('x'), domains: ['not a host'] })).rejects.toThrow(InvalidHostError);
    await expect(tenancy.createTenant({ schema, domains: ['other.example.test'] })).rejects.toThrow(TenantAlreadyExistsError);

    const other = uniqueName('dup');
    await expect(tenancy.createTenant({ schema: other, domains: [host.toUpperCase()] })).rejects.toThrow(DomainTakenError);
    expect(await leftovers(app, other, host)).toEqual({ schema: 0, tenant: 0, domain: 1 });
    expect(await leftovers(app, other, 'other.example.test')).toEqual({ schema: 0, tenant: 0, domain: 0 });
  });

  it('serves a tenant created through POST /signup, and answers 400/409 JSON for bad signups', async () => {
    const schema = uniqueName('signup');
    created.push(schema);
    const domain = `${schema.replaceAll('_', '-')}.example.test`;
    const response = await app.inject({ method: 'POST', url: '/signup', payload: { schema, name: 'Signed Up', domain } });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ schema, name: 'Signed Up', domains: [{ host: domain, isPrimary: true }] });
    const whoami = await app.inject({ method: 'GET', url: '/whoami', headers: { host: domain } });
    expect(whoami.json()).toMatchObject({ tenant: { schema, name: 'Signed Up' } });

    const bad = [
      [{ schema: 'Bad Name', name: 'x', domain: 'bad.example.test' }, 400],
      [{ schema: uniqueName('s'), name: 'x' }, 400],
      [{ schema: uniqueName('s'), name: 'x', domain: 'bad host' }, 400],
      [{ schema: uniqueName('s'), name: 'x', domain: '[fe80::1%1]' }, 400],
      [{ schema: uniqueName('s'), name: ['x'], domain: 'x.example.test' }, 400],
      [{ schema, name: 'again', domain: 'again.example.test' }, 409],
      [{ schema: uniqueName('s'), name: 'x', domain }, 409],
    ] as const;
    for (const [payload, status] of bad) {
      const answer = await app.inject({ method: 'POST', url: '/signup', payload });
      expect(answer.statusCode, JSON.stringify(payload)).toBe(status);
      expect(answer.json()).toMatchObject({ statusCode: status, message: expect.any(String), error: expect.any(String) });
    }
    const garbage = await app.inject({
      method: 'POST',
      url: '/signup',
      headers: { 'content-type': 'application/json' },
      payload: '{nope',
    });
    expect(garbage.statusCode).toBe(400);
  });

  it("builds a schema identical to one built by MikroORM's own Migrator (tables, columns, defaults, constraints, indexes, sequences, migration rows)", async () => {
    const provisioned = uniqueName('same_a');
    const reference = uniqueName('same_b');
    created.push(provisioned);
    await tenancy.createTenant({ schema: provisioned });
    const orm = await app.get(SchemaMigrator).migrationOrm('tenant');
    try {
      await new Migrator(orm.em.fork() as SqlEntityManager).up({ schema: reference });
      expect(await schemaCatalog(app, provisioned)).toEqual(await schemaCatalog(app, reference));
    } finally {
      await sql(app, `drop schema if exists "${reference}" cascade`);
    }
  });

  it('plans a dry run without touching the database', async () => {
    const ghost = uniqueName('ghost');
    const result = await app.get(SchemaMigrator).migrateTenant(ghost, { dryRun: true });
    expect(result).toMatchObject({
      schema: ghost,
      status: 'planned',
      migrations: await app.get(SchemaMigrator).migrationNames('tenant'),
    });
    expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [ghost])).toEqual([]);
  });

  it('deletes a tenant and its domains, dropping the schema only when asked', async () => {
    const kept = uniqueName('del_keep');
    const dropped = uniqueName('del_drop');
    created.push(kept, dropped);
    await tenancy.createTenant({ schema: kept, domains: [`${kept}.example.test`] });
    await tenancy.createTenant({ schema: dropped, domains: [`${dropped}.example.test`] });
    await tenancy.deleteTenant(kept);
    await tenancy.deleteTenant(dropped, { dropSchema: true });
    // kept aside: the schema renamed, the row kept as deleted, the domain released
    expect(await leftovers(app, kept, `${kept}.example.test`)).toEqual({ schema: 0, tenant: 1, domain: 0 });
    expect(await leftovers(app, dropped, `${dropped}.example.test`)).toEqual({ schema: 0, tenant: 0, domain: 0 });
    expect((await app.inject({ method: 'GET', url: '/whoami', headers: { host: `${dropped}.example.test` } })).statusCode).toBe(
      404,
    );
    // the deleted tenant keeps its name until it is purged
    await expect(tenancy.createTenant({ schema: kept })).rejects.toThrow(TenantAlreadyExistsError);
    expect(await tenancy.purgeDeletedTenants({ schemas: [kept], all: true })).toMatchObject([{ schema: kept, status: 'purged' }]);
    expect(await leftovers(app, kept, `${kept}.example.test`)).toEqual({ schema: 0, tenant: 0, domain: 0 });
  });
});
