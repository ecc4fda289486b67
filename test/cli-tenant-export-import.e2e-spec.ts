import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TenancyCheckReport, TenantDetails } from 'nestjs-tenancy';
import pg from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { migrationFolder, parseJson, runCli, useCliTestContext, writeMigration } from './support/cli.js';
import { uniqueName } from './support/test-app.js';

// `tenant:export SCHEMA --out FILE` and `tenant:import FILE --schema NEW` as real processes
// each test runs a dozen CLI processes, seconds each on a busy machine
const CLI_TEST_TIMEOUT = 240_000;

/** Major versions of the machine's pg_dump and of the test server: the tools must not be older. */
async function versions(): Promise<{ tools: number; server: number }> {
  const tools = Number(/(\d+)/.exec(execFileSync('pg_dump', ['--version'], { encoding: 'utf8' }))?.[1]);
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    const { rows } = await client.query<{ v: string }>("select current_setting('server_version_num') as v");
    return { tools, server: Math.floor(Number(rows[0].v) / 10000) };
  } finally {
    await client.end();
  }
}
const { tools, server } = await versions();
/** One of the two suites below is defined, the one this machine's tools and server call for. */
const suiteWhen = (condition: boolean): typeof describe =>
  condition ? describe : ((() => undefined) as unknown as typeof describe);

// The embedded PostgreSQL 18 ships no client tools, and this machine's are PostgreSQL 15's: there
// the round trip cannot run, and what a user with such tools gets is a clear refusal (tested below).
suiteWhen(tools < server)(`tenant:export with pg_dump ${tools} and a PostgreSQL ${server} server`, () => {
  const cli = useCliTestContext();

  it('refuses with one line naming the version mismatch, and writes no file', { timeout: CLI_TEST_TIMEOUT }, async () => {
    const [source] = await cli.createTenants('exp_old', 1);
    const file = join(tmpdir(), `${source}.dump`);
    const run = await runCli(['tenant:export', source, '--out', file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^error: pg_dump is older than the PostgreSQL server \(.*server version mismatch.*\): install the PostgreSQL client tools of the server's major version or newer\.\n$/,
    );
    expect(existsSync(file)).toBe(false);
  });
});

suiteWhen(tools >= server)('tenancy CLI: tenant:export and tenant:import', () => {
  const cli = useCliTestContext();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tenancy-export-'));
    cli.folder(dir);
  });

  const nothingLeft = async (schema: string, host: string) => ({
    tenant: (await cli.sql(`select 1 from public.tenant where schema = ?`, [schema])).length,
    schema: (await cli.sql(`select 1 from pg_namespace where nspname = ?`, [schema])).length,
    domain: (await cli.sql(`select 1 from public.domain where host = ?`, [host])).length,
  });
  const exportTenant = async (schema: string, env: Record<string, string> = {}) => {
    const file = join(dir, `${schema}.dump`);
    const run = await runCli(['tenant:export', schema, '--out', file], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`Exported tenant "${schema}" to ${file}.\n`);
    return file;
  };
  const newTenant = () => {
    const schema = uniqueName('imp');
    cli.created(schema);
    return { schema, host: `${schema.replaceAll('_', '-')}.cli.test` };
  };
  const rows = (schema: string) =>
    cli.sql(
      `select p.id, p.name, p.description, p.created_at, t.id as task_id, t.title, t.done from "${schema}".project p left join "${schema}".task t on t.project_id = p.id order by p.id, t.id`,
    );
  const migrationRows = (schema: string) => cli.sql(`select id, name from "${schema}".mikro_orm_migrations order by id`);

  it(
    'round trip: the same rows (text escapes included), sequences, migration state and catalog under a new name',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const [source] = await cli.createTenants('exp_src', 1);
      await cli.sql(
        `insert into "${source}".project (name, description) select 'Project ' || g, null from generate_series(1, 700) g`,
      );
      await cli.sql(`insert into "${source}".project (name, description) values (?, ?)`, [
        'tab\there, quote \' and "double"',
        'line\nbreak, back\\slash \\N, é ü 日本, carriage\rreturn, acme.example',
      ]);
      await cli.sql(
        `insert into "${source}".task (project_id, title, done) select id, 'Task of ' || name, id % 2 = 0 from "${source}".project`,
      );
      const file = await exportTenant(source);

      const { schema, host } = newTenant();
      const run = await runCli(['tenant:import', file, '--schema', schema, '--domain', host, '--name', 'Imported', '--json']);
      expect(run.code, run.stderr).toBe(0);
      expect(parseJson<TenantDetails>(run)).toMatchObject({
        schema,
        name: 'Imported',
        status: 'active',
        domains: [{ host, isPrimary: true }],
        migrations: [],
      });
      const imported = await rows(schema);
      expect(imported).toHaveLength(701);
      expect(imported).toEqual(await rows(source));
      expect(await migrationRows(schema)).toEqual(await migrationRows(source));
      // sequences carried over: the next row continues after the imported ones
      const [next] = await cli.sql<{ id: number }>(`insert into "${schema}".project (name) values ('next') returning id`);
      expect(next.id).toBe(702);
      // foreign keys and defaults point at the new schema; both schemas are what the migrations build
      const check = parseJson<TenancyCheckReport>(await runCli(['check', '--json', '--schema', source, '--schema', schema]));
      expect(check.tenants.map((t) => [t.status, t.drift])).toEqual([
        ['ok', []],
        ['ok', []],
      ]);
      await cli.sql(`delete from "${schema}".project where id = 1`);
      expect(await cli.sql(`select count(*)::int as n from "${source}".task where project_id = 1`)).toEqual([{ n: 1 }]);
    },
  );

  it(
    "migrates a file behind the app's migrations; refuses a file ahead of them; a failure after the restore leaves nothing",
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const folder = await migrationFolder('tenant');
      cli.folder(folder);
      await writeMigration(folder, 'Migration20300101000000_due', ['alter table "project" add column "due" date null;'], []);
      const newer = { TENANCY_TENANT_MIGRATIONS: folder };
      const [behind] = await cli.createTenants('exp_old', 1);
      await cli.sql(`insert into "${behind}".project (name) values ('kept')`);
      const behindFile = await exportTenant(behind);

      // behind: restored, then the app's pending migration runs in the same transaction
      const upgraded = newTenant();
      const run = await runCli(['tenant:import', behindFile, '--schema', upgraded.schema, '--json'], newer);
      expect(run.code, run.stderr).toBe(0);
      expect(parseJson<TenantDetails>(run).migrations).toEqual(['Migration20300101000000_due']);
      expect(await cli.schemasWithColumn([upgraded.schema], 'project', 'due')).toEqual([upgraded.schema]);
      expect(await cli.sql(`select name from "${upgraded.schema}".project`)).toEqual([{ name: 'kept' }]);

      // ahead: the file has a migration this app does not have
      const aheadFile = await exportTenant(upgraded.schema);
      const refused = newTenant();
      const ahead = await runCli(['tenant:import', aheadFile, '--schema', refused.schema, '--domain', refused.host]);
      expect(ahead.code).toBe(1);
      expect(ahead.stderr).toBe(
        "error: The file's tenant migrations are ahead of this app (Migration20300101000000_due): deploy the code that has them, then import.\n",
      );
      expect(await nothingLeft(refused.schema, refused.host)).toEqual({ tenant: 0, schema: 0, domain: 0 });

      // a migration that fails after the file was restored: all rolled back
      await writeMigration(folder, 'Migration20300102000000_broken', ['select 1 / 0;'], []);
      const failed = newTenant();
      const broken = await runCli(['tenant:import', behindFile, '--schema', failed.schema, '--domain', failed.host], newer);
      expect(broken.code).toBe(1);
      expect(broken.stderr).toMatch(/^error: Creating tenant ".*" failed and was rolled back: .*division by zero\n$/);
      expect(await nothingLeft(failed.schema, failed.host)).toEqual({ tenant: 0, schema: 0, domain: 0 });
    },
  );

  it(
    'refuses bad input with one line and no stack trace, and names pg_dump / pg_restore when they are missing',
    { timeout: CLI_TEST_TIMEOUT },
    async () => {
      const [source] = await cli.createTenants('exp_bad', 1);
      const file = await exportTenant(source);
      const { schema, host } = newTenant();
      const noTools = { PATH: dirname(process.execPath) };

      const noDump = await runCli(['tenant:export', source, '--out', join(dir, 'never.dump')], noTools);
      expect(noDump.code).toBe(1);
      expect(noDump.stderr).toMatch(/^error: pg_dump was not found on PATH: install the PostgreSQL client tools .*\n$/);

      const noRestore = await runCli(['tenant:import', file, '--schema', schema, '--domain', host], noTools);
      expect(noRestore.code).toBe(1);
      expect(noRestore.stderr).toMatch(/^error: pg_restore was not found on PATH: install the PostgreSQL client tools .*\n$/);
      expect(await nothingLeft(schema, host)).toEqual({ tenant: 0, schema: 0, domain: 0 });

      const notADump = join(dir, 'not-a-dump.txt');
      await writeFile(notADump, 'hello');
      const garbage = await runCli(['tenant:import', notADump, '--schema', schema]);
      expect(garbage.code).toBe(1);
      expect(garbage.stderr).toMatch(/^error: pg_restore failed \(exit 1\): .*\n$/);

      const taken = await runCli(['tenant:import', file, '--schema', source]);
      expect(taken.code).toBe(1);
      expect(taken.stderr).toBe(`error: A tenant with schema "${source}" already exists.\n`);

      const invalid = await runCli(['tenant:import', file, '--schema', 'Bad-Name']);
      expect(invalid.code).toBe(1);
      expect(invalid.stderr).toMatch(/^error: Invalid schema name "Bad-Name": /);

      const unknown = await runCli(['tenant:export', 'no_such_tenant', '--out', join(dir, 'x.dump')]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe('error: No tenant has schema "no_such_tenant".\n');

      for (const args of [
        ['tenant:import', file],
        ['tenant:export', source],
      ]) {
        const usage = await runCli(args);
        expect(usage.code, args.join(' ')).toBe(1);
        expect(usage.stderr, args.join(' ')).toMatch(/^error: --(schema NEW|out FILE) is required\.\n[\s\S]*Usage: tenancy /);
      }
      expect(await nothingLeft(schema, host)).toEqual({ tenant: 0, schema: 0, domain: 0 });
    },
  );
});
