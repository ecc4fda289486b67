import { Migration } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SchemaMigrator, TenancyModule, TenancyService } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migration20261126182507_initial as SharedInitial } from '../apps/example/src/migrations/shared/Migration20261126182507_initial.js';
import { Migration20261203131520_tenant_suspension as SharedSuspension } from '../apps/example/src/migrations/shared/Migration20261203131520_tenant_suspension.js';
import { Migration20261203133222_tenant_deletion as SharedDeletion } from '../apps/example/src/migrations/shared/Migration20261203133222_tenant_deletion.js';
import { Migration20261126182507_initial as TenantInitial } from '../apps/example/src/migrations/tenant/Migration20261126182507_initial.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

// SchemaMigrator's paths that only the CLI tests reached (on the compiled dist/, which mutation
// testing does not reach): states() past one query's 500 schemas, migrateAll() on a database whose
// registry is not migrated, and migrateAll() when the shared set fails.

const SHARED = [SharedInitial, SharedSuspension, SharedDeletion].map((migration) => migration.name);
const TENANT_INITIAL = TenantInitial.name;

class FailingSharedMigration extends Migration {
  override async up(): Promise<void> {
    this.addSql('select 1 / 0');
  }
}

async function contextOn(url: string, tenancy: Parameters<typeof TenancyModule.forRoot>[0]): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [MikroOrmModule.forRoot(ormOptions(url, 3)), TenancyModule.forRoot(tenancy)],
  }).compile();
  return moduleRef.init();
}

describe('SchemaMigrator.states(): the migrations tables of many schemas (real PostgreSQL)', () => {
  let app: INestApplicationContext;
  const prefix = uniqueName('st');
  const count = 1001; // three queries of up to 500 schemas
  const schemas = Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  const noTable = `${prefix}_none`;
  // what query_to_xml escapes (&, <, >, a carriage return), and quotes, which it does not
  const odd = `Migration20990101000000_a&b<c>"d'e\rf`;

  beforeAll(async () => {
    app = await createTestApp(3);
    // each schema: the example's initial tenant migration, then one of its own
    await sql(
      app,
      `do $$ begin
         for i in 0..${count - 1} loop
           execute format('create schema %I', '${prefix}_' || i);
           execute format('create table %I.mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default now())', '${prefix}_' || i);
           execute format('insert into %I.mikro_orm_migrations (name) values (%L), (%L)', '${prefix}_' || i, '${TENANT_INITIAL}', 'Migration20990101000000_own_' || i);
         end loop;
       end $$`,
    );
    await sql(app, `create schema "${noTable}"`);
    await sql(app, `insert into "${schemas[700]}".mikro_orm_migrations (name) values (?)`, [odd]);
  }, 120_000);

  afterAll(async () => {
    await sql(
      app,
      `do $$ declare s text; begin
         for s in select nspname from pg_namespace where nspname like '${prefix}\\_%' loop
           execute format('drop schema %I cascade', s);
         end loop;
       end $$`,
    );
    await app.close();
  }, 120_000);

  it("reads every schema's applied migrations in order, past the 500 schemas one query reads", async () => {
    const states = await app.get(SchemaMigrator).states('tenant', [...schemas, noTable]);
    expect(states.size).toBe(count + 1);
    for (const [i, schema] of schemas.entries()) {
      const own = `Migration20990101000000_own_${i}`;
      expect(states.get(schema)).toEqual({
        schema,
        set: 'tenant',
        applied: i === 700 ? [TENANT_INITIAL, own, odd] : [TENANT_INITIAL, own],
        pending: [],
      });
    }
    expect(states.get(noTable)).toEqual({ schema: noTable, set: 'tenant', applied: [], pending: [TENANT_INITIAL] });
  });
});

describe('SchemaMigrator.migrateAll() on a database whose shared migrations have not run (real PostgreSQL)', () => {
  let database: ScratchDatabase;
  let context: INestApplicationContext;

  beforeAll(async () => {
    database = await createScratchDatabase('migrate_all');
    context = await contextOn(database.url, { migrations });
  });

  afterAll(async () => {
    await context?.close();
    await database?.drop();
  });

  it('a dry run plans the shared set and no tenant (the registry is not there yet), and creates nothing', async () => {
    const report = await context.get(SchemaMigrator).migrateAll({ dryRun: true });
    expect(report).toEqual({
      shared: expect.objectContaining({ schema: 'public', set: 'shared', status: 'planned', migrations: SHARED }),
      tenants: [],
      schemas: [],
      failed: [],
    });
    // not even the migrations table: MikroORM's Migrator.init() creates it in the default schema
    expect(await sql(context, `select tablename from pg_tables where schemaname = 'public'`)).toEqual([]);
  });

  it('then a real run applies the shared set and finds no tenant', async () => {
    const report = await context.get(SchemaMigrator).migrateAll();
    expect(report).toEqual({
      shared: expect.objectContaining({ status: 'migrated', migrations: SHARED }),
      tenants: [],
      schemas: [],
      failed: [],
    });
    expect(await context.get(TenancyService).listTenants()).toEqual([]);
  });
});

describe('SchemaMigrator.migrateAll() when a shared migration fails (real PostgreSQL)', () => {
  let context: INestApplicationContext;
  const schema = uniqueName('shared_fails');

  beforeAll(async () => {
    await (await createTestApp()).close(); // the shared schema, migrated
    context = await contextOn(databaseUrl(), {
      migrations: {
        shared: {
          migrationsList: [
            ...[SharedInitial, SharedSuspension, SharedDeletion].map((migration) => ({ name: migration.name, class: migration })),
            { name: 'Migration29990101000000_fails', class: FailingSharedMigration },
          ],
        },
        tenant: migrations!.tenant,
      },
    });
    await context.get(TenancyService).createTenant({ schema });
  });

  afterAll(async () => {
    await dropTestTenants(context, [schema]);
    await context?.close();
  });

  it('reports it failed and runs no tenant: the failure is the only result', async () => {
    const migrator = context.get(SchemaMigrator);
    const seen: unknown[] = [];
    const report = await migrator.migrateAll({
      onTenantsStart: (schemas) => seen.push(['start', schemas.length]),
      onResult: (result) => seen.push([result.schema, result.status]),
    });
    const failure = {
      schema: 'public',
      set: 'shared',
      status: 'failed',
      migrations: [],
      durationMs: 0,
      error: expect.stringMatching(/^Migrating shared schema "public" failed: .*division by zero/),
    };
    expect(report).toEqual({ shared: failure, tenants: [], schemas: [], failed: [failure] });
    expect(seen).toEqual([['public', 'failed']]);
    // rolled back: still pending, nothing recorded
    expect((await migrator.states('shared', ['public'])).get('public')?.pending).toEqual(['Migration29990101000000_fails']);
  });
});
