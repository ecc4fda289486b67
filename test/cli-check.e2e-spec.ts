import { rm } from 'node:fs/promises';
import type { TenancyCheckReport, TenantCheck } from 'nestjs-tenancy';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, migrationFolder, parseJson, runCli, writeMigration } from './support/cli.js';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database.js';

// `tenancy check` as a real process, on a database of its own: the check looks at every schema of
// the database, and the other test files create and drop schemas in the shared test database.
// each test runs a dozen CLI processes, seconds each on a busy machine
const CLI_TEST_TIMEOUT = 240_000;

describe('tenancy CLI: check', () => {
  let database: ScratchDatabase;
  let client: pg.Client;
  const folders: string[] = [];

  beforeAll(async () => {
    await ensureCliBuilt();
    database = await createScratchDatabase('check');
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await database?.drop();
    await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { DATABASE_URL: database.url, ...env });
  const check = async (args: string[] = [], env: Record<string, string> = {}) => {
    const run = await cli(['check', '--json', ...args], env);
    return { run, report: parseJson<TenancyCheckReport>(run) };
  };
  const tenant = (report: TenancyCheckReport, schema: string): TenantCheck | undefined =>
    report.tenants.find((t) => t.schema === schema);
  const query = (sql: string) => client.query(sql);

  it(
    'passes a clean database (exit 0), then reports drift, orphans, missing schemas, pending and unknown migrations (exit 1)',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      expect((await cli(['migrate'])).code).toBe(0);
      const created = await Promise.all(['chk_a', 'chk_b', 'chk_c', 'chk_d'].map((schema) => cli(['tenant:create', schema])));
      expect(created.map((run) => run.code)).toEqual([0, 0, 0, 0]);

      const [clean, plain] = await Promise.all([check(), cli(['check'])]);
      expect(clean.run.code, clean.run.stderr).toBe(0);
      expect(clean.run.stderr).toBe('');
      expect(clean.report).toMatchObject({
        ok: true,
        summary: { tenants: 4, ok: 4, needsAction: 0, orphanSchemas: 0 },
        orphanSchemas: [],
        // not compared without --entities
        entities: { tenant: null, shared: null },
        problems: [],
      });
      expect(tenant(clean.report, 'chk_a')).toEqual({
        schema: 'chk_a',
        status: 'ok',
        schemaPresent: true,
        migrations: { applied: 1, pending: [], unknown: [] },
        drift: [],
        foreignKeysToShared: [],
        problems: [],
      });
      expect(plain.code).toBe(0);
      // with --entities: the example app's entities match its migrations, in both sets
      const withEntities = await check(['--entities']);
      expect(withEntities.run.code, withEntities.run.stderr).toBe(0);
      expect(withEntities.report).toMatchObject({ ok: true, entities: { tenant: [], shared: [] }, problems: [] });
      expect(plain.stdout).toMatch(/^Checked 4 tenants in \d+ ms: 4 ok, 0 need action; 0 orphan schemas\.\n$/);

      // drift in chk_b: a column changed, an index dropped, a column and a constraint added
      await query('alter table chk_b.project alter column name type varchar(100)');
      await query('drop index chk_b.task_project_id_index');
      await query('alter table chk_b.project add column extra int');
      await query('alter table chk_b.task add constraint task_title_check check (length(title) > 0)');
      // chk_c: its schema is gone; a schema with no tenant; chk_d: a migration this app does not have
      await query('drop schema chk_c cascade');
      await query('create schema stray');
      await query(`insert into chk_d.mikro_orm_migrations (name) values ('Migration20300101000000_from_the_future')`);

      const [{ run, report }, lines, one] = await Promise.all([check(), cli(['check']), check(['--schema', 'chk_a'])]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('error: check found problems: 3 tenants need action, 1 orphan schema.\n');
      expect(report.ok).toBe(false);
      expect(report.summary).toMatchObject({ tenants: 4, ok: 1, needsAction: 3, orphanSchemas: 1 });
      expect(report.orphanSchemas).toEqual(['stray']);
      expect(tenant(report, 'chk_a')?.status).toBe('ok');
      const drifted = tenant(report, 'chk_b');
      expect(drifted?.status).toBe('needs-action');
      expect(drifted?.drift).toEqual(
        expect.arrayContaining([
          {
            problem: 'changed',
            kind: 'column',
            name: 'project.name',
            expected: 'character varying(200) not null',
            actual: 'character varying(100) not null',
          },
          {
            problem: 'missing',
            kind: 'index',
            name: 'task.task_project_id_index',
            expected: 'CREATE INDEX task_project_id_index ON task USING btree (project_id)',
          },
          { problem: 'extra', kind: 'column', name: 'project.extra', actual: 'integer' },
          { problem: 'extra', kind: 'constraint', name: 'task.task_title_check', actual: 'CHECK ((length((title)::text) > 0))' },
        ]),
      );
      expect(drifted?.drift).toHaveLength(4);
      expect(tenant(report, 'chk_c')).toMatchObject({ status: 'needs-action', schemaPresent: false });
      expect(tenant(report, 'chk_c')?.problems[0]).toMatch(/schema "chk_c" is missing/);
      expect(tenant(report, 'chk_d')).toMatchObject({
        status: 'needs-action',
        migrations: { applied: 2, pending: [], unknown: ['Migration20300101000000_from_the_future'] },
        drift: [],
      });

      // plain output: one line per tenant that needs action, then the database's findings
      expect(lines.code).toBe(1);
      expect(lines.stdout).toMatch(/^chk_b: The schema differs from what its migrations build \(.*changed column project\.name/m);
      expect(lines.stdout).toMatch(/^chk_c: The schema "chk_c" is missing/m);
      expect(lines.stdout).toMatch(/^chk_d: Applied migration\(s\) not in the app's tenant set/m);
      expect(lines.stdout).toMatch(/^Schema\(s\) with no tenant \(stray\)/m);
      expect(lines.stdout).not.toMatch(/^chk_a/m);

      // --schema narrows the check to those tenants and skips the orphan search; --ignore-schema
      expect(one.run.code).toBe(0);
      expect(one.report.tenants.map((t) => t.schema)).toEqual(['chk_a']);
      expect(one.report.orphanSchemas).toEqual([]);
      await query('drop schema chk_b cascade');
      await query("delete from public.tenant where schema in ('chk_b', 'chk_c', 'chk_d')");
      await query('drop schema chk_d cascade');
      const [ignored, unknownTenant] = await Promise.all([
        check(['--ignore-schema', 'stray']),
        cli(['check', '--schema', 'nobody']),
      ]);
      expect(ignored.run.code, ignored.run.stdout).toBe(0);
      expect(ignored.report.summary).toMatchObject({ tenants: 1, ok: 1, orphanSchemas: 0 });
      expect(unknownTenant.code).toBe(1);
      expect(unknownTenant.stderr).toBe('error: No tenant has schema "nobody".\n');
    },
  );

  it(
    'compares a tenant with its own applied migrations, reports pending ones, and foreign keys to shared tables for Citus',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const dir = await migrationFolder('tenant');
      folders.push(dir);
      const name = 'Migration20300101000000_owner';
      await writeMigration(
        dir,
        name,
        [
          'alter table "project" add column "owner_id" int null;',
          'alter table "project" add constraint "project_owner_id_foreign" foreign key ("owner_id") references "public"."tenant" ("id");',
        ],
        ['alter table "project" drop column "owner_id";'],
      );
      const env = { TENANCY_TENANT_MIGRATIONS: dir };
      const created = await Promise.all(['fk_a', 'fk_b'].map((schema) => cli(['tenant:create', schema])));
      expect(created.map((run) => run.code)).toEqual([0, 0]);

      // a new migration not applied yet: pending, but no drift (the reference is the tenant's own state)
      const pending = await check(['--schema', 'fk_a', '--schema', 'fk_b'], env);
      expect(pending.run.code).toBe(1);
      for (const schema of ['fk_a', 'fk_b']) {
        expect(tenant(pending.report, schema)).toMatchObject({
          status: 'needs-action',
          migrations: { pending: [name] },
          drift: [],
        });
      }
      expect(pending.report.foreignKeysToShared).toMatchObject({
        citus: false,
        inMigrations: [{ name: 'project.project_owner_id_foreign', references: 'public.tenant' }],
      });

      // applied to fk_a only: fk_a is ok (its foreign key to a shared table is fine without Citus)
      expect((await cli(['migrate', '--schema', 'fk_a'], env)).code).toBe(0);
      const partly = await check(['--schema', 'fk_a', '--schema', 'fk_b'], env);
      expect(tenant(partly.report, 'fk_a')).toMatchObject({
        status: 'ok',
        drift: [],
        foreignKeysToShared: [{ name: 'project.project_owner_id_foreign', references: 'public.tenant' }],
      });
      expect(tenant(partly.report, 'fk_b')?.migrations.pending).toEqual([name]);
      expect((await cli(['migrate', '--schema', 'fk_b'], env)).code).toBe(0);
      // this migration is ahead of the entities (they have no owner): a finding of its own
      const ahead = await check(['--schema', 'fk_a', '--schema', 'fk_b', '--entities'], env);
      expect(ahead.run.code).toBe(1);
      expect(ahead.report.entities.tenant).toEqual([
        'alter table "project" drop constraint "project_owner_id_foreign";',
        'alter table "project" drop column "owner_id";',
      ]);
      expect(ahead.report.summary).toMatchObject({ ok: 2, needsAction: 0 });
      const migrated = await cli(['check', '--schema', 'fk_a', '--schema', 'fk_b'], env);
      expect(migrated.code, migrated.stdout).toBe(0);
      expect(migrated.stdout).toMatch(
        /^Note: tenant tables have foreign keys to shared tables \(project\.project_owner_id_foreign -> public\.tenant\); .*create_reference_table/m,
      );

      // --citus: the same foreign keys need action, with what to do
      const citus = await check(['--schema', 'fk_a', '--schema', 'fk_b', '--citus'], env);
      expect(citus.run.code).toBe(1);
      expect(citus.report.foreignKeysToShared.citus).toBe(true);
      expect(tenant(citus.report, 'fk_a')?.problems).toEqual([
        expect.stringMatching(
          /^Foreign key\(s\) to shared tables \(project\.project_owner_id_foreign -> public\.tenant\): Citus .*reference table/,
        ),
      ]);
      expect(citus.report.problems).toEqual([
        expect.stringMatching(/^The tenant migrations create foreign key\(s\) to shared tables/),
      ]);

      // seen from the app's own set, fk_a's migration is unknown and its column is drift
      const back = await check(['--schema', 'fk_a']);
      expect(tenant(back.report, 'fk_a')).toMatchObject({
        status: 'needs-action',
        migrations: { unknown: [name] },
        drift: expect.arrayContaining([
          expect.objectContaining({ problem: 'extra', kind: 'column', name: 'project.owner_id' }),
          expect.objectContaining({ problem: 'extra', kind: 'constraint', name: 'project.project_owner_id_foreign' }),
        ]),
      });
    },
  );
});
