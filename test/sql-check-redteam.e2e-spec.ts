import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Tenant, TenancyService, TenantIsolationError, type TenantDetails, UncheckedSqlError } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

/**
 * Red-team findings against the SQL check: each test is a statement or API call made with tenant
 * A ("own") bound that reads or changes tenant B's ("other") data or schema on the real
 * PostgreSQL, or breaks the check. Each test FAILS while the hole is open: it expects a
 * TenantIsolationError and, when the statement ran instead, its message carries what reached B.
 */
describe('SQL check red team', () => {
  let app: NestFastifyApplication;
  let own: TenantDetails;
  let other: TenantDetails;
  let client: pg.Client;
  const secret = `B-secret-${randomBytes(4).toString('hex')}`;
  const bigSecret = randomBytes(6000).toString('base64'); // incompressible: TOASTed out of line, uncompressed

  beforeAll(async () => {
    app = await createTestApp();
    own = await createTestTenant(app, { schema: uniqueName('own') });
    other = await createTestTenant(app, { schema: uniqueName('other') });
    client = new pg.Client({ connectionString: databaseUrl() });
    await client.connect();
    const o = other.schema;
    await client.query(
      `insert into "${o}"."project" (name, description, created_at) values ($1, $2, now()), ($1 || '-2', null, now()), ($1 || '-3', null, now())`,
      [secret, bigSecret],
    );
  });

  afterAll(async () => {
    await client.end();
    await dropTestTenants(app, [own.schema, other.schema]);
    await app.close();
  });

  const tenancy = () => app.get(TenancyService);
  const asOwn = <T>(work: (em: EntityManager) => Promise<T>) => tenancy().run(own.schema, (em) => work(em as EntityManager));

  /** 'refused' when the check threw a TenantIsolationError; what ran (or failed) otherwise. */
  async function outcome(attempt: Promise<unknown>): Promise<string> {
    return attempt.then(
      (result) => `ran: ${JSON.stringify(result).slice(0, 400)}`,
      (error: unknown) =>
        error instanceof TenantIsolationError
          ? 'refused'
          : `failed (${(error as Error).constructor.name}): ${(error as Error).message.slice(0, 200)}`,
    );
  }

  it('F1: SET client_encoding = GBK, then an E-string whose backslash the server folds into a GBK character', async () => {
    // the reader (UTF-8) sees E'中\' as x, …' as ONE string; the server converts the bytes from
    // GBK first (E4B8 AD5C 27): the backslash is gone, the quote ends the string, the rest is SQL
    const result = await outcome(
      asOwn((em) =>
        em.transactional(async (tx) => {
          await tx.execute(`set local client_encoding = 'GBK'`);
          return tx.execute(`select E'中\\' as x, (select string_agg(name, ',') from "${other.schema}"."project") as leak --'`);
        }),
      ),
    );
    expect(result).toBe('refused');
  });

  it('F2: a plain value inlined next to quotes: "?" inside a string literal (the shape reads \'$1\', PostgreSQL reads the value as SQL)', async () => {
    // MikroORM's formatQuery replaces every "?", even inside a literal: '?' becomes ''<value>''
    const value = ` as x, (select name from "${other.schema}"."project" order by id limit 1) as leak --`;
    const results = [
      await outcome(asOwn((em) => em.execute(`select '?' as x`, [value]))),
      await outcome(asOwn((em) => em.getConnection().execute(`select '?' as x`, [value]))),
      await outcome(
        asOwn((em) =>
          em
            .createQueryBuilder(Project, 'p')
            .select('p.id')
            .where(`p.name <> '?'`, [` or p.id in (select id from "${other.schema}"."project" where id > 0) or p.name = `])
            .execute('all'),
        ),
      ),
      // an empty array inlines as nothing: the shape reads `$$1a$ …$$` (one dollar string), the server `$a$ … $a$, <SQL> --$$`
      await outcome(
        asOwn((em) =>
          em.execute(
            `select $?a$ hidden $a$ as x, (select name from "${other.schema}"."project" order by id limit 1) as leak --$$`,
            [[]],
          ),
        ),
      ),
    ];
    expect(results).toEqual(['refused', 'refused', 'refused', 'refused']);
  });

  it("F3: analyze (no table: every table of the database), then pg_stats shows B's column values", async () => {
    const result = await outcome(
      asOwn(async (em) => {
        await em.execute('analyze');
        return em.execute(
          `select histogram_bounds::text as leak from pg_stats where schemaname = '${other.schema}' and tablename = 'project' and attname = 'name'`,
        );
      }),
    );
    expect(result).toBe('refused');
  });

  it("F4: pg_stat_activity shows B's statements in flight, values inlined by MikroORM", async () => {
    const inflight = `B-inflight-${randomBytes(4).toString('hex')}`;
    const b = tenancy().run(other.schema, (em) =>
      (em as EntityManager).execute(`select pg_sleep(1.5), count(*) from "${other.schema}"."project" where name = ?`, [inflight]),
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const result = await outcome(
      asOwn((em) =>
        em.execute(`select query as leak from pg_stat_activity where pid <> pg_backend_pid() and query like '%pg_sleep(1.5)%'`),
      ),
    );
    await b;
    expect(result).toBe('refused');
  });

  it('F5: pg_toast is a "system schema": B\'s TOASTed values read straight from its TOAST table', async () => {
    const result = await outcome(
      asOwn(async (em) => {
        const [{ toast }] = await em.execute<{ toast: string }[]>(
          `select c.reltoastrelid::regclass::text as toast from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${other.schema}' and c.relname = 'project'`,
        );
        const [{ leak }] = await em.execute<{ leak: string }[]>(
          `select convert_from(string_agg(chunk_data, ''::bytea order by chunk_id, chunk_seq), 'UTF8') as leak from ${toast}`,
        );
        return { toast, sameAsB: leak === bigSecret, leak: leak.slice(0, 40) };
      }),
    );
    expect(result).toBe('refused');
  });

  it("F6: object names that are not relation lists go unread: DROP TYPE/FUNCTION, calls of B's functions, REINDEX SCHEMA", async () => {
    const o = other.schema;
    // as a tenant migration would create them in B: an enum column, a function
    await client.query(`create type "${o}".priority as enum ('low', 'high')`);
    await client.query(`alter table "${o}".task add column priority "${o}".priority`);
    await client.query(
      `create function "${o}".project_names() returns text language sql as $$ select string_agg(name, ',') from "${o}".project $$`,
    );
    const relfilenode = async () =>
      (await client.query(`select relfilenode from pg_class where oid = '"${o}".project_pkey'::regclass`)).rows[0]
        .relfilenode as number;
    const before = await relfilenode();
    const results = {
      call: await outcome(asOwn((em) => em.execute(`select ${o}.project_names() as leak`))),
      comment: await outcome(asOwn((em) => em.execute(`comment on function ${o}.project_names() is 'tenant A was here'`))),
      reindex: await outcome(asOwn((em) => em.execute(`reindex schema ${o}`))),
      dropFunction: await outcome(asOwn((em) => em.execute(`drop function ${o}.project_names()`))),
      dropType: await outcome(asOwn((em) => em.execute(`drop type ${o}.priority cascade`))),
    };
    const column = await client.query(
      `select 1 from information_schema.columns where table_schema = $1 and table_name = 'task' and column_name = 'priority'`,
      [o],
    );
    const after = await relfilenode();
    expect({ ...results, bPriorityColumnStillThere: column.rowCount === 1, bIndexUntouched: before === after }).toEqual({
      call: 'refused',
      comment: 'refused',
      reindex: 'refused',
      dropFunction: 'refused',
      dropType: 'refused',
      bPriorityColumnStillThere: true,
      bIndexUntouched: true,
    });
  });

  it("F7: COPY to / from a server file: reads server files and overwrites B's table file on disk", async () => {
    const o = other.schema;
    const read = await outcome(
      asOwn(async (em) => {
        const [{ dir }] = await em.execute<{ dir: string }[]>(`select current_setting('data_directory') as dir`);
        await em.execute('create temp table server_file (line text)');
        await em.execute(`copy server_file from '${dir}/PG_VERSION'`);
        return em.execute('select line from server_file');
      }),
    );
    const [{ path }] = (
      await client.query(
        `select current_setting('data_directory') || '/' || pg_relation_filepath(c.oid) as path from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = 'task'`,
        [o],
      )
    ).rows;
    const write = await outcome(
      asOwn(async (em) => {
        // A computes the same path with allowed catalog functions, then writes over it
        const [{ target }] = await em.execute<{ target: string }[]>(
          `select current_setting('data_directory') || '/' || pg_relation_filepath(c.oid) as target from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${o}' and c.relname = 'task'`,
        );
        await em.execute(`copy (select 'written over B''s task table by tenant A') to '${target}'`);
        return target;
      }),
    );
    const onDisk = (
      await client
        .query(`select convert_from(pg_read_binary_file($1), 'UTF8') as content`, [path])
        .catch(() => ({ rows: [{ content: '?' }] }))
    ).rows[0].content as string;
    expect({ read, write, bTaskFileOverwritten: onDisk.includes('tenant A') }).toEqual({
      read: 'refused',
      write: 'refused',
      bTaskFileOverwritten: false,
    });
  });

  it('F8: a temporary table outlives the bound tenant on a pooled connection and shadows unqualified shared tables (MikroORM omits "public")', async () => {
    const single = await createTestApp(1); // one connection: every run() below shares it
    try {
      const run = (schema: string, work: (em: EntityManager) => Promise<unknown>) =>
        single.get(TenancyService).run(schema, (em) => work(em as EntityManager));
      const created = await outcome(
        run(own.schema, (em) => em.execute('create temp table tenant (like public.tenant including defaults)')),
      );
      // later, tenant B's code on the same connection writes a shared entity: MikroORM sends `insert into "tenant"`
      const bName = `B-private-${randomBytes(3).toString('hex')}`;
      await run(other.schema, (em) =>
        em.insert(Tenant, { schema: `b_${randomBytes(3).toString('hex')}`, name: bName, status: 'suspended' }),
      );
      // refused above, so there is no temporary table to read: B's row went to public.tenant
      const captured = (await run(own.schema, (em) => em.execute('select name from pg_temp.tenant')).catch(() => [])) as {
        name: string;
      }[];
      await client.query('delete from public.tenant where name = $1', [bName]);
      expect({ created, capturedByA: captured.some((row) => row.name === bName) }).toEqual({
        created: 'refused',
        capturedByA: false,
      });
    } finally {
      await single.close();
    }
  });

  it("F10: an identity column's SEQUENCE NAME creates the sequence in B's schema", async () => {
    const o = other.schema;
    // PostgreSQL makes the sequence OWNED BY the column of that name in B's table of the same name
    // (tenants share their tables' shape): here a column B has and A does not have yet
    await client.query(`alter table "${o}".task add column ticket int`);
    const result = await outcome(
      asOwn((em) =>
        em.execute(
          `alter table "${own.schema}".task add column ticket int generated by default as identity (sequence name "${o}".planted_seq)`,
        ),
      ),
    );
    const planted = await client.query(
      `select 1 from pg_class where relname = 'planted_seq' and relnamespace = $1::regnamespace`,
      [o],
    );
    expect({ result, sequencesPlantedInB: planted.rowCount }).toEqual({ result: 'refused', sequencesPlantedInB: 0 });
  });

  it("F11: B's objects named outside relation lists: a sequence in text, an operator, CASCADE from a shared table, a pg_temp table", async () => {
    const o = other.schema;
    const parent = uniqueName('redteam_parent');
    await client.query(`create table public.${parent} (id int primary key); insert into public.${parent} values (1)`);
    await client.query(
      `create table "${o}".child (id int references public.${parent} (id)); insert into "${o}".child values (1)`,
    );
    await client.query(
      `create function "${o}".leak(int, int) returns text language sql as $$ select string_agg(name, ',') from "${o}".project $$`,
    );
    await client.query(`create operator "${o}".||| (function = "${o}".leak, leftarg = int, rightarg = int)`);
    const lastValue = async () =>
      (await client.query(`select last_value from "${o}".project_id_seq`)).rows[0].last_value as string;
    const before = await lastValue();
    try {
      const results = {
        nextval: await outcome(asOwn((em) => em.execute(`select nextval('"${o}".project_id_seq') as n`))),
        setval: await outcome(asOwn((em) => em.execute(`select setval('"${o}".project_id_seq', 1, false) as n`))),
        operator: await outcome(asOwn((em) => em.execute(`select 1 operator("${o}".|||) 2 as leak`))),
        cascade: await outcome(asOwn((em) => em.execute(`truncate public.${parent} cascade`))),
        tempTable: await outcome(
          asOwn((em) => em.execute('create table pg_temp.tenant (like public.tenant including defaults)')),
        ),
      };
      const child = await client.query(`select count(*)::int as n from "${o}".child`);
      expect({ ...results, bSequenceUntouched: (await lastValue()) === before, bChildRows: child.rows[0].n }).toEqual({
        nextval: 'refused',
        setval: 'refused',
        operator: 'refused',
        cascade: 'refused',
        tempTable: 'refused',
        bSequenceUntouched: true,
        bChildRows: 1,
      });
    } finally {
      await client.query(`drop table "${o}".child; drop table public.${parent}`);
    }
  });

  it('F9: nesting deeper than the check can walk is refused as unchecked SQL, not a RangeError', async () => {
    // 600 nested scalar subqueries on the tenant's own table; PostgreSQL 15 runs 800 of them
    const depth = 600;
    const statement = `select ${'(select '.repeat(depth)}count(*) from "${own.schema}"."project"${')'.repeat(depth)} as n`;
    const direct = await client.query(statement).then(
      () => 'PostgreSQL runs it',
      (error: Error) => error.message,
    );
    const result = await outcome(asOwn((em) => em.execute(statement)));
    const error = await asOwn((em) => em.execute(statement)).catch((e: unknown) => e);
    expect({ direct, result }).toEqual({ direct: 'PostgreSQL runs it', result: 'refused' });
    expect(error).toBeInstanceOf(UncheckedSqlError);
  });
});
