import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MigrationRunReport, MigrationStatusReport } from 'nestjs-tenancy/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import { migrationFolder, parseJson, quote, runCli, useCliTestContext, writeMigration } from './support/cli.js';

// `migrate` and `migrate:status` as real processes on real PostgreSQL
describe('tenancy CLI: migrate', () => {
  const cli = useCliTestContext();

  describe('migrate across 30 tenants', () => {
    let dir: string;
    let schemas: string[];
    const env = () => ({ TENANCY_TENANT_MIGRATIONS: dir });

    beforeAll(async () => {
      dir = await migrationFolder();
      cli.folder(dir);
      schemas = await cli.createTenants('cli_m', 30);
    });

    it('applies a new tenant migration to every schema with --concurrency 4; migrate:status agrees', async () => {
      await writeMigration(
        dir,
        'Migration20990101000001_cli_flag',
        ['alter table "project" add column "cli_flag" boolean not null default false;'],
        ['alter table "project" drop column "cli_flag";'],
      );
      const run = await runCli(['migrate', '--concurrency', '4', '--json'], env());
      expect(run.code, run.stderr).toBe(0);
      const report = parseJson<MigrationRunReport>(run);
      expect(report.ok).toBe(true);
      expect(report.results[0]).toMatchObject({ set: 'shared', schema: 'public', status: 'up-to-date' });
      const ours = report.results.filter((r) => schemas.includes(r.schema));
      expect(ours).toHaveLength(30);
      for (const result of ours) {
        expect(result).toMatchObject({ set: 'tenant', status: 'migrated', migrations: ['Migration20990101000001_cli_flag'] });
        expect(result.durationMs).toBeTypeOf('number');
      }
      expect(await cli.schemasWithColumn(schemas, 'project', 'cli_flag')).toEqual([...schemas].sort());
      const rows = await cli.appliedRows(schemas, 'Migration20990101000001_cli_flag');
      expect(schemas.every((s) => rows.get(s) === 1)).toBe(true);

      const status = await runCli(['migrate:status', '--tenants', '--json'], env());
      expect(status.code, status.stderr).toBe(0);
      const states = parseJson<MigrationStatusReport>(status).schemas.filter((s) => schemas.includes(s.schema));
      expect(states).toHaveLength(30);
      for (const state of states) {
        expect(state.pending).toEqual([]);
        expect(state.applied).toEqual(['Migration20261126182507_initial', 'Migration20990101000001_cli_flag']);
      }

      const again = await runCli(['migrate', '--schema', schemas[0]], env());
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout.trim()).toBe(`${schemas[0]}: up-to-date`);
    });

    it('reports a data-dependent failure in one schema, migrates the others, and re-runs only that one', async () => {
      const victim = schemas[17];
      const name = 'Migration20990101000002_cli_no_poison';
      await writeMigration(
        dir,
        name,
        [`alter table "project" add constraint "project_name_not_poison" check ("name" <> 'poison');`],
        ['alter table "project" drop constraint "project_name_not_poison";'],
      );
      await cli.sql(`insert into "${victim}"."project" ("name") values ('poison')`);
      const constrained = async () =>
        (
          await cli.sql<{ nspname: string }>(
            `select n.nspname from pg_constraint c join pg_namespace n on n.oid = c.connamespace where c.conname = 'project_name_not_poison' and n.nspname in (${quote(schemas)})`,
          )
        )
          .map((row) => row.nspname)
          .sort();

      const run = await runCli(['migrate', '--tenants', '--json'], env());
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(victim);
      const report = parseJson<MigrationRunReport>(run);
      expect(report.ok).toBe(false);
      const failed = report.results.filter((r) => r.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].schema).toBe(victim);
      expect(failed[0].error).toMatch(/project_name_not_poison/);
      const others = report.results.filter((r) => schemas.includes(r.schema) && r.schema !== victim);
      expect(others).toHaveLength(29);
      expect(others.every((r) => r.status === 'migrated' && r.migrations.join() === name)).toBe(true);
      // the failing schema is unchanged: no constraint, no migration row
      expect(await constrained()).toEqual(schemas.filter((s) => s !== victim).sort());
      expect((await cli.appliedRows([victim], name)).get(victim)).toBe(0);

      // --fail-fast: no schema is started after the first failure
      const fast = await runCli(['migrate', '--tenants', '--fail-fast', '--concurrency', '1', '--json'], env());
      expect(fast.code).toBe(1);
      const fastResults = parseJson<MigrationRunReport>(fast).results;
      const statusOf = (schema: string) => fastResults.find((r) => r.schema === schema)?.status;
      expect(statusOf(victim)).toBe('failed');
      expect(new Set(schemas.slice(0, 17).map(statusOf))).toEqual(new Set(['up-to-date']));
      expect(new Set(schemas.slice(18).map(statusOf))).toEqual(new Set(['skipped']));

      await cli.sql(`update "${victim}"."project" set "name" = 'antidote' where "name" = 'poison'`);
      const rerun = await runCli(['migrate', '--json'], env());
      expect(rerun.code, rerun.stderr).toBe(0);
      const after = parseJson<MigrationRunReport>(rerun).results.filter((r) => schemas.includes(r.schema));
      expect(after.filter((r) => r.status === 'migrated')).toEqual([
        expect.objectContaining({ schema: victim, migrations: [name] }),
      ]);
      expect(after.filter((r) => r.status === 'up-to-date')).toHaveLength(29);
      expect(await constrained()).toEqual([...schemas].sort());
    });

    it('lets two migrate processes run at once without applying a migration twice', async () => {
      const name = 'Migration20990101000003_cli_note';
      // fails if it runs twice in a schema
      await writeMigration(
        dir,
        name,
        ['create table "cli_note" ("id" serial primary key, "body" text);'],
        ['drop table "cli_note";'],
      );
      const [a, b] = await Promise.all([
        runCli(['migrate', '--concurrency', '4', '--json'], env()),
        runCli(['migrate', '--concurrency', '4', '--json'], env()),
      ]);
      expect(a.code, a.stderr).toBe(0);
      expect(b.code, b.stderr).toBe(0);
      const results = [...parseJson<MigrationRunReport>(a).results, ...parseJson<MigrationRunReport>(b).results];
      for (const schema of schemas) {
        const mine = results.filter((r) => r.schema === schema);
        expect(mine.map((r) => r.status).sort()).toEqual(['migrated', 'up-to-date']);
        expect(mine.find((r) => r.status === 'migrated')?.migrations).toEqual([name]);
      }
      const rows = await cli.appliedRows(schemas, name);
      expect(schemas.every((s) => rows.get(s) === 1)).toBe(true);
    });

    it('prints one plain line per schema when piped, and plans without changing anything on --dry-run', async () => {
      const name = 'Migration20990101000004_cli_planned';
      await writeMigration(
        dir,
        name,
        ['alter table "task" add column "cli_planned" int;'],
        ['alter table "task" drop column "cli_planned";'],
      );
      const picked = schemas.slice(0, 3);
      const run = await runCli(['migrate', '--dry-run', ...picked.flatMap((s) => ['--schema', s])], env());
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim().split('\n').sort()).toEqual(picked.map((s) => `${s}: would apply ${name}`).sort());
      expect(await cli.schemasWithColumn(picked, 'task', 'cli_planned')).toEqual([]);
      await rm(join(dir, `${name}.ts`));
    });
  });
});
