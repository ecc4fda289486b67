import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defineEntity, p } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { type DynamicModule, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CommandFactory, CommandRunnerService } from 'nest-commander';
import { type MigrationRunReport, type MigrationStatusReport, TenancyCliModule, tenancyCliRunOptions } from 'nestjs-tenancy/cli';
import { DomainSchema, TenancyModule, TenancyService, type TenantDetails, TenantSchema } from 'nestjs-tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ormOptions } from '../apps/example/src/orm.config.js';
import {
  type CliRun,
  ensureCliBuilt,
  exampleMigrationFolder,
  migrationFolder,
  parseJson,
  runCli,
  writeMigration,
} from './support/cli-process.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

const quote = (schemas: string[]) => schemas.map((s) => `'${s}'`).join(', ');

describe('tenancy CLI (real processes, real PostgreSQL)', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let db: MikroORM;
  const created: string[] = [];
  const folders: string[] = [];

  const sql = <T extends object>(query: string, params: unknown[] = []) =>
    db.em.fork().getConnection().execute<T[]>(query, params);

  const createTenants = async (prefix: string, count: number): Promise<string[]> => {
    const base = uniqueName(prefix);
    const schemas = Array.from({ length: count }, (_, i) => `${base}_${String(i).padStart(2, '0')}`);
    for (const schema of schemas) {
      await tenancy.createTenant({ schema, domains: [`${schema.replaceAll('_', '-')}.cli.test`] });
      created.push(schema);
    }
    return schemas;
  };

  /** Names of a migration's rows in each schema's migrations table. */
  const appliedRows = async (schemas: string[], name: string): Promise<Map<string, number>> => {
    const union = schemas
      .map((s) => `select '${s}' as schema, count(*)::int as n from "${s}".mikro_orm_migrations where name = '${name}'`)
      .join(' union all ');
    const rows = await sql<{ schema: string; n: number }>(union);
    return new Map(rows.map((row) => [row.schema, Number(row.n)]));
  };

  const schemasWithColumn = async (schemas: string[], table: string, column: string): Promise<string[]> =>
    (
      await sql<{ table_schema: string }>(
        `select table_schema from information_schema.columns where table_schema in (${quote(schemas)}) and table_name = ? and column_name = ?`,
        [table, column],
      )
    )
      .map((row) => row.table_schema)
      .sort();

  beforeAll(async () => {
    await ensureCliBuilt();
    app = await createTestApp(4);
    tenancy = app.get(TenancyService);
    db = await MikroORM.init({
      driver: PostgreSqlDriver,
      clientUrl: databaseUrl(),
      entities: [TenantSchema, DomainSchema],
      allowGlobalContext: true,
    });
  });

  afterAll(async () => {
    for (const schema of created) {
      await tenancy.deleteTenant(schema, { dropSchema: true }).catch(() => undefined);
    }
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
    await db?.close();
    await app?.close();
  });

  describe('migrate across 30 tenants', () => {
    let dir: string;
    let schemas: string[];
    const env = () => ({ TENANCY_TENANT_MIGRATIONS: dir });

    beforeAll(async () => {
      dir = await migrationFolder();
      folders.push(dir);
      schemas = await createTenants('cli_m', 30);
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
      expect(await schemasWithColumn(schemas, 'project', 'cli_flag')).toEqual([...schemas].sort());
      const rows = await appliedRows(schemas, 'Migration20990101000001_cli_flag');
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
      await sql(`insert into "${victim}"."project" ("name") values ('poison')`);
      const constrained = async () =>
        (
          await sql<{ nspname: string }>(
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
      expect((await appliedRows([victim], name)).get(victim)).toBe(0);

      // --fail-fast: no schema is started after the first failure
      const fast = await runCli(['migrate', '--tenants', '--fail-fast', '--concurrency', '1', '--json'], env());
      expect(fast.code).toBe(1);
      const fastResults = parseJson<MigrationRunReport>(fast).results;
      const statusOf = (schema: string) => fastResults.find((r) => r.schema === schema)?.status;
      expect(statusOf(victim)).toBe('failed');
      expect(new Set(schemas.slice(0, 17).map(statusOf))).toEqual(new Set(['up-to-date']));
      expect(new Set(schemas.slice(18).map(statusOf))).toEqual(new Set(['skipped']));

      await sql(`update "${victim}"."project" set "name" = 'antidote' where "name" = 'poison'`);
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
      const rows = await appliedRows(schemas, name);
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
      expect(await schemasWithColumn(picked, 'task', 'cli_planned')).toEqual([]);
      await rm(join(dir, `${name}.ts`));
    });
  });

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
      folders.push(dir, sharedDir);
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
      const scratch = await sql<{ nspname: string }>(
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
      const [s1, s2] = await createTenants('cli_down', 2);
      const env = { TENANCY_TENANT_MIGRATIONS: dir };
      const up = await runCli(['migrate', '--schema', s1, '--schema', s2], env);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toMatch(new RegExp(`^${s1}: migrated Migration\\d{14}_add_archived_at in \\d+ ms$`, 'm'));
      expect(await schemasWithColumn([s1, s2], 'project', 'archived_at')).toEqual([s1, s2].sort());

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
      expect(await schemasWithColumn([s1, s2], 'project', 'archived_at')).toEqual([s2]);
      const status = parseJson<MigrationStatusReport>(
        await runCli(['migrate:status', '--schema', s1, '--schema', s2, '--json'], env),
      );
      expect(status.schemas.map((s) => [s.schema, s.pending.length])).toEqual([
        [s1, 1],
        [s2, 0],
      ]);
    });
  });

  describe('tenant and domain commands', () => {
    const exists = async (schema: string, host?: string) => ({
      tenant: (await sql(`select 1 from public.tenant where schema = ?`, [schema])).length > 0,
      schema: (await sql(`select 1 from pg_namespace where nspname = ?`, [schema])).length > 0,
      domain: host ? (await sql(`select 1 from public.domain where host = ?`, [host])).length > 0 : false,
    });

    it('creates a tenant with domains, migrated, and prints it as JSON', async () => {
      const schema = uniqueName('cli_t');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      const run = await runCli([
        'tenant:create',
        schema,
        '--domain',
        host,
        '--domain',
        `www.${host}`,
        '--name',
        'CLI Corp',
        '--json',
      ]);
      created.push(schema);
      expect(run.code, run.stderr).toBe(0);
      const tenant = parseJson<TenantDetails>(run);
      expect(tenant).toMatchObject({
        schema,
        name: 'CLI Corp',
        status: 'active',
        domains: [
          { host, isPrimary: true },
          { host: `www.${host}`, isPrimary: false },
        ],
        migrations: ['Migration20261126182507_initial'],
      });
      expect(await schemasWithColumn([schema], 'project', 'name')).toEqual([schema]);
    });

    it('refuses an invalid schema, a taken schema or a taken domain: exit 1, a clear reason, nothing created', async () => {
      const schema = uniqueName('cli_x');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      expect((await runCli(['tenant:create', schema, '--domain', host])).code).toBe(0);
      created.push(schema);

      const invalid = await runCli(['tenant:create', 'Bad-Name', '--domain', 'bad-name.cli.test']);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/^error: Invalid schema name "Bad-Name": .*\n$/);
      expect(await exists('Bad-Name', 'bad-name.cli.test')).toEqual({ tenant: false, schema: false, domain: false });

      const taken = await runCli(['tenant:create', schema, '--domain', `other-${host}`]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toMatch(/^error: A tenant with schema ".*" already exists\.\n$/);
      expect((await exists(schema, `other-${host}`)).domain).toBe(false);

      const other = uniqueName('cli_y');
      const domainTaken = await runCli(['tenant:create', other, '--domain', host]);
      expect(domainTaken.code).toBe(1);
      expect(domainTaken.stderr).toMatch(/^error: Domain ".*" is already used by another tenant\.\n$/);
      expect(await exists(other)).toEqual({ tenant: false, schema: false, domain: false });
    });

    it('manages domains and status, and lists tenants with their migration state', async () => {
      const schema = uniqueName('cli_d');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      expect((await runCli(['tenant:create', schema, '--domain', host])).code).toBe(0);
      created.push(schema);
      expect((await runCli(['domain:add', schema, `new.${host}`, '--primary'])).code).toBe(0);
      expect((await runCli(['domain:remove', host])).code).toBe(0);
      const unknownHost = await runCli(['domain:remove', host]);
      expect(unknownHost.code).toBe(1);
      expect(unknownHost.stderr).toBe(`error: Domain "${host}" is not attached to any tenant.\n`);
      expect((await runCli(['tenant:suspend', schema])).code).toBe(0);
      const list = await runCli(['tenant:list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      const entry = parseJson<{ tenants: { schema: string }[] }>(list).tenants.find((t) => t.schema === schema);
      expect(entry).toMatchObject({
        status: 'suspended',
        domains: [{ host: `new.${host}`, isPrimary: true }],
        migrations: { applied: ['Migration20261126182507_initial'], pending: [] },
      });
      const resume = await runCli(['tenant:resume', schema]);
      expect(resume.code).toBe(0);
      expect(resume.stdout).toMatch(/\(id \d+, active\)/);
    });

    it('deletes a tenant, dropping its schema only with --drop-schema', async () => {
      const [kept, dropped] = [uniqueName('cli_k'), uniqueName('cli_r')];
      for (const schema of [kept, dropped]) {
        expect((await runCli(['tenant:create', schema, '--domain', `${schema.replaceAll('_', '-')}.cli.test`])).code).toBe(0);
        created.push(schema);
      }
      expect((await runCli(['tenant:delete', kept])).code).toBe(0);
      expect(await exists(kept, `${kept.replaceAll('_', '-')}.cli.test`)).toEqual({ tenant: false, schema: true, domain: false });
      await sql(`drop schema "${kept}" cascade`);
      expect((await runCli(['tenant:delete', dropped, '--drop-schema'])).code).toBe(0);
      expect(await exists(dropped, `${dropped.replaceAll('_', '-')}.cli.test`)).toEqual({
        tenant: false,
        schema: false,
        domain: false,
      });
      const missing = await runCli(['tenant:delete', dropped]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe(`error: No tenant has schema "${dropped}".\n`);
    });

    it('prints usage for invalid arguments (exit 1) and for --help (exit 0)', async () => {
      const help = await runCli(['--help']);
      expect(help.code).toBe(0);
      for (const command of [
        'migrate',
        'migrate:status',
        'migrate:down',
        'migration:create',
        'tenant:create',
        'tenant:list',
        'tenant:delete',
      ]) {
        expect(help.stdout).toContain(`  ${command} `);
      }
      const invalid = [
        ['tenant:create'],
        ['tenant:create', 'a', 'b'],
        ['migrate', '--shared', '--tenants'],
        ['migrate', '--concurrency', 'zero'],
        ['migrate', '--no-such-flag'],
        ['no-such-command'],
        ['migrate:down'],
        ['migrate:down', '--shared', '--schema', 'acme'],
        ['migration:create', '--name', 'x'],
      ];
      const runs = await Promise.all(invalid.map((args) => runCli(args)));
      for (const [index, run] of runs.entries()) {
        expect(run.code, invalid[index].join(' ')).toBe(1);
        expect(run.stderr, invalid[index].join(' ')).toMatch(/^error: .*\n[\s\S]*Usage: tenancy /);
      }
    });
  });
});
