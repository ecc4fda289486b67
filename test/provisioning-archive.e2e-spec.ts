import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InvalidTenantInputError, ProvisioningError, TenancyService, TenantNotFoundError } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { schemaCatalog } from './support/catalog.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

// exportTenant / importTenant through the library's API (the CLI tests run the compiled dist/,
// which mutation testing does not reach). Needs pg_dump and pg_restore of the server's version or
// newer: the round trips run where they fit; elsewhere (the embedded PostgreSQL 18 ships no client
// tools, this machine's are 15's) the refusal the API gives instead is tested.

/** Major versions of the machine's pg_dump and of the test server. */
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
const toolsFit = tools >= server;
/** The tests that need a round trip are defined only where the tools fit; the refusal elsewhere. */
const itWhen = (condition: boolean): typeof it => (condition ? it : ((() => undefined) as unknown as typeof it));

/** Text the COPY format escapes: tabs, newlines, backslashes, quotes, and a qualifier-like text. */
const TRICKY = ['tab\there', 'line\nbreak\r\n', 'back\\slash \\N', 'it\'s "quoted"', 'ünï©ødé ✓', '\u0001\u0007\u000b\u001b'];

describe('exportTenant / importTenant', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let dir: string;
  const created: string[] = [];

  beforeAll(async () => {
    app = await createTestApp();
    tenancy = app.get(TenancyService);
    dir = await mkdtemp(join(tmpdir(), 'tenancy-archive-'));
  });

  afterAll(async () => {
    await dropTestTenants(app, created);
    await rm(dir, { recursive: true, force: true });
    await app.close();
  });

  itWhen(toolsFit)(
    'writes a file that imports under a new name: the same catalog, rows (escapes decoded), sequences and migration state',
    async () => {
      const from = uniqueName('exp');
      created.push(from);
      await tenancy.createTenant({ schema: from });
      await sql(
        app,
        `create view "${from}".open_tasks as select t.title, p.name from "${from}".task t join "${from}".project p on p.id = t.project_id where not t.done`,
      );
      const descriptions = [...TRICKY, `${from}.project`, `"${from}".task`, null];
      for (const [index, description] of descriptions.entries()) {
        await sql(app, `insert into "${from}".project (name, description) values (?, ?)`, [`p${index}`, description]);
      }
      // more rows than one insert batch (500)
      await sql(
        app,
        `insert into "${from}".task (project_id, title, done) select 1, 'Task ' || g, g % 2 = 0 from generate_series(1, 1203) g`,
      );
      const file = join(dir, `${from}.dump`);
      expect(await tenancy.exportTenant(from, file)).toEqual({ schema: from, file });
      expect(existsSync(`${file}.${process.pid}.partial`)).toBe(false);

      const schema = uniqueName('imp');
      created.push(schema);
      const host = `${schema.replaceAll('_', '-')}.import.test`;
      const tenant = await tenancy.importTenant(file, { schema, name: 'Imported', domains: [host] });
      expect(tenant).toMatchObject({
        schema,
        name: 'Imported',
        status: 'active',
        domains: [{ host, isPrimary: true }],
        migrations: [],
      });

      expect(await schemaCatalog(app, schema)).toEqual(await schemaCatalog(app, from));
      const rows = (s: string) => sql(app, `select id, name, description from "${s}".project order by id`);
      expect(await rows(schema)).toEqual(await rows(from));
      expect((await rows(schema)).map((row) => row.description)).toEqual(descriptions);
      const tasks = (s: string) => sql(app, `select id, project_id, title, done from "${s}".task order by id`);
      expect(await tasks(schema)).toEqual(await tasks(from));
      // the view reads the copy's tables, not the original's
      const [view] = await sql<{ definition: string }>(app, 'select definition from pg_views where schemaname = ?', [schema]);
      expect(view.definition).not.toContain(from);
      expect(await sql(app, `select count(*)::int as n from "${schema}".open_tasks`)).toEqual([{ n: 602 }]);
      // the sequences go on where the original's were
      const [next] = await sql<{ id: number }>(app, `insert into "${schema}".project (name) values ('next') returning id`);
      expect(next.id).toBe(descriptions.length + 1);
      // the original is untouched
      expect((await rows(from)).length).toBe(descriptions.length);
      await expect(tenancy.importTenant(file, { schema })).rejects.toThrow(/already exists/);
    },
  );

  itWhen(toolsFit)('refuses a file with tenant migrations this app does not have, naming them, and creates nothing', async () => {
    const from = uniqueName('expa');
    created.push(from);
    await tenancy.createTenant({ schema: from });
    await sql(
      app,
      `insert into "${from}".mikro_orm_migrations (name, executed_at) values ('Migration20990101000000_future.ts', now()), ('Migration20990102000000_later', now())`,
    );
    const file = join(dir, `${from}.dump`);
    await tenancy.exportTenant(from, file);
    const schema = uniqueName('impa');
    const error = await tenancy.importTenant(file, { schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTenantInputError);
    expect((error as Error).message).toBe(
      "The file's tenant migrations are ahead of this app (Migration20990101000000_future, Migration20990102000000_later): deploy the code that has them, then import.",
    );
    expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [schema])).toEqual([]);
    expect(await sql(app, 'select 1 from public.tenant where schema = ?', [schema])).toEqual([]);
  });

  itWhen(!toolsFit)(
    `refuses to export with pg_dump ${tools} older than the PostgreSQL ${server} server, and writes no file`,
    async () => {
      const schema = uniqueName('expold');
      created.push(schema);
      await tenancy.createTenant({ schema });
      const file = join(dir, `${schema}.dump`);
      await expect(tenancy.exportTenant(schema, file)).rejects.toThrow(
        /^pg_dump is older than the PostgreSQL server \(.*server version mismatch.*\): install the PostgreSQL client tools of the server's major version or newer\.$/,
      );
      expect(existsSync(file)).toBe(false);
      expect(existsSync(`${file}.${process.pid}.partial`)).toBe(false);
    },
  );

  it('says to install the client tools when pg_dump is not on PATH, and leaves no file behind', async () => {
    const schema = uniqueName('exptool');
    created.push(schema);
    await tenancy.createTenant({ schema });
    const file = join(dir, `${schema}.dump`);
    const path = process.env.PATH;
    // the tools are looked up on the PATH the app runs with
    process.env.PATH = dir;
    try {
      await expect(tenancy.exportTenant(schema, file)).rejects.toThrow(
        new ProvisioningError(
          "pg_dump was not found on PATH: install the PostgreSQL client tools (pg_dump, pg_restore) of the server's major version or newer.",
        ),
      );
    } finally {
      process.env.PATH = path;
    }
    expect(existsSync(file)).toBe(false);
  });

  it('refuses an unknown tenant and a file that is no export, and leaves no file behind', async () => {
    const ghost = uniqueName('ghost');
    const file = join(dir, `${ghost}.dump`);
    await expect(tenancy.exportTenant(ghost, file)).rejects.toThrow(TenantNotFoundError);
    expect(existsSync(file)).toBe(false);

    const garbage = join(dir, 'garbage.dump');
    await writeFile(garbage, 'not an archive');
    const error = await tenancy.importTenant(garbage, { schema: uniqueName('impg') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisioningError);
    expect((error as Error).message).toMatch(/^pg_restore failed \(exit 1\): pg_restore: error: /);
    await expect(tenancy.importTenant(garbage, { schema: 'Bad-Name' })).rejects.toThrow(/schema/i);
    await expect(tenancy.importTenant(garbage, { schema: uniqueName('impg'), name: ' ' })).rejects.toThrow(
      new InvalidTenantInputError('The tenant name must be 1-200 characters.'),
    );
  });
});
