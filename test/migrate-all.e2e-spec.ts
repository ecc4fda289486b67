import { Migration } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type SchemaMigrationResult, SchemaMigrator, TenancyModule, TenancyService, TenantNotFoundError } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Migration20261126182507_initial as InitialTenantMigration } from '../apps/example/src/migrations/tenant/Migration20261126182507_initial.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { openSession, waitForBlockedStatement } from './support/database-session.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

/** A second tenant migration: a table of labels. */
class LabelMigration extends Migration {
  override up(): void {
    this.addSql('create table "label" ("id" serial primary key)');
  }

  override down(): void {
    this.addSql('drop table "label"');
  }
}

const INITIAL = 'Migration20261126182507_initial';
const LABEL = 'Migration20990102000000_label';

/** The deploy-time run (`SchemaMigrator.migrateAll()`, what `npx tenancy migrate` calls) through its API. */
describe('SchemaMigrator.migrateAll (real PostgreSQL)', () => {
  let context: INestApplicationContext;
  let migrator: SchemaMigrator;
  const [a, b] = [uniqueName('all_a'), uniqueName('all_b')];
  const sharedSchema = 'public';

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
                { name: LABEL, class: LabelMigration },
              ],
            },
          },
        }),
      ],
    }).compile();
    context = await moduleRef.init();
    migrator = context.get(SchemaMigrator);
    for (const schema of [a, b]) {
      await context.get(TenancyService).createTenant({ schema });
    }
  });

  afterAll(async () => {
    await dropTestTenants(context, [a, b]);
    await context.close();
  });

  it('runs the shared set, then the tenants named (once each), saying which before the first one runs', async () => {
    await migrator.revert('tenant', b);
    const events: unknown[] = [];
    const report = await migrator.migrateAll({
      schemas: [b, a, b],
      concurrency: 1,
      onTenantsStart: (schemas) => events.push(['start', schemas]),
      onResult: (result) => events.push([result.schema, result.status, result.migrations]),
    });
    expect(events).toEqual([
      [sharedSchema, 'up-to-date', []],
      ['start', [b, a]],
      [b, 'migrated', [LABEL]],
      [a, 'up-to-date', []],
    ]);
    expect(report).toMatchObject({
      shared: { schema: sharedSchema, set: 'shared', status: 'up-to-date' },
      schemas: [b, a],
      tenants: [
        { schema: b, set: 'tenant', status: 'migrated' },
        { schema: a, set: 'tenant', status: 'up-to-date' },
      ],
      failed: [],
    });
  });

  it('plans a dry run without applying anything: the shared set up to date, each tenant planned', async () => {
    await migrator.revert('tenant', a);
    const report = await migrator.migrateAll({ dryRun: true, schemas: [a] });
    expect(report.shared).toMatchObject({ status: 'up-to-date', migrations: [] });
    expect(report.tenants).toMatchObject([{ schema: a, status: 'planned', migrations: [LABEL] }]);
    expect((await migrator.states('tenant', [a])).get(a)?.pending).toEqual([LABEL]);
    await migrator.migrateTenant(a);
  });

  it('runs only the tenants with shared: false, and only the shared set with tenants: false', async () => {
    await migrator.revert('tenant', a);
    const tenantsOnly = await migrator.migrateAll({ shared: false, schemas: [a] });
    expect(tenantsOnly.shared).toBeUndefined();
    expect(tenantsOnly.tenants).toMatchObject([{ schema: a, status: 'migrated', migrations: [LABEL] }]);

    const sharedOnly = await migrator.migrateAll({ tenants: false });
    expect(sharedOnly).toEqual({
      shared: expect.objectContaining({ schema: sharedSchema, status: 'up-to-date' }),
      tenants: [],
      schemas: [],
      failed: [],
    });
  });

  it('refuses schemas that are not tenants before running any, naming them all', async () => {
    const [x, y] = [uniqueName('nobody'), uniqueName('nobody')];
    await migrator.revert('tenant', a);
    await expect(migrator.migrateAll({ shared: false, schemas: [a, x, y] })).rejects.toThrow(
      new TenantNotFoundError(`No tenant has schema "${x}", "${y}".`),
    );
    expect((await migrator.states('tenant', [a])).get(a)?.pending).toEqual([LABEL]);
    await migrator.migrateTenant(a);
  });

  it('reads migration names recorded with their file extension (older MikroORM versions) as applied', async () => {
    await migrator.revert('tenant', a);
    await sql(context, `insert into "${a}"."mikro_orm_migrations" ("name") values (?), (?)`, [
      `${LABEL}.js`,
      'Migration20990103000000_x.ts',
    ]);
    try {
      expect((await migrator.states('tenant', [a])).get(a)).toEqual({
        schema: a,
        set: 'tenant',
        applied: [INITIAL, LABEL, 'Migration20990103000000_x'],
        pending: [],
      });
    } finally {
      await sql(context, `delete from "${a}"."mikro_orm_migrations" where "name" like '%.%s'`);
      await migrator.migrateTenant(a);
    }
  });

  describe('while another runner holds a schema', () => {
    let session: pg.Client;

    beforeAll(async () => {
      session = await openSession();
    });

    afterAll(async () => {
      await session.query('rollback').catch(() => undefined);
      await session.end();
    });

    it("waits for the schema's migration lock and says it did; says nothing when it did not wait", async () => {
      await migrator.revert('tenant', b);
      await session.query('begin');
      // the lock a migration run takes on a schema (namespace 74119001, see postgres/advisory-lock.ts)
      await session.query('select pg_advisory_xact_lock(74119001, hashtext($1))', [b]);
      let settled = false;
      const running = migrator.migrateTenant(b).finally(() => (settled = true));
      const waited = await waitForBlockedStatement(session, '%pg_advisory_xact_lock%', {
        waitEvent: 'advisory',
        until: () => settled,
      });
      await session.query('commit');
      const result: SchemaMigrationResult = await running;
      expect({ waited, result }).toMatchObject({ waited: true, result: { status: 'migrated', waitedForLock: true } });

      await migrator.revert('tenant', b);
      const free = await migrator.migrateTenant(b);
      expect(free.status).toBe('migrated');
      expect('waitedForLock' in free).toBe(false);
    });
  });
});
