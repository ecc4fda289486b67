import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defineEntity, p } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { CommandFactory, CommandRunnerService } from 'nest-commander';
import { type MigrationRunReport, type MigrationStatusReport, TenancyCliModule, tenancyCliRunOptions } from 'nestjs-tenancy/cli';
import { DomainSchema, TenancyModule, type TenancyCheckReport, TenantSchema } from 'nestjs-tenancy';
import { beforeAll, describe, expect, it } from 'vitest';
import { ormOptions } from '../apps/example/src/orm.config.js';
import { type CliRun, exampleMigrationFolder, migrationFolder, parseJson, runCli, useCliTestContext } from './support/cli.js';
import { databaseUrl } from './support/test-app.js';

// `migration:create` and `migrate:down`, in this process and as real processes
// the last test runs five CLI processes one after the other (each boots Nest and the ORM): on a
// loaded two-core machine that takes longer than the default minute
describe('tenancy CLI: migration:create and migrate:down', { timeout: 180_000 }, () => {
  const cli = useCliTestContext();

  describe('migration:create and migrate:down', () => {
    let dir: string;
    let sharedDir: string;

    // a shared entity the shared migrations do not have yet
    const CliAuditEntry = defineEntity({
      name: 'CliAuditEntry',
      tableName: 'cli_audit_entry',
      schema: 'public',
      properties: { id: p.integer().primary(), message: p.text() },
    });

    // the example app's tenant entities, with one property added to Project
    const ArchivableProject = defineEntity({
      name: 'Project',
      tableName: 'project',
      schema: '*',
      properties: {
        id: p.integer().primary(),
        name: p.string().length(200),
        description: p.text().nullable(),
        archivedAt: p.datetime().nullable(),
        createdAt: p.datetime().defaultRaw('current_timestamp'),
        tasks: () => p.oneToMany(ArchivableTask).mappedBy('project'),
      },
    });
    const ArchivableTask = defineEntity({
      name: 'Task',
      tableName: 'task',
      schema: '*',
      indexes: [{ name: 'task_project_id_index', properties: ['project'] }],
      properties: {
        id: p.integer().primary(),
        project: () => p.manyToOne(ArchivableProject).deleteRule('cascade'),
        title: p.string().length(500),
        done: p.boolean().default(false),
        createdAt: p.datetime().defaultRaw('current_timestamp'),
      },
    });

    @Module({})
    class ChangedEntitiesCliModule {
      static register(tenantFolder: string, sharedFolder: string): DynamicModule {
        return {
          module: ChangedEntitiesCliModule,
          imports: [
            MikroOrmModule.forRoot({
              ...ormOptions(databaseUrl(), 2),
              entities: [TenantSchema, DomainSchema, CliAuditEntry, ArchivableProject, ArchivableTask],
            }),
            TenancyModule.forRoot({
              migrations: {
                shared: { path: sharedFolder, pathTs: sharedFolder },
                tenant: { path: tenantFolder, pathTs: tenantFolder },
              },
            }),
            TenancyCliModule,
          ],
        };
      }
    }

    /** Runs a command in this process, on the changed entities (as nest-commander's CommandTestFactory does). */
    const runInProcess = async (args: string[]): Promise<CliRun> => {
      const cli = await CommandFactory.createWithoutRunning(
        ChangedEntitiesCliModule.register(dir, sharedDir),
        tenancyCliRunOptions(),
      );
      const exitCode = process.exitCode;
      const write = process.stdout.write.bind(process.stdout);
      let stdout = '';
      process.exitCode = undefined;
      process.stdout.write = (chunk: string | Uint8Array) => {
        stdout += chunk.toString();
        return true;
      };
      try {
        await cli.get(CommandRunnerService).run(['node', 'tenancy-cli', ...args]);
        return { code: Number(process.exitCode ?? 0), stdout, stderr: '' };
      } finally {
        process.stdout.write = write;
        process.exitCode = exitCode;
        await cli.close();
      }
    };

    const statementsOf = async (folder: string, suffix: string): Promise<string[]> => {
      const file = (await readdir(folder)).find((f) => new RegExp(`^Migration\\d{14}_${suffix}\\.ts$`).test(f));
      expect(file, `no migration *_${suffix}.ts in ${folder}`).toBeDefined();
      const source = await readFile(join(folder, file as string), 'utf8');
      expect(source).not.toMatch(/__tenancy/);
      return [...source.matchAll(/this\.addSql\(`(.*)`\);/g)].map((m) => m[1]);
    };

    beforeAll(async () => {
      dir = await migrationFolder();
      sharedDir = await migrationFolder('shared');
      cli.folder(dir);
      cli.folder(sharedDir);
    });

    it('writes nothing when the entities match the migrations (tenant and shared sets)', async () => {
      const env = { TENANCY_TENANT_MIGRATIONS: dir, TENANCY_SHARED_MIGRATIONS: sharedDir };
      const runs = await Promise.all([
        runCli(['migration:create', '--tenant', '--name', 'nothing'], env),
        runCli(['migration:create', '--shared', '--name', 'nothing'], env),
      ]);
      for (const run of runs) {
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toMatch(/^No changes: /);
      }
      expect(await readdir(dir)).toEqual(await readdir(exampleMigrationFolder('tenant')));
      expect(await readdir(sharedDir)).toEqual(await readdir(exampleMigrationFolder('shared')));

      // check compares the entities too: the tenant set is in step (the shared one: test/cli-check, on a database of its own)
      const [schema] = await cli.createTenants('cli_chk', 1);
      const check = await runCli(['check', '--schema', schema, '--entities', '--json'], env);
      expect(parseJson<TenancyCheckReport>(check).entities.tenant).toEqual([]);
    });

    it('check --entities reports entities changed with no migration written for them, per set, and exits 1 (not compared without it)', async () => {
      const [schema] = await cli.createTenants('cli_chk_ahead', 1);
      const run = await runInProcess(['check', '--schema', schema, '--entities', '--json']);
      expect(run.code).toBe(1);
      const report = parseJson<TenancyCheckReport>(run);
      expect(report.entities).toEqual({
        tenant: ['alter table "project" add "archived_at" timestamptz null;'],
        shared: ['create table "cli_audit_entry" ("id" serial primary key, "message" text not null);'],
      });
      expect(report.problems).toEqual([
        'The tenant entities differ from what the tenant migrations build (1 statement(s): alter table "project" add "archived_at" timestamptz null;): ' +
          'write a migration for the change (migration:create --tenant), then deploy and run it.',
        'The shared entities differ from what the shared migrations build (1 statement(s): create table "cli_audit_entry" ("id" serial primary key, "message" text not null);): ' +
          'write a migration for the change (migration:create --shared), then deploy and run it.',
      ]);
      // the tenant itself matches its migrations
      expect(report.tenants).toEqual([expect.objectContaining({ schema, status: 'ok', drift: [] })]);
      const skipped = await runInProcess(['check', '--schema', schema, '--json']);
      expect(skipped.code).toBe(0);
      expect(parseJson<TenancyCheckReport>(skipped)).toMatchObject({ ok: true, entities: { tenant: null, shared: null } });
      // no scratch schema is left behind
      expect(await cli.sql(`select nspname from pg_namespace where nspname like '\\_\\_tenancy%'`)).toEqual([]);
    });

    it('writes a shared migration with just the new shared table, nothing about tenant schemas', async () => {
      const run = await runInProcess(['migration:create', '--shared', '--name', 'add_audit']);
      expect(run.code).toBe(0);
      const statements = await statementsOf(sharedDir, 'add_audit');
      expect(statements).toHaveLength(2);
      expect(statements[0]).toMatch(/^create table "cli_audit_entry" \("id" serial primary key, "message" text not null\);$/);
      expect(statements[1]).toMatch(/^drop table if exists "cli_audit_entry"/);
    });

    it('writes a migration that adds just the new column, unqualified, and leaves no scratch schema', async () => {
      const run = await runInProcess(['migration:create', '--tenant', '--name', 'add_archived_at']);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Wrote .*_add_archived_at\.ts\n/);
      expect(await statementsOf(dir, 'add_archived_at')).toEqual([
        'alter table "project" add "archived_at" timestamptz null;',
        'alter table "project" drop column "archived_at";',
      ]);
      const scratch = await cli.sql<{ nspname: string }>(
        `select nspname from pg_namespace where nspname like '\\_\\_tenancy\\_ref\\_%'`,
      );
      expect(scratch).toEqual([]);

      const blank = await runInProcess(['migration:create', '--tenant', '--blank', '--name', 'empty']);
      expect(blank.code).toBe(0);
      const empty = (await readdir(dir)).find((f) => f.endsWith('_empty.ts')) as string;
      expect(await readFile(join(dir, empty), 'utf8')).toMatch(/this\.addSql\(`select 1`\);/);
      await rm(join(dir, empty));
    });

    it('applies the written migration, and migrate:down --schema S removes the column from S only', async () => {
      const [s1, s2] = await cli.createTenants('cli_down', 2);
      const env = { TENANCY_TENANT_MIGRATIONS: dir };
      const up = await runCli(['migrate', '--schema', s1, '--schema', s2], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toMatch(new RegExp(`^${s1}: migrated Migration\\d{14}_add_archived_at in \\d+ ms$`, 'm'));
      expect(await cli.schemasWithColumn([s1, s2], 'project', 'archived_at')).toEqual([s1, s2].sort());

      const bogus = await runCli(['migrate:down', '--schema', s1, '--to', 'Migration20000101000000_nope'], env);
      expect(bogus.code).toBe(1);
      expect(bogus.stderr).toMatch(/is not applied/);

      const down = await runCli(['migrate:down', '--schema', s1, '--json'], env);
      expect(down.code, down.stderr).toBe(0);
      expect(parseJson<MigrationRunReport>(down).results).toEqual([
        expect.objectContaining({
          schema: s1,
          set: 'tenant',
          status: 'reverted',
          migrations: [expect.stringMatching(/_add_archived_at$/)],
        }),
      ]);
      expect(await cli.schemasWithColumn([s1, s2], 'project', 'archived_at')).toEqual([s2]);
      const status = parseJson<MigrationStatusReport>(
        await runCli(['migrate:status', '--schema', s1, '--schema', s2, '--json'], env),
      );
      expect(status.schemas.map((s) => [s.schema, s.pending.length])).toEqual([
        [s1, 1],
        [s2, 0],
      ]);
    });
  });
});
