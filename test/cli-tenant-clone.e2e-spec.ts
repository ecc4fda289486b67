import type { TenancyCheckReport, TenantDetails } from 'nestjs-tenancy';
import { describe, expect, it } from 'vitest';
import { migrationFolder, parseJson, runCli, useCliTestContext, writeMigration } from './support/cli.js';
import { uniqueName } from './support/test-app.js';

// `tenant:create NEW --from TEMPLATE [--with-data]` as a real process
// each test runs a dozen CLI processes, seconds each on a busy machine
const CLI_TEST_TIMEOUT = 240_000;

describe('tenancy CLI: tenant:create --from (clone)', () => {
  const cli = useCliTestContext();

  const nothingLeft = async (schema: string, host?: string) => ({
    tenant: (await cli.sql(`select 1 from public.tenant where schema = ?`, [schema])).length,
    schema: (await cli.sql(`select 1 from pg_namespace where nspname = ?`, [schema])).length,
    domain: host ? (await cli.sql(`select 1 from public.domain where host = ?`, [host])).length : 0,
  });
  const check = async (schemas: string[]) => {
    const run = await runCli(['check', '--json', ...schemas.flatMap((schema) => ['--schema', schema])]);
    return parseJson<TenancyCheckReport>(run);
  };
  const seed = async (schema: string) => {
    await cli.sql(`insert into "${schema}".project (name) select 'Project ' || g from generate_series(1, 5) g`);
    await cli.sql(
      `insert into "${schema}".task (project_id, title) select p.id, 'Task ' || g from "${schema}".project p, generate_series(1, 3) g`,
    );
  };
  const clone = async (template: string, extra: string[] = []) => {
    const schema = uniqueName('cl_new');
    const host = `${schema.replaceAll('_', '-')}.cli.test`;
    const run = await runCli(['tenant:create', schema, '--from', template, '--domain', host, ...extra, '--json']);
    cli.created(schema);
    return { schema, host, run };
  };

  it(
    'copies the schema without rows: the same catalog and migration state, fresh sequences',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const [template] = await cli.createTenants('cl_tpl', 1);
      await seed(template);
      const { schema, host, run } = await clone(template);
      expect(run.code, run.stderr).toBe(0);
      expect(parseJson<TenantDetails>(run)).toMatchObject({
        schema,
        status: 'active',
        domains: [{ host, isPrimary: true }],
        migrations: [],
      });

      const report = await check([template, schema]);
      expect(report.tenants.map((t) => [t.schema, t.status, t.drift, t.migrations])).toEqual(
        [template, schema].sort().map((s) => [s, 'ok', [], { applied: 1, pending: [], unknown: [] }]),
      );
      const [counts] = await cli.sql<{ projects: number; migrations: number }>(
        `select (select count(*)::int from "${schema}".project) as projects, (select count(*)::int from "${schema}".mikro_orm_migrations) as migrations`,
      );
      expect(counts).toEqual({ projects: 0, migrations: 1 });
      // the clone's defaults use its own sequences: the first row gets id 1, the template is untouched
      const [inserted] = await cli.sql<{ id: number }>(`insert into "${schema}".project (name) values ('first') returning id`);
      expect(inserted.id).toBe(1);
      const [templateNext] = await cli.sql<{ last_value: string }>(`select last_value from "${template}".project_id_seq`);
      expect(Number(templateNext.last_value)).toBe(5);
    },
  );

  it(
    'with --with-data copies rows and sequence values, and objects beyond the migrations (view, identity, generated column)',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const [template] = await cli.createTenants('cl_tpd', 1);
      await seed(template);
      await cli.sql(`alter table "${template}".project add column code int generated always as identity`);
      await cli.sql(`alter table "${template}".project add column upper_name text generated always as (upper(name)) stored`);
      await cli.sql(
        `create view "${template}".open_tasks as select t.id, p.name from "${template}".task t join "${template}".project p on p.id = t.project_id where not t.done`,
      );
      const { schema, run } = await clone(template, ['--with-data']);
      expect(run.code, run.stderr).toBe(0);

      const rows = (s: string) =>
        cli.sql(
          `select p.id, p.name, p.code, p.upper_name, t.id as task_id, t.title from "${s}".project p join "${s}".task t on t.project_id = p.id order by t.id`,
        );
      expect(await rows(schema)).toEqual(await rows(template));
      expect((await rows(schema)).length).toBe(15);
      expect(await cli.sql(`select count(*)::int as n from "${schema}".open_tasks`)).toEqual([{ n: 15 }]);

      // identical catalogs: the clone drifts from the migrations exactly as its template does
      const report = await check([template, schema]);
      const [a, b] = report.tenants;
      expect(a.drift.length).toBe(4);
      expect(b.drift).toEqual(a.drift);

      // sequences continue where the template's stand, in the clone's own schema
      const [next] = await cli.sql<{ id: number; code: number }>(
        `insert into "${schema}".project (name) values ('next') returning id, code`,
      );
      expect(next).toEqual({ id: 6, code: 6 });
      const [task] = await cli.sql<{ id: number }>(
        `insert into "${schema}".task (project_id, title) values (6, 'x') returning id`,
      );
      expect(task.id).toBe(16);
      // foreign keys point at the clone's tables: deleting in the clone cascades there only
      await cli.sql(`delete from "${schema}".project where id = 1`);
      expect(await cli.sql(`select count(*)::int as n from "${template}".task where project_id = 1`)).toEqual([{ n: 3 }]);
      expect(await cli.sql(`select count(*)::int as n from "${schema}".task where project_id = 1`)).toEqual([{ n: 0 }]);
    },
  );

  it(
    'applies pending migrations after the copy; a migration failing after the copy leaves no schema, row or domain',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const [template] = await cli.createTenants('cl_tpm', 1);
      await seed(template);
      const dir = await migrationFolder('tenant');
      cli.folder(dir);
      await writeMigration(dir, 'Migration20300101000000_due', ['alter table "project" add column "due" date null;'], []);
      const good = uniqueName('cl_mig');
      const migrated = await runCli(['tenant:create', good, '--from', template, '--with-data', '--json'], {
        TENANCY_TENANT_MIGRATIONS: dir,
      });
      cli.created(good);
      expect(migrated.code, migrated.stderr).toBe(0);
      expect(parseJson<TenantDetails>(migrated).migrations).toEqual(['Migration20300101000000_due']);
      expect(await cli.schemasWithColumn([good], 'project', 'due')).toEqual([good]);
      expect(await cli.sql(`select count(*)::int as n from "${good}".project`)).toEqual([{ n: 5 }]);

      await writeMigration(dir, 'Migration20300102000000_broken', ['select 1 / 0;'], []);
      const schema = uniqueName('cl_fail');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;
      cli.created(schema);
      const failing = await runCli(['tenant:create', schema, '--from', template, '--with-data', '--domain', host], {
        TENANCY_TENANT_MIGRATIONS: dir,
      });
      expect(failing.code).toBe(1);
      expect(failing.stdout).toBe('');
      expect(failing.stderr).toMatch(/^error: Creating tenant ".*" failed and was rolled back: .*division by zero\n$/);
      expect(await nothingLeft(schema, host)).toEqual({ tenant: 0, schema: 0, domain: 0 });
    },
  );

  it(
    'refuses bad input with one line and leaves nothing: unknown template, itself, --with-data alone, objects it cannot copy',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const [template] = await cli.createTenants('cl_tpx', 1);
      const schema = uniqueName('cl_bad');
      const host = `${schema.replaceAll('_', '-')}.cli.test`;

      const [unknown, self, invalid, alone] = await Promise.all([
        runCli(['tenant:create', schema, '--from', 'no_such_tenant', '--domain', host]),
        runCli(['tenant:create', schema, '--from', schema]),
        runCli(['tenant:create', schema, '--from', 'Bad-Name']),
        runCli(['tenant:create', schema, '--with-data']),
      ]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('error: No tenant has schema "no_such_tenant".\n');

      expect(self.code).toBe(1);
      expect(self.stderr).toBe(`error: A tenant cannot be a copy of itself ("${schema}").\n`);

      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/^error: Invalid schema name "Bad-Name": /);

      expect(alone.code).toBe(1);
      expect(alone.stderr).toMatch(/^error: --with-data needs --from TEMPLATE\.\n[\s\S]*Usage: tenancy /);

      await cli.sql(`create function "${template}".answer() returns int language sql as 'select 42'`);
      const refused = await runCli(['tenant:create', schema, '--from', template, '--domain', host]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe(
        `error: The template schema "${template}" holds objects a clone cannot copy (function answer): create the tenant with migrations instead, or copy it with pg_dump.\n`,
      );
      expect(await nothingLeft(schema, host)).toEqual({ tenant: 0, schema: 0, domain: 0 });
    },
  );
});
