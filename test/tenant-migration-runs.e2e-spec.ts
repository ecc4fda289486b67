import { Migration } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { type INestApplicationContext, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  MigrationError,
  SchemaMigrator,
  TenancyConfigError,
  TenancyModule,
  TenancyService,
  type SchemaMigrationResult,
} from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Migration20261126182507_initial as InitialTenantMigration } from '../apps/example/src/migrations/tenant/Migration20261126182507_initial.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

/** A second tenant migration: a table of notes. */
class NoteMigration extends Migration {
  override up(): void {
    this.addSql('create table "note" ("id" serial primary key)');
  }

  override down(): void {
    this.addSql('drop table "note"');
  }
}

const INITIAL = 'Migration20261126182507_initial';
const NOTE = 'Migration20990101000000_note';

/** Runs of the tenant migration set over several schemas: states, plans, reverts, failures. */
describe('tenant migration runs (real PostgreSQL)', () => {
  let context: INestApplicationContext;
  let migrator: SchemaMigrator;
  const schemas = [uniqueName('mig_a'), uniqueName('mig_b'), uniqueName('mig_c')];
  const ghost = uniqueName('mig_ghost');

  beforeAll(async () => {
    await (await createTestApp()).close(); // the shared schema must exist
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
        TenancyModule.forRoot({
          migrations: {
            shared: migrations?.shared,
            tenant: {
              migrationsList: [
                { name: INITIAL, class: InitialTenantMigration },
                { name: NOTE, class: NoteMigration },
              ],
            },
          },
        }),
      ],
    }).compile();
    context = await moduleRef.init();
    migrator = context.get(SchemaMigrator);
    for (const schema of schemas) {
      await context.get(TenancyService).createTenant({ schema });
    }
  });

  afterAll(async () => {
    await dropTestTenants(context, schemas);
    await sql(context, `drop schema if exists "${ghost}" cascade`);
    await context.close();
  });

  it('reverts the last migration of a schema, and reads applied and pending migrations of many schemas at once', async () => {
    expect(await migrator.revert('tenant', schemas[1])).toMatchObject({
      schema: schemas[1],
      set: 'tenant',
      status: 'reverted',
      migrations: [NOTE],
    });
    const states = await migrator.states('tenant', [schemas[0], schemas[1], ghost]);
    expect([...states.values()]).toEqual([
      { schema: schemas[0], set: 'tenant', applied: [INITIAL, NOTE], pending: [] },
      { schema: schemas[1], set: 'tenant', applied: [INITIAL], pending: [NOTE] },
      { schema: ghost, set: 'tenant', applied: [], pending: [INITIAL, NOTE] },
    ]);
  });

  it('plans without touching the database: pending migrations up to `to`, or the last one to revert', async () => {
    expect(await migrator.migrateTenant(ghost, { dryRun: true, to: INITIAL })).toMatchObject({
      status: 'planned',
      migrations: [INITIAL],
    });
    expect(await migrator.migrateTenant(ghost, { dryRun: true, to: NOTE })).toMatchObject({
      status: 'planned',
      migrations: [INITIAL, NOTE],
    });
    expect(await migrator.migrateTenant(ghost, { dryRun: true, to: 'no_such_migration' })).toMatchObject({
      migrations: [INITIAL, NOTE],
    });
    expect(await migrator.revert('tenant', schemas[0], { dryRun: true })).toMatchObject({
      status: 'planned',
      migrations: [NOTE],
    });
    expect(await migrator.revert('tenant', ghost, { dryRun: true })).toMatchObject({ migrations: [] });
    expect(await sql(context, 'select 1 from pg_namespace where nspname = ?', [ghost])).toEqual([]);
  });

  it('migrates a schema up to `to` only', async () => {
    await migrator.revert('tenant', schemas[2]);
    await migrator.revert('tenant', schemas[2]);
    expect(await migrator.migrateTenant(schemas[2], { to: INITIAL })).toMatchObject({
      status: 'migrated',
      migrations: [INITIAL],
    });
    expect((await migrator.states('tenant', [schemas[2]])).get(schemas[2])?.pending).toEqual([NOTE]);
  });

  it('migrates many schemas, reporting each one and going on after a failure, and finds them up to date next time', async () => {
    await migrator.revert('tenant', schemas[0]);
    const reported: SchemaMigrationResult[] = [];
    await sql(context, `create table "${schemas[2]}"."note" ("id" int)`); // its migration will fail
    const debugged: string[] = [];
    const debug = vi.spyOn(Logger.prototype, 'debug').mockImplementation((message: unknown) => {
      debugged.push(String(message));
    });
    const results = await migrator
      .migrateTenants([...schemas, ghost], { concurrency: 2, onResult: (r) => reported.push(r) })
      .finally(() => debug.mockRestore());
    const bySchema = new Map(results.map((result) => [result.schema, result]));
    expect(bySchema.get(schemas[0])).toMatchObject({ status: 'migrated', migrations: [NOTE] });
    expect(bySchema.get(schemas[1])).toMatchObject({ status: 'migrated', migrations: [NOTE] });
    expect(bySchema.get(schemas[2])).toMatchObject({ status: 'failed', migrations: [] });
    expect(bySchema.get(schemas[2])?.error).toMatch(/^Migrating tenant schema "mig_c_\w+" failed: .*"note" already exists/);
    // said at debug level too, for apps that do not print the results
    expect(debugged).toContainEqual(bySchema.get(schemas[2])?.error);
    expect(bySchema.get(ghost)).toMatchObject({ status: 'migrated', migrations: [INITIAL, NOTE] });
    expect(reported).toHaveLength(4);
    expect(new Set(reported)).toEqual(new Set(results));
    const again = await migrator.migrateTenants([schemas[0], ghost]);
    expect(again).toEqual([
      { schema: schemas[0], set: 'tenant', status: 'up-to-date', migrations: [], durationMs: 0 },
      { schema: ghost, set: 'tenant', status: 'up-to-date', migrations: [], durationMs: 0 },
    ]);
  });

  it('skips the schemas after a failure with failFast', async () => {
    const results = await migrator.migrateTenants([schemas[2], schemas[0], schemas[1]], { concurrency: 1, failFast: true });
    expect(results.map((result) => [result.schema, result.status])).toEqual([
      [schemas[2], 'failed'],
      [schemas[0], 'skipped'],
      [schemas[1], 'skipped'],
    ]);
    await expect(migrator.migrateTenant(schemas[2])).rejects.toThrow(MigrationError);
  });

  it('reads applied names verbatim and in the order they ran, whatever characters they hold', async () => {
    // the states are read through query_to_xml: names come back XML-escaped and are unescaped
    const odd = `Migration20990102000000_a&b<c>"d'é&amp;`;
    const table = `"${ghost}"."mikro_orm_migrations"`;
    await sql(context, `insert into ${table} ("name") values (?), (?)`, [odd, 'Migration20990103000000_later.js']);
    try {
      const state = (await migrator.states('tenant', [ghost])).get(ghost);
      expect(state?.applied).toEqual([INITIAL, NOTE, odd, 'Migration20990103000000_later']);
      expect(state?.pending).toEqual([]);
    } finally {
      await sql(context, `delete from ${table} where "name" in (?, ?)`, [odd, 'Migration20990103000000_later.js']);
    }
  });
});

describe('a migration set that is not configured', () => {
  it('is refused with what to pass to forRoot()', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)), TenancyModule.forRoot({ migrations: {} })],
    }).compile();
    const context = await moduleRef.init();
    try {
      await expect(context.get(SchemaMigrator).migrateTenant(uniqueName('none'))).rejects.toThrow(
        new TenancyConfigError(
          'No tenant migration set is configured: pass migrations.tenant ({ path } or { migrationsList }) to TenancyModule.forRoot().',
        ),
      );
    } finally {
      await context.close();
    }
  });
});
