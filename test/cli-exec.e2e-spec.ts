import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecReport } from 'nestjs-tenancy/cli';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli, useCliTestContext } from './support/cli.js';

// a script each tenant's process runs: it counts projects with unqualified SQL, so the count is
// the tenant's own only when DATABASE_URL set the session's search_path to the tenant's schema
const COUNT_PROJECTS = `
const pg = require('pg');
const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
client.connect()
  .then(() => client.query('select current_schema() as schema, (select count(*)::int from project) as projects'))
  .then(({ rows: [row] }) => { console.log(process.env.TENANT_SCHEMA, process.env.TENANT_ID, row.schema, row.projects); return client.end(); })
  .catch((error) => { console.error(error.message); process.exit(2); });
`;

// `exec -- COMMAND` as a real process: once per tenant, with the tenant's schema and DATABASE_URL
// each test runs up to ten CLI processes (each boots Nest and the ORM): on a loaded two-core
// machine that takes longer than the default minute, so the limit here is larger
describe('tenancy CLI: exec', { timeout: 180_000 }, () => {
  const cli = useCliTestContext();

  const withProjects = async (prefix: string, count: number) => {
    const schemas = await cli.createTenants(prefix, count);
    for (const [index, schema] of schemas.entries()) {
      for (let i = 0; i <= index; i++) {
        await cli.sql(`insert into "${schema}".project (name, created_at) values ('p${i}', now())`);
      }
    }
    return schemas;
  };
  const selecting = (schemas: string[]) => schemas.flatMap((schema) => ['--schema', schema]);

  it("runs the command once per tenant with the tenant's schema, id and search_path in its environment", async () => {
    const schemas = await withProjects('exec_a', 3);
    const ids = await Promise.all(schemas.map(async (schema) => (await cli.tenancy.getTenant(schema)).id));
    const run = await runCli([
      'exec',
      ...selecting(schemas),
      '--concurrency',
      '2',
      '--json',
      '--',
      process.execPath,
      '-e',
      COUNT_PROJECTS,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = parseJson<ExecReport>(run);
    expect(report).toMatchObject({ ok: true, summary: { succeeded: 3 } });
    expect(
      report.results.map(({ schema, status, exitCode, stdout, stderr }) => ({ schema, status, exitCode, stdout, stderr })),
    ).toEqual(
      schemas.map((schema, index) => ({
        schema,
        status: 'succeeded',
        exitCode: 0,
        stdout: `${schema} ${ids[index]} ${schema} ${index + 1}\n`,
        stderr: '',
      })),
    );

    // one argument is a shell command line; the plain output prefixes each line with the schema
    const shell = await runCli(['exec', ...selecting(schemas.slice(0, 1)), '--', 'echo "name=$TENANT_NAME"; echo done']);
    expect(shell.code, shell.stderr).toBe(0);
    expect(shell.stdout).toMatch(
      new RegExp(
        `^\\[${schemas[0]}\\] name=${schemas[0]}\\n\\[${schemas[0]}\\] done\\n${schemas[0]}: succeeded \\(exit 0\\) in \\d+ ms\\n1 tenant: 1 succeeded\\n$`,
      ),
    );
  });

  it('a failing tenant is reported and the others go on; exit 1 with one line naming it', async () => {
    const schemas = await withProjects('exec_f', 3);
    const failing = schemas[1];
    const command = `if [ "$TENANT_SCHEMA" = "${failing}" ]; then echo boom >&2; exit 3; fi; echo ran`;
    const run = await runCli(['exec', ...selecting(schemas), '--', command]);
    expect(run.code).toBe(1);
    for (const schema of [schemas[0], schemas[2]]) {
      expect(run.stdout).toContain(`[${schema}] ran\n${schema}: succeeded (exit 0)`);
    }
    // tenants run at once: the failing one may finish first, so its line may open the output
    expect(run.stdout).toMatch(new RegExp(`(^|\\n)${failing}: failed \\(exit 3\\) in \\d+ ms\\n`));
    expect(run.stdout).toMatch(/\n3 tenants: 2 succeeded, 1 failed\n$|\n3 tenants: 1 failed, 2 succeeded\n$/);
    expect(run.stderr).toBe(
      `[${failing}] boom\nerror: The command failed for 1 of 3 tenants (${failing}): the command exited with code 3\n`,
    );

    // --fail-fast with one at a time: the tenant after the failing one is not started
    const fast = await runCli(['exec', ...selecting(schemas), '--concurrency', '1', '--fail-fast', '--json', '--', command]);
    expect(fast.code).toBe(1);
    expect(parseJson<ExecReport>(fast).results.map((result) => [result.schema, result.status, result.exitCode])).toEqual([
      [schemas[0], 'succeeded', 0],
      [schemas[1], 'failed', 3],
      [schemas[2], 'skipped', null],
    ]);
  });

  it('--concurrency N runs at most N commands at once, and N when there are enough tenants', async () => {
    const schemas = await cli.createTenants('exec_c', 4);
    const dir = await mkdtemp(join(tmpdir(), 'tenancy-exec-'));
    // each command writes when it started and when it ended, 400 ms later
    const script =
      "const fs = require('node:fs'); const file = require('node:path').join(process.env.EXEC_DIR, process.env.TENANT_SCHEMA);" +
      "const started = Date.now(); setTimeout(() => fs.writeFileSync(file, started + ' ' + Date.now()), 400);";
    try {
      const run = await runCli(['exec', ...selecting(schemas), '--concurrency', '2', '--', process.execPath, '-e', script], {
        EXEC_DIR: dir,
      });
      expect(run.code, run.stderr).toBe(0);
      const spans = await Promise.all(
        schemas.map(async (schema) => (await readFile(join(dir, schema), 'utf8')).split(' ').map(Number)),
      );
      const atOnce = spans.map(([start]) => spans.filter(([from, to]) => from <= start && start < to).length);
      expect(Math.max(...atOnce)).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown tenant, --shared, a bad concurrency or no command: exit 1 and nothing runs', async () => {
    const [schema] = await cli.createTenants('exec_x', 1);
    const marker = `create table "${schema}".exec_ran (id int)`;
    const runs = await Promise.all([
      runCli(['exec', '--schema', schema, '--schema', 'no_such_tenant_x', '--', `psql "$DATABASE_URL" -c '${marker}'`]),
      runCli(['exec', '--shared', '--', 'true']),
      runCli(['exec', '--concurrency', '0', '--', 'true']),
      runCli(['exec']),
    ]);
    expect(runs.map((run) => run.code)).toEqual([1, 1, 1, 1]);
    expect(runs[0].stderr).toBe('error: No tenant has schema "no_such_tenant_x".\n');
    expect(runs[1].stderr).toMatch(
      /^error: exec runs for tenant schemas only: --shared cannot be used with it\.\n\nUsage: tenancy exec /,
    );
    expect(runs[2].stderr).toMatch(
      /^error: option '--concurrency <n>' argument '0' is invalid\. Expected a positive integer\.\n/,
    );
    expect(runs[3].stderr).toMatch(/^error: missing required argument 'command'\n/);
    expect(await cli.schemasWithColumn([schema], 'exec_ran', 'id')).toEqual([]);
  });
});
