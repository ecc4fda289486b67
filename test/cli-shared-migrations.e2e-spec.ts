import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import type { MigrationRunReport } from 'nestjs-tenancy/cli';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, migrationFolder, parseJson, runCli, writeMigration } from './support/cli.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

// Shared migrations of the test's own, after the example app's; the tables they would create are
// unique to this run, and removed (with their migration rows) afterwards whatever happened.
const suffix = randomBytes(4).toString('hex');
const PLANNED = 'Migration20990102000000_cli_shared_planned';
const FAILING = 'Migration20990102000001_cli_shared_failing';
const TENANT_PENDING = 'Migration20990102000002_cli_tenant_pending';
const plannedTable = `cli_shared_planned_${suffix}`;

describe('migrate and the shared migration set (real processes)', () => {
  let app: NestFastifyApplication;
  const folders: string[] = [];
  const tenants: string[] = [];

  const sharedApplied = async (name: string): Promise<number> =>
    (await sql(app, 'select 1 from public.mikro_orm_migrations where name = ?', [name])).length;

  beforeAll(async () => {
    await ensureCliBuilt();
    app = await createTestApp(3);
  });

  afterAll(async () => {
    await sql(app, `drop table if exists public."${plannedTable}"`);
    await sql(app, 'delete from public.mikro_orm_migrations where name in (?, ?)', [PLANNED, FAILING]);
    await dropTestTenants(app, tenants);
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
    await app.close();
  });

  it('--dry-run lists a pending shared migration and applies nothing', async () => {
    const shared = await migrationFolder('shared');
    folders.push(shared);
    await writeMigration(shared, PLANNED, [`create table "${plannedTable}" ("id" int);`], [`drop table "${plannedTable}";`]);

    const run = await runCli(['migrate', '--shared', '--dry-run', '--json'], { TENANCY_SHARED_MIGRATIONS: shared });
    expect(run.code, run.stderr).toBe(0);
    expect(parseJson<MigrationRunReport>(run).results).toEqual([
      expect.objectContaining({ set: 'shared', schema: 'public', status: 'planned', migrations: [PLANNED] }),
    ]);
    expect(
      await sql(app, 'select 1 from information_schema.tables where table_schema = ? and table_name = ?', [
        'public',
        plannedTable,
      ]),
    ).toEqual([]);
    expect(await sharedApplied(PLANNED)).toBe(0);
  });

  it('a failing shared migration: exit 1 with the reason, and no tenant schema migrated', async () => {
    const shared = await migrationFolder('shared');
    const tenant = await migrationFolder('tenant');
    folders.push(shared, tenant);
    await writeMigration(shared, FAILING, ['select 1 / 0;'], []);
    await writeMigration(tenant, TENANT_PENDING, ['alter table "project" add column "cli_pending" int;'], []);
    const schema = uniqueName('cli_shfail');
    await app.get(TenancyService).createTenant({ schema });
    tenants.push(schema);

    const run = await runCli(['migrate', '--json'], { TENANCY_SHARED_MIGRATIONS: shared, TENANCY_TENANT_MIGRATIONS: tenant });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: The shared migrations failed, so no tenant schema was migrated: .*division by zero.*\n$/);
    const report = parseJson<MigrationRunReport>(run);
    expect(report.ok).toBe(false);
    expect(report.results).toEqual([
      expect.objectContaining({ set: 'shared', schema: 'public', status: 'failed', migrations: [] }),
    ]);
    expect(await sharedApplied(FAILING)).toBe(0);
    expect(await sql(app, `select 1 from "${schema}".mikro_orm_migrations where name = ?`, [TENANT_PENDING])).toEqual([]);
    expect(
      await sql(app, 'select 1 from information_schema.columns where table_schema = ? and column_name = ?', [
        schema,
        'cli_pending',
      ]),
    ).toEqual([]);
  });
});
