import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UNBOUND_SCHEMA } from '../tenancy.constants.js';
import { CrossTenantAccessError, NoTenantBoundError, TenantIsolationError, UncheckedSqlError } from '../tenancy.errors.js';
import { loadSqlParser } from './sql-statement.reader.js';
import { TenantSqlGuard } from './tenant-sql.guard.js';

beforeAll(() => loadSqlParser());

const tables = new Map([
  ['project', 'Project'],
  ['task', 'Task'],
]);

describe('TenantSqlGuard', () => {
  const bound = (schema?: string) =>
    new TenantSqlGuard({ tenantTables: tables, sharedSchemas: ['public'], boundSchema: () => schema });

  it('passes shared tables and qualified tenant tables of the bound schema', () => {
    expect(bound().check('select * from "public"."tenant" where id = $1')).toContain('tenant');
    expect(() =>
      bound('acme').check('select "p0".* from "acme"."project" as "p0" left join "acme"."task" as "t1" on 1=1'),
    ).not.toThrow();
    expect(() => bound('acme').check('insert into "acme"."task" ("title") values ($1)')).not.toThrow();
  });

  it.each([
    'select * from project',
    'select * from "project"',
    `select "p0".* from "${UNBOUND_SCHEMA}"."project" as "p0"`,
    'update "task" set done = true',
    'delete from task where id = 1',
    'insert into task (title) values (1)',
    'select * from "public"."tenant" t join project p on true',
  ])('refuses %s with no tenant bound', (sql) => {
    expect(() => bound().check(sql)).toThrow(NoTenantBoundError);
    expect(() => bound('acme').check(sql)).toThrow(NoTenantBoundError);
  });

  it('refuses another tenant schema', () => {
    expect(() => bound('acme').check('select * from "globex"."project"')).toThrow(CrossTenantAccessError);
    expect(() => bound('acme').check('update "globex"."task" set done = true')).toThrow(CrossTenantAccessError);
  });

  it('refuses a tenant table in any schema when no tenant is bound', () => {
    expect(() => bound().check('select * from "globex"."project"')).toThrow(NoTenantBoundError);
    expect(() => bound().check('select * from public.project')).toThrow(NoTenantBoundError);
  });

  it.each([
    'select * from "acme"."project" p, project x',
    'select * from /* c */ project',
    'select * from -- c\n project',
    'select * from"project"',
    'select * from db.public.project',
    'truncate project',
    'truncate "acme"."task", project',
    'drop table if exists project',
    'delete from "acme"."task" using project where true',
    'merge into "acme"."task" t using project p on true when matched then delete',
    'select * from "acme"."task" t join lateral (select * from project) x on true',
    'SELECT * FROM\n\tPROJECT',
    'copy project to stdout',
    'insert into project (name) select name from "acme"."project"',
    'with x as (select * from project) select * from x',
  ])('refuses %s while acme is bound', (sql) => {
    expect(() => bound('acme').check(sql.replaceAll('\\n', '\n').replaceAll('\\t', '\t'))).toThrow(/was refused/);
  });

  it('does not mistake literals, comments and columns for tables', () => {
    const guard = bound('acme');
    expect(() => guard.check(`select 'from project' as x from "acme"."task" -- from project`)).not.toThrow();
    expect(() => guard.check(`select $$ from project $$, e'\\' from project' from "acme"."task"`)).not.toThrow();
    expect(() =>
      guard.check(
        'select "t0"."project_id", "t0"."title" from "acme"."task" as "t0" where "t0"."project_id" in (select "p"."id" from "acme"."project" as "p")',
      ),
    ).not.toThrow();
    expect(() => guard.check('select * from generate_series(1, 3) as project')).not.toThrow();
  });

  it('sees tables given as ?? identifier parameters', () => {
    const guard = new TenantSqlGuard({
      tenantTables: tables,
      sharedSchemas: ['public'],
      boundSchema: () => 'acme',
      shape: (sql, params) => ({ text: sql.replace('??', String(params[0])), placeholders: [] }),
    });
    expect(() => guard.check('select * from ??', ['project'])).toThrow(NoTenantBoundError);
    expect(() => guard.check('select * from ??', ['"acme"."project"'])).not.toThrow();
  });
});

describe('TenantSqlGuard on names other than tables', () => {
  const guard = new TenantSqlGuard({ tenantTables: tables, sharedSchemas: ['public'], boundSchema: () => 'acme' });

  it.each([
    'reindex schema globex',
    'reindex database app',
    'select globex.f()',
    'call globex.p()',
    'alter table acme.project alter column name type globex.t',
    'select 1::globex.t',
    'drop function globex.f()',
    'drop type globex.t',
    'comment on function globex.f() is $$x$$',
    'create trigger t before update on acme.project for each row execute function globex.f()',
    'create sequence acme.s owned by globex.project.id',
    "copy acme.project to '/tmp/x'",
    'select * from pg_toast.pg_toast_1234',
    'create temp view v as select 1',
    "select 'x.y.acme.task'::regclass",
    'select * from public.pg_stats',
    "select set_config(current_setting('app.setting'), 'acme', false)",
    'reindex system app',
    "select to_regclass('globex.project')",
    "copy acme.project to program 'cat'",
  ])('refuses %s', (sql) => {
    expect(() => guard.check(sql)).toThrow(TenantIsolationError);
  });

  it.each([
    'select acme.f()',
    'select pg_catalog.now()',
    'select 1::pg_catalog.int4',
    'alter table acme.project alter column name type acme.t',
    'create sequence acme.s owned by acme.project.id',
    // the outer CTE named like a tenant table is still in scope after an inner one of that name
    'with project as (select 1) select * from (with project as (select 2) select * from project) a, project',
    'with recursive project(n) as (select 1 union all select n + 1 from project where n < 3) select * from project',
    'create temp table scratch (id int) on commit drop',
    "select to_regclass('acme.project')",
    // PostgreSQL's own schemas
    'select * from pg_catalog.pg_class',
    'select * from information_schema.tables',
    'select * from pg_temp.scratch',
    'select pg_temp.f()',
  ])('passes %s', (sql) => {
    expect(() => guard.check(sql)).not.toThrow();
  });

  it('refuses a value placeholder inside a literal or comment (MikroORM would put the value outside it)', () => {
    const shaped = new TenantSqlGuard({
      tenantTables: tables,
      sharedSchemas: ['public'],
      boundSchema: () => 'acme',
      shape: (sql) => ({ text: sql.replace('?', '$1'), placeholders: [1] }),
      isPlain: () => true,
    });
    expect(() => shaped.check("select '?' as x", ['v'])).toThrow(TenantIsolationError);
    expect(() => shaped.check('select 1 /* ? */', ['v'])).toThrow(TenantIsolationError);
    expect(() => shaped.check('select ? as x', ['v'])).not.toThrow();
  });
});

describe('isolation errors', () => {
  it('are TenancyErrors and MikroORM DriverExceptions', async () => {
    const { DriverException } = await import('@mikro-orm/core');
    const { TenancyError } = await import('../tenancy.errors.js');
    const error = new NoTenantBoundError('x');
    expect(error).toBeInstanceOf(TenancyError);
    expect(error).toBeInstanceOf(DriverException);
    expect(error.name).toBe('NoTenantBoundError');
    expect(new Error('x')).not.toBeInstanceOf(TenancyError);
    expect(error).not.toBeInstanceOf(CrossTenantAccessError);
  });
});

describe('TenantSqlGuard readings kept between statements', () => {
  it('refuses an empty statement as SQL it cannot check (the parser reads none), also the second time', () => {
    const guard = new TenantSqlGuard({ tenantTables: tables, sharedSchemas: ['public'], boundSchema: () => undefined });
    expect(() => guard.check('')).toThrow(UncheckedSqlError);
    expect(() => guard.check('')).toThrow(UncheckedSqlError);
  });

  it('keeps the reading of a statement sent with values apart from the same text sent without', () => {
    // MikroORM replaces `?` only when there are values: the same text is another statement then
    const guard = new TenantSqlGuard({
      tenantTables: tables,
      sharedSchemas: ['public'],
      boundSchema: () => 'acme',
      shape: (sql) => ({ text: sql.replace('?', '$1'), placeholders: [1] }),
      isPlain: () => true,
    });
    expect(() => guard.check('select ? from "acme"."task"', ['v'])).not.toThrow();
    expect(() => guard.check('select ? from "acme"."task"')).toThrow(TenantIsolationError);
    expect(() => guard.check('select ? from "acme"."task"', ['v'])).not.toThrow();
  });

  it('keys a statement whose values hold SQL by its shape, not by its text', () => {
    const guard = new TenantSqlGuard({
      tenantTables: tables,
      sharedSchemas: ['public'],
      boundSchema: () => 'acme',
      shape: (sql, params) => ({ text: sql.replace('??', String(params[0])), placeholders: [] }),
      isPlain: (sql) => !sql.includes('??'),
    });
    expect(() => guard.check('select * from ??', ['"acme"."project"'])).not.toThrow();
    expect(() => guard.check('select * from ??', ['"globex"."project"'])).toThrow(CrossTenantAccessError);
    expect(() => guard.check('select * from ??', ['"acme"."project"'])).not.toThrow();
  });
});

describe('TenantSqlGuard: one reading of a statement serves every tenant', () => {
  let schema: string | undefined;
  let reads = 0;
  const counting = (cacheSize?: number) =>
    new TenantSqlGuard({
      tenantTables: tables,
      sharedSchemas: ['public'],
      boundSchema: () => schema,
      // counts the readings: a statement with values is shaped only when its reading is not cached
      shape: (sql) => {
        reads++;
        let n = 0;
        const text = sql.replace(/\?/g, () => `$${++n}`);
        return { text, placeholders: Array.from({ length: n }, (_, i) => i + 1) };
      },
      isPlain: () => true,
      cacheSize,
    });
  // made in each test (a guard made while the file loads would not see a mutant under test)
  let guard = counting();
  beforeEach(() => {
    guard = counting();
  });
  const as = (bound: string | undefined, sql: string, params: unknown[] = [1]) => {
    schema = bound;
    return () => guard.check(sql, params);
  };

  it("reads a tenant's statement once: the same statement of another tenant uses that reading", () => {
    reads = 0;
    expect(as('acme', 'select * from "acme"."project" as "p0" where "p0"."id" = ?')).not.toThrow();
    expect(as('globex', 'select * from "globex"."project" as "p0" where "p0"."id" = ?')).not.toThrow();
    expect(as('initech', 'select * from "initech"."project" as "p0" where "p0"."id" = ?')).not.toThrow();
    expect(reads).toBe(1);
  });

  it('the shared reading never lets a statement reach another tenant, or run with none bound', () => {
    expect(as('acme', 'select * from "acme"."task" where "id" = ?')).not.toThrow();
    expect(as('globex', 'select * from "acme"."task" where "id" = ?')).toThrow(
      CrossTenantAccessError.forSchema('Task', 'acme', 'globex'),
    );
    expect(as('globex', 'select * from "globex"."task" join "acme"."project" on true where "id" = ?')).toThrow(
      CrossTenantAccessError.forSchema('Project', 'acme', 'globex'),
    );
    expect(as('acme', 'select * from "globex"."task" join "acme"."project" on true where "id" = ?')).toThrow(
      CrossTenantAccessError.forSchema('Task', 'globex', 'acme'),
    );
    expect(as(undefined, 'select * from "acme"."task" where "id" = ?')).toThrow(NoTenantBoundError);
    // unquoted, the bound schema's name is read as it is: allowed for that tenant only
    expect(as('acme', 'select * from "acme"."task" join acme.project on true where "id" = ?')).not.toThrow();
    expect(as('globex', 'select * from "globex"."task" join acme.project on true where "id" = ?')).toThrow(
      CrossTenantAccessError.forSchema('Project', 'acme', 'globex'),
    );
  });

  it("a statement naming the placeholder's schema itself is read as it is: never the bound tenant's", () => {
    const placeholder = '"__tenancy_bound_schema__"';
    // the reading of this text is cached by the statement of acme above
    expect(as('acme', `select * from "acme"."task" where "id" = ?`)).not.toThrow();
    expect(as('acme', `select * from ${placeholder}."task" where "id" = ?`)).toThrow(
      CrossTenantAccessError.forSchema('Task', '__tenancy_bound_schema__', 'acme'),
    );
    expect(as('acme', `select * from "acme"."task" join ${placeholder}."project" on true where "id" = ?`)).toThrow(
      CrossTenantAccessError.forSchema('Project', '__tenancy_bound_schema__', 'acme'),
    );
    expect(as('acme', `select * from ${placeholder}."task"`, [])).toThrow(CrossTenantAccessError);
    expect(as(undefined, `select * from ${placeholder}."task" where "id" = ?`)).toThrow(NoTenantBoundError);
  });

  it('a statement whose values hold SQL: the placeholder inside a value is not the bound schema either', () => {
    const shaping = new TenantSqlGuard({
      tenantTables: tables,
      sharedSchemas: ['public'],
      boundSchema: () => 'acme',
      shape: (sql, params) => ({ text: sql.replace('??', String(params[0])), placeholders: [] }),
      isPlain: (sql) => !sql.includes('??'),
    });
    expect(() => shaping.check('select * from "acme"."task", ??', ['"acme"."project"'])).not.toThrow();
    expect(() => shaping.check('select * from "acme"."task", ??', ['"__tenancy_bound_schema__"."project"'])).toThrow(
      CrossTenantAccessError.forSchema('Project', '__tenancy_bound_schema__', 'acme'),
    );
    expect(() => shaping.check('select * from "acme"."task", ??', ['"globex"."project"'])).toThrow(CrossTenantAccessError);
  });

  it('schema names in other places than a table (functions, sequences) follow the same rule', () => {
    expect(as('acme', `select "acme".next_id(?)`)).not.toThrow();
    expect(as('globex', `select "globex".next_id(?)`)).not.toThrow();
    expect(as('globex', `select "acme".next_id(?)`)).toThrow(CrossTenantAccessError);
  });

  it('cacheSize bounds the readings kept; long statements are kept too', () => {
    reads = 0;
    const long = `select * from "acme"."project" where "name" = ? and ${'"id" > 0 and '.repeat(40)}true`;
    expect(as('acme', long)).not.toThrow();
    expect(as('acme', long)).not.toThrow();
    expect(reads).toBe(1);
    guard = counting(1);
    reads = 0;
    for (const sql of ['select * from "acme"."task" where "id" = ?', 'select * from "acme"."project" where "id" = ?']) {
      expect(as('acme', sql)).not.toThrow();
    }
    expect(as('acme', 'select * from "acme"."task" where "id" = ?')).not.toThrow();
    expect(reads).toBe(3);
  });

  it('with no tenant bound, nothing is read as the bound schema (not even a schema named "undefined")', () => {
    expect(as(undefined, 'select * from "undefined"."project" where "id" = ?')).toThrow(NoTenantBoundError);
  });

  it("a temporary table named like a tenant table is the session's own (pg_temp): allowed", () => {
    expect(as('acme', 'select * from pg_temp.project where "id" = ?')).not.toThrow();
    expect(as(undefined, 'select * from "pg_temp"."task" where "id" = ?')).not.toThrow();
  });

  it('refusals name what was crossed: a table no entity maps, a schema of a function', () => {
    expect(as('acme', 'select * from "globex"."audit" where "id" = ?')).toThrow(
      CrossTenantAccessError.forSchema('table "audit"', 'globex', 'acme'),
    );
    expect(as('acme', 'select "globex".next_id(?)')).toThrow(
      CrossTenantAccessError.forSchema('schema "globex"', 'globex', 'acme'),
    );
  });

  it('a ? inside a literal is refused with its reason; a statement refused for another reason keeps that one', () => {
    expect(as('acme', `select '?' from "acme"."task"`)).toThrow(
      UncheckedSqlError.because('a ? placeholder stands inside a literal, quoted name or comment'),
    );
    const refusal = (() => {
      try {
        as('acme', `do $$ begin perform '?'; end $$`)();
      } catch (error) {
        return error as Error;
      }
    })();
    expect(refusal).toBeInstanceOf(UncheckedSqlError);
    expect(refusal?.message).not.toMatch(/placeholder/);
  });
});

describe('TenantSqlGuard with no tenant tables', () => {
  it('passes every statement unchanged, even one it could not read', () => {
    const guard = new TenantSqlGuard({ tenantTables: new Map(), sharedSchemas: ['public'], boundSchema: () => undefined });
    expect(guard.check('this is not SQL')).toBe('this is not SQL');
    expect(guard.check('select * from project')).toBe('select * from project');
  });
});
