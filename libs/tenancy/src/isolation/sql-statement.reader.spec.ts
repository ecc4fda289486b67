import { beforeAll, describe, expect, it } from 'vitest';
import { parseSync } from 'libpg-query';
import { loadSqlParser, readStatement } from './sql-statement.reader.js';

// What the reader finds in a statement, exactly (the SQL check's decisions on top of it are in
// tenant-sql.guard.spec.ts): every relation and schema named, the $n parameters, and why a
// statement cannot be checked.

beforeAll(() => loadSqlParser());

const relations = (sql: string) => readStatement(sql).relations;
const schemas = (sql: string) => readStatement(sql).schemas;
const refused = (sql: string) => readStatement(sql).refused;

describe('readStatement: relations', () => {
  it('reads qualified and unqualified relations, quoted names as written, temporary ones in pg_temp', () => {
    expect(relations('select * from acme.project p join "Globex"."Task" t on true, plain')).toEqual([
      { schema: 'acme', name: 'project' },
      { schema: 'Globex', name: 'Task' },
      { name: 'plain' },
    ]);
    expect(relations('create temp table scratch (id int) on commit drop')).toEqual([{ schema: 'pg_temp', name: 'scratch' }]);
    expect(relations('create table keep (id int)')).toEqual([{ name: 'keep' }]);
  });

  it('leaves out CTE names in scope, but not a qualified name nor one after its WITH', () => {
    expect(relations('with x as (select * from a.t) select * from x, y')).toEqual([{ schema: 'a', name: 't' }, { name: 'y' }]);
    expect(relations('with x as (select 1) select * from s.x')).toEqual([{ schema: 's', name: 'x' }]);
    // a non-recursive CTE does not see itself: the x inside is a table
    expect(relations('with x as (select * from x) select * from x')).toEqual([{ name: 'x' }]);
    // a recursive one does
    expect(relations('with recursive x(n) as (select 1 union all select n from x) select * from x')).toEqual([]);
    // a later CTE sees an earlier one
    expect(relations('with a as (select 1), b as (select * from a) select * from b')).toEqual([]);
    // out of scope after its statement
    expect(relations('select * from (with x as (select 1) select * from x) s, x')).toEqual([{ name: 'x' }]);
    expect(relations('with x as (select 1) select * from (with x as (select 2) select * from x) s, x')).toEqual([]);
    // a recursive CTE is out of scope after its statement too
    expect(relations('select * from (with recursive x(n) as (select 1 union all select n from x) select * from x) s, x')).toEqual(
      [{ name: 'x' }],
    );
  });

  it('reads relations named in text: regclass casts and to_regclass, case-folded unless quoted', () => {
    expect(relations(`select 'Acme.Project'::regclass, '"A"."B"'::regclass, 'plain'::regclass`)).toEqual([
      { schema: 'acme', name: 'project' },
      { schema: 'A', name: 'B' },
      { name: 'plain' },
    ]);
    expect(relations(`select to_regclass('db.s.t'), to_regclass(' s . "x""y" ')`)).toEqual([
      { schema: 's', name: 't' },
      { schema: 's', name: 'x"y' },
    ]);
    expect(relations(`select 'acme.project'::text, to_regclass(name) from t`)).toEqual([{ name: 't' }]);
    expect(refused(`select 'a.b.c.d'::regclass`)).toBe('a relation name in text the check cannot read ("a.b.c.d")');
    expect(refused(`select to_regclass('a-b')`)).toBe('a relation name in text the check cannot read ("a-b")');
    expect(refused(`select to_regclass('')`)).toBe('a relation name in text the check cannot read ("")');
    // PostgreSQL refuses a name ending in a dot ("invalid name syntax"); so does the check
    expect(refused(`select 'acme.'::regclass`)).toBe('a relation name in text the check cannot read ("acme.")');
    expect(refused(`select to_regclass('acme . ')`)).toBe('a relation name in text the check cannot read ("acme . ")');
    // a cast of a cast of a constant is still the constant
    expect(relations(`select 'a.b'::text::regclass`)).toEqual([{ schema: 'a', name: 'b' }]);
    // only to_regclass reads its text as a relation
    expect(readStatement(`select lower('a-b'), upper('s.t')`)).toEqual({
      relations: [],
      schemas: [],
      parameters: [],
      refused: undefined,
    });
    expect(refused(`select '${'x'.repeat(100)} y'::regclass`)).toBe(
      `a relation name in text the check cannot read ("${'x'.repeat(80)}")`,
    );
  });

  it('reads the relations of DROP, COMMENT, renames, schema moves and OWNED BY', () => {
    expect(relations('drop table a.t, u; drop view v; drop index s.i; drop sequence q')).toEqual([
      { schema: 'a', name: 't' },
      { name: 'u' },
      { name: 'v' },
      { schema: 's', name: 'i' },
      { name: 'q' },
    ]);
    expect(relations('comment on column s.t.c is null; comment on trigger tr on s2.t2 is null')).toEqual([
      { schema: 's', name: 't' },
      { schema: 's2', name: 't2' },
    ]);
    expect(relations('comment on column t.c is null')).toEqual([{ name: 't' }]);
    expect(relations('alter table s.t rename to u')).toEqual([{ schema: 's', name: 't' }]);
    expect(relations('alter table s.t set schema other')).toEqual([{ schema: 's', name: 't' }]);
    expect(readStatement('alter table a.t rename column c to d')).toMatchObject({
      relations: [{ schema: 'a', name: 't' }],
      schemas: [],
    });
    expect(readStatement('alter function s.f() rename to g')).toMatchObject({ relations: [], schemas: ['s'] });
    expect(readStatement('drop function s.f()')).toMatchObject({ relations: [], schemas: ['s'] });
    expect(readStatement(`security label on table s.t is 'x'`)).toMatchObject({
      relations: [{ schema: 's', name: 't' }],
      refused: 'SecLabelStmt statements are not checked',
    });
    expect(relations('create sequence q owned by s.t.id')).toEqual([{ name: 'q' }, { schema: 's', name: 't' }]);
    expect(relations('create sequence q owned by t.id')).toEqual([{ name: 'q' }, { name: 't' }]);
    expect(relations('create sequence q owned by none')).toEqual([{ name: 'q' }]);
    expect(relations('create table t (id int generated always as identity (sequence name s.q))')).toEqual([
      { name: 't' },
      { schema: 's', name: 'q' },
    ]);
    expect(relations('alter table a.t alter column id add generated by default as identity (sequence name q)')).toEqual([
      { schema: 'a', name: 't' },
      { name: 'q' },
    ]);
    expect(relations('create table t (id int generated always as identity (start 5 increment 2))')).toEqual([{ name: 't' }]);
  });
});

describe('readStatement: schemas', () => {
  it('reads schemas named as such and the qualifiers of functions, types and trigger functions', () => {
    expect(schemas('drop schema a, b cascade')).toEqual(['a', 'b']);
    expect(schemas('create schema c')).toEqual(['c']);
    expect(schemas('alter schema d rename to e')).toEqual(['d', 'e']);
    expect(schemas('alter table t set schema f')).toEqual(['f']);
    expect(schemas('alter function g.fn() set schema h')).toEqual(['h', 'g']);
    expect(schemas('grant usage on schema i to r')).toEqual(['i']);
    expect(schemas('grant select on all tables in schema j to r')).toEqual(['j']);
    // the argument type int is pg_catalog.int4 to the parser
    expect(new Set(schemas('grant execute on function k.fn(int) to r'))).toEqual(new Set(['k', 'pg_catalog']));
    expect(new Set(schemas('grant execute on function fn(int) to r'))).toEqual(new Set(['pg_catalog']));
    expect(schemas('grant execute on function fn() to r')).toEqual([]);
    expect(schemas('grant execute on function s.fn() to r')).toEqual(['s']);
    expect(schemas('grant usage on type u.t to r')).toEqual(['u']);
    expect(schemas('select now(), lower(name) from t')).toEqual([]);
    expect(schemas('grant select on table l.t to r')).toEqual([]);
    expect(relations('grant select on table l.t to r')).toEqual([{ schema: 'l', name: 't' }]);
    expect(schemas('reindex schema m')).toEqual(['m']);
    expect(schemas('select n.f(1), pg_catalog.now(), plain()')).toEqual(['n', 'pg_catalog']);
    expect(schemas('call o.p()')).toEqual(['o']);
    expect(schemas('select 1::p.t, 2::int')).toEqual(['p', 'pg_catalog']);
    expect(schemas('create trigger tr before update on t for each row execute function q.f()')).toEqual(['q']);
    // (a type is read both as a dropped object and as a type name: listed twice, which changes nothing)
    expect(new Set(schemas('drop type r.t; drop function s.f(); drop function plain()'))).toEqual(new Set(['r', 's']));
    expect(schemas('comment on function t.f() is null')).toEqual(['t']);
  });
});

describe('readStatement: refusals', () => {
  it.each([
    ['select from', /^PostgreSQL's parser cannot read it \(syntax error at end of input\)$/],
    ['do $$ begin end $$', 'DoStmt statements are not checked'],
    ['create function f() returns int language sql as $$select 1$$', 'CreateFunctionStmt statements are not checked'],
    ['prepare p as select 1', 'PrepareStmt statements are not checked'],
    ['select 1; execute p', 'ExecuteStmt statements are not checked'],
    ['set search_path to other', 'SET search_path changes how SQL is read or where unqualified names go'],
    ['set Client_Encoding to latin1', 'SET client_encoding changes how SQL is read or where unqualified names go'],
    ["copy t from '/tmp/x'", 'COPY to or from a server file or program reads and writes outside any schema'],
    ["copy t to program 'cat'", 'COPY to or from a server file or program reads and writes outside any schema'],
    ['reindex database app', 'REINDEX of the whole database reaches every tenant'],
    ['reindex system app', 'REINDEX of the whole database reaches every tenant'],
    ['select * from pg_stats', "pg_stats shows other tenants' data"],
    ['select * from pg_catalog.pg_stat_activity', "pg_stat_activity shows other tenants' data"],
    ['select * from public.pg_largeobject', "pg_largeobject shows other tenants' data"],
    ['select pg_stat_get_activity(null)', "pg_stat_get_activity() shows other tenants' data"],
    ["select query_to_xml('select 1', true, true, '')", 'query_to_xml() runs SQL or reads objects named in text'],
    ["select dblink('x', 'y')", 'dblink() runs SQL or reads objects named in text'],
    [
      "select set_config('search_path', 'x', true)",
      'set_config() of a setting that changes how SQL is read or where unqualified names go',
    ],
    [
      "select set_config('Search_Path', 'x', true)",
      'set_config() of a setting that changes how SQL is read or where unqualified names go',
    ],
    [
      'select set_config(name, value, true) from t',
      'set_config() of a setting that changes how SQL is read or where unqualified names go',
    ],
    ['create temp table x (id int)', 'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)'],
    [
      'create temp table x (id int) on commit delete rows',
      'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)',
    ],
    ['create temp sequence s', 'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)'],
    [
      'create temp view v as select 1',
      'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)',
    ],
    ['select 1 into temp x', 'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)'],
    [
      'create temp table x as select 1',
      'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)',
    ],
    ['alter system set work_mem = 1', 'AlterSystemStmt statements are not checked'],
  ])('refuses %s', (sql, reason) => {
    expect(refused(sql)).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
  });

  it('refuses a prepared statement run inside a statement it knows', () => {
    for (const sql of ['explain execute p', 'create table t as execute p']) {
      expect(refused(sql), sql).toBe('prepared statements are session state that outlives the bound tenant');
    }
  });

  it('passes what it reads fully, keeping the first reason when several apply', () => {
    for (const sql of [
      "set work_mem = '64MB'",
      "select set_config('work_mem', '1MB', true)",
      'copy t to stdout',
      'create temp table x (id int) on commit drop',
      'reindex schema s',
      'reindex table t',
      'select * from s.pg_stats',
      'select now()',
      'begin; commit',
      'explain select 1',
      'listen x; notify x',
      'create sequence q increment 2 start 5',
    ]) {
      expect(refused(sql), sql).toBeUndefined();
    }
    expect(refused("do $$ begin end $$; select dblink('x', 'y')")).toBe('DoStmt statements are not checked');
    expect(refused("select dblink('x', 'y'); do $$ begin end $$")).toBe('dblink() runs SQL or reads objects named in text');
    expect(readStatement('select from')).toEqual({ relations: [], schemas: [], parameters: [], refused: expect.any(String) });
  });
});

describe('readStatement: parameters', () => {
  it('lists the $n PostgreSQL reads as parameters, once each, not those in literals or comments', () => {
    expect(readStatement(`select $1, $2, $1, '$3' /* $4 */ from t where x = $5`).parameters).toEqual([1, 2, 5]);
    expect(readStatement('select 1').parameters).toEqual([]);
  });
});

describe('readStatement: several statements and deep nesting', () => {
  it('refuses a statement nested deeper than the walk can go, never throwing', () => {
    // PostgreSQL runs 600 nested subqueries (test/sql-check-redteam.e2e-spec.ts, F9)
    const depth = 600;
    const sql = `select ${'(select '.repeat(depth)}count(*) from acme.project${')'.repeat(depth)} as n`;
    expect(readStatement(sql)).toEqual({
      relations: [],
      schemas: [],
      parameters: [],
      refused: 'it is nested too deeply to be read (Maximum call stack size exceeded)',
    });
  });

  it('reads every statement of a batch', () => {
    expect(readStatement('select * from a; delete from s.b; create schema c')).toMatchObject({
      relations: [{ name: 'a' }, { schema: 's', name: 'b' }],
      schemas: ['c'],
      refused: undefined,
    });
    expect(refused('')).toBe("PostgreSQL's parser cannot read it (Query cannot be empty)");
    expect(readStatement(';')).toEqual({ relations: [], schemas: [], parameters: [], refused: undefined });
  });
});

// Each entry of the reader's lists, one case each: dropping one from its list is a hole in the check
// (these are module constants, which Stryker's runs cannot mutate reliably: scripts/mutate-static.mjs).
describe('readStatement: every entry of its lists', () => {
  it.each([
    ['SelectStmt', 'select 1'],
    ['InsertStmt', 'insert into t values (1)'],
    ['UpdateStmt', 'update t set a = 1'],
    ['DeleteStmt', 'delete from t'],
    ['MergeStmt', 'merge into t using u on true when matched then delete'],
    ['TruncateStmt', 'truncate t'],
    ['LockStmt', 'lock table t'],
    ['CopyStmt', 'copy t to stdout'],
    ['ExplainStmt', 'explain select 1'],
    ['TransactionStmt', 'begin'],
    ['VariableSetStmt', "set work_mem = '64MB'"],
    ['VariableShowStmt', 'show work_mem'],
    ['CreateStmt', 'create table t (id int)'],
    ['CreateTableAsStmt', 'create table t as select 1'],
    ['ViewStmt', 'create view v as select 1'],
    ['IndexStmt', 'create index i on t (a)'],
    ['AlterTableStmt', 'alter table t add column b int'],
    ['DropStmt', 'drop table t'],
    ['CommentStmt', "comment on table t is 'x'"],
    ['RenameStmt', 'alter table t rename to u'],
    ['AlterObjectSchemaStmt', 'alter table t set schema s'],
    ['GrantStmt', 'grant select on t to r'],
    ['CreateSeqStmt', 'create sequence q'],
    ['AlterSeqStmt', 'alter sequence q restart'],
    ['VacuumStmt', 'vacuum t'],
    ['ClusterStmt', 'cluster t using i'],
    ['ReindexStmt', 'reindex table t'],
    ['RefreshMatViewStmt', 'refresh materialized view m'],
    ['CreateSchemaStmt', 'create schema s'],
    ['CreateTrigStmt', 'create trigger tr before update on t for each row execute function f()'],
    ['RuleStmt', 'create rule r as on insert to t do instead nothing'],
    ['CreatePolicyStmt', 'create policy p on t using (true)'],
    ['AlterPolicyStmt', 'alter policy p on t using (false)'],
    ['DeclareCursorStmt', 'declare c cursor for select 1'],
    ['FetchStmt', 'fetch next from c'],
    ['ClosePortalStmt', 'close c'],
    ['ListenStmt', 'listen x'],
    ['UnlistenStmt', 'unlisten x'],
    ['NotifyStmt', 'notify x'],
    ['CallStmt', 'call p()'],
  ])('reads a %s fully: %s', (kind, sql) => {
    expect(Object.keys(parseSync(sql).stmts?.[0]?.stmt ?? {})).toEqual([kind]);
    expect(refused(sql)).toBeUndefined();
  });

  it.each([
    'query_to_xml',
    'query_to_xml_and_xmlschema',
    'query_to_xmlschema',
    'table_to_xml',
    'table_to_xml_and_xmlschema',
    'table_to_xmlschema',
    'schema_to_xml',
    'schema_to_xml_and_xmlschema',
    'schema_to_xmlschema',
    'database_to_xml',
    'database_to_xml_and_xmlschema',
    'database_to_xmlschema',
    'cursor_to_xml',
    'ts_stat',
    'ts_rewrite',
    'dblink',
    'dblink_exec',
    'dblink_open',
    'dblink_send_query',
    'lo_import',
    'lo_export',
    'pg_read_file',
    'pg_read_binary_file',
    'pg_ls_dir',
  ])('refuses %s(), which runs SQL or reads what text names', (name) => {
    expect(refused(`select ${name}('x')`)).toBe(`${name}() runs SQL or reads objects named in text`);
  });

  it.each(['standard_conforming_strings', 'backslash_quote', 'escape_string_warning', 'client_encoding', 'search_path'])(
    'refuses SET %s',
    (name) => {
      expect(refused(`set ${name} to 'x'`)).toBe(`SET ${name} changes how SQL is read or where unqualified names go`);
    },
  );

  it.each([
    'pg_stats',
    'pg_stats_ext',
    'pg_stats_ext_exprs',
    'pg_statistic',
    'pg_statistic_ext_data',
    'pg_stat_activity',
    'pg_stat_statements',
    'pg_largeobject',
  ])("refuses %s, which shows other tenants' data", (name) => {
    expect(refused(`select * from ${name}`)).toBe(`${name} shows other tenants' data`);
  });

  it.each(['pg_stat_get_activity', 'pg_stat_statements'])("refuses %s(), which shows other tenants' data", (name) => {
    expect(refused(`select * from ${name}(null)`)).toBe(`${name}() shows other tenants' data`);
  });

  it.each(['table', 'view', 'materialized view', 'index', 'sequence', 'foreign table'])('reads DROP %s as a relation', (type) => {
    expect(readStatement(`drop ${type} s.x`)).toEqual({
      relations: [{ schema: 's', name: 'x' }],
      schemas: [],
      parameters: [],
      refused: undefined,
    });
  });

  it.each(['column s.t.c', 'trigger c on s.t', 'rule c on s.t', 'policy c on s.t', 'constraint c on s.t'])(
    'reads COMMENT ON %s as an object of the relation s.t',
    (object) => {
      expect(readStatement(`comment on ${object} is null`)).toEqual({
        relations: [{ schema: 's', name: 't' }],
        schemas: [],
        parameters: [],
        refused: undefined,
      });
    },
  );
});

// Found by a red-team pass (session 8): each named an object in another schema through a field the
// reader did not read, and reached it on PostgreSQL (test/sql-check-redteam.e2e-spec.ts, F11).
describe('readStatement: objects named outside relation lists', () => {
  it('reads relations named in text by sequence and size functions, and refuses them with a name it cannot read', () => {
    expect(relations(`select nextval('b.project_id_seq'), setval('"B".s', 1, false), currval('q')`)).toEqual([
      { schema: 'b', name: 'project_id_seq' },
      { schema: 'B', name: 's' },
      { name: 'q' },
    ]);
    expect(relations(`select pg_sequence_last_value('b.s'), pg_relation_size('b.t'), get_raw_page('b.t', 0)`)).toEqual([
      { schema: 'b', name: 's' },
      { schema: 'b', name: 't' },
      { schema: 'b', name: 't' },
    ]);
    expect(relations(`alter table a.t alter column id set default nextval('b.s')`)).toEqual([
      { schema: 'a', name: 't' },
      { schema: 'b', name: 's' },
    ]);
    expect(refused(`select nextval(c.oid) from pg_class c`)).toBe(
      'nextval() of a relation the check cannot read (not a constant name)',
    );
    expect(refused(`select setval($1, 1)`)).toBe('setval() of a relation the check cannot read (not a constant name)');
  });

  it('reads the schema of operators, collations, operator classes and sampling methods', () => {
    expect(schemas('select 1 operator(b.|||) 2')).toEqual(['b']);
    expect(schemas('select 1 operator(b.===) any (array[1])')).toEqual(['b']);
    expect(schemas('select 1 from t where 1 operator(b.=) any (select 1)')).toEqual(['b']);
    expect(schemas('select x from t order by x using operator(b.<)')).toEqual(['b']);
    expect(schemas('select 1 + 2, 1 = any (array[1])')).toEqual([]);
    expect(schemas('create table a.t (c text collate b.c)')).toEqual(['b']);
    expect(schemas('select name collate b.c from a.t')).toEqual(['b']);
    expect(schemas('create index on a.t (name collate "C")')).toEqual([]);
    expect(schemas('create index on a.t (name collate b.c b.ops)')).toEqual(['b', 'b']);
    expect(schemas('create table a.t (c int) partition by range (c b.ops)')).toEqual(['pg_catalog', 'b']);
    expect(schemas('select * from a.t tablesample b.m (1)')).toEqual(['b']);
    expect(schemas('create table a.t (c int, exclude using gist (c with operator(b.===)))')).toEqual(['pg_catalog', 'b']);
    expect(schemas('create table a.t (c int, exclude using gist (c with =))')).toEqual(['pg_catalog']);
  });

  it('refuses a temporary relation made by naming pg_temp, as with TEMP', () => {
    const reason = 'a temporary relation outlives the transaction on a pooled connection (use ON COMMIT DROP)';
    for (const sql of [
      'create table pg_temp.tenant (like public.tenant)',
      'create view pg_temp.v as select 1',
      'create sequence pg_temp.s',
      'create table pg_temp_3.x as select 1',
      'select 1 into pg_temp.y',
    ]) {
      expect(refused(sql), sql).toBe(reason);
    }
    expect(refused('create table pg_temp.x (id int) on commit drop')).toBeUndefined();
    expect(refused('create table pg_temporary.x (id int)')).toBeUndefined();
    expect(refused('create table my_pg_temp.x (id int)')).toBeUndefined();
    expect(refused('create table pg_temp_12.x (id int)')).toBe(reason);
  });

  it('refuses what reaches every tenant: CASCADE, a bare VACUUM, ANALYZE or CLUSTER, other sessions, large objects', () => {
    const cascade = "CASCADE reaches objects the statement does not name (other tenants' tables referencing it)";
    expect(refused('truncate public.tenant cascade')).toBe(cascade);
    expect(refused('drop table public.tenant cascade')).toBe(cascade);
    expect(refused('alter table public.tenant drop column id cascade')).toBe(cascade);
    expect(refused('truncate a.t; drop table a.t restrict')).toBeUndefined();
    expect(refused('vacuum full')).toBe('VACUUM or ANALYZE of the whole database reaches every tenant');
    expect(refused('analyze')).toBe('VACUUM or ANALYZE of the whole database reaches every tenant');
    expect(refused('vacuum (analyze) a.t')).toBeUndefined();
    expect(refused('cluster')).toBe('CLUSTER of the whole database reaches every tenant');
    expect(refused('cluster a.t using i')).toBeUndefined();
    expect(refused('select pg_terminate_backend(pid) from x')).toBe("pg_terminate_backend() reaches other tenants' sessions");
    expect(refused('select pg_cancel_backend(1)')).toBe("pg_cancel_backend() reaches other tenants' sessions");
    for (const name of ['pg_stat_get_backend_activity', 'lo_get', 'lo_open', 'loread', 'lo_put', 'lo_unlink']) {
      expect(refused(`select ${name}(1)`)).toBe(`${name}() shows other tenants' data`);
    }
    for (const name of ['crosstab', 'crosstab2', 'crosstab3', 'crosstab4', 'connectby']) {
      expect(refused(`select * from ${name}('x')`)).toBe(`${name}() runs SQL or reads objects named in text`);
    }
  });
});
