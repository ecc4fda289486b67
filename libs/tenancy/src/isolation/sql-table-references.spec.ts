import { describe, expect, it } from 'vitest';
import { sqlTableReferences } from './sql-table-references.js';

const tables = (sql: string) => sqlTableReferences(sql).map(({ schema, table }) => (schema ? `${schema}.${table}` : table));

describe('sqlTableReferences', () => {
  it.each([
    ['select * from project', ['project']],
    ['select * from a join b on true', ['a', 'b']],
    ['insert into project (name) values ($1)', ['project']],
    ['update project set name = 1', ['project']],
    ['lock table project', ['project']],
    ['delete from a using b where true', ['a', 'b']],
    ['truncate project', ['project']],
    ['copy project to stdout', ['project']],
    ['create table x (id int references project (id))', ['x', 'project']],
  ])('reads the table after each table keyword: %s', (sql, expected) => {
    expect(tables(sql)).toEqual(expected);
  });

  it('gives the schema of a qualified name, the last two parts of a three-part one', () => {
    expect(sqlTableReferences('select * from "acme"."project"')).toEqual([{ schema: 'acme', table: 'project' }]);
    expect(sqlTableReferences('select * from db.public.project')).toEqual([{ schema: 'public', table: 'project' }]);
    expect(sqlTableReferences('select * from project')).toEqual([{ table: 'project' }]);
    expect(tables('select * from acme . project')).toEqual(['acme.project']);
  });

  it('reads unquoted names lower-cased and quoted names as written, "" being a quote', () => {
    expect(tables('SELECT * FROM Acme.PROJECT')).toEqual(['acme.project']);
    expect(tables('select * from "Acme"."Pro""ject"')).toEqual(['Acme.Pro"ject']);
    expect(tables('select * from "unterminated')).toEqual(['unterminated']);
    expect(tables('select * from prøject, café')).toEqual(['prøject', 'café']);
    expect(tables('select * from a$b')).toEqual(['a$b']);
  });

  it('skips the words that may stand before a table name', () => {
    expect(tables('select * from only project')).toEqual(['project']);
    expect(tables('drop table if exists project')).toEqual(['project']);
    expect(tables('create table if not exists project (id int)')).toEqual(['project']);
  });

  it('takes name( after from, join and using as a function call, elsewhere as a table with columns', () => {
    expect(tables('select * from generate_series(1, 3) as g')).toEqual([]);
    expect(tables('select * from a join unnest(x) u on true')).toEqual(['a']);
    expect(tables('delete from a using f(1) where true')).toEqual(['a']);
    expect(tables('insert into project(name) values (1)')).toEqual(['project']);
    expect(tables('copy project(name) to stdout')).toEqual(['project']);
    expect(tables('select * from (select 1) x')).toEqual([]);
    expect(tables('select * from')).toEqual([]);
  });

  it('follows comma-separated lists after from, using, truncate and table, with or without aliases', () => {
    expect(tables('select * from a, b')).toEqual(['a', 'b']);
    expect(tables('select * from a x, b as y, c')).toEqual(['a', 'b', 'c']);
    expect(tables('delete from a using b, c')).toEqual(['a', 'b', 'c']);
    expect(tables('truncate a, b')).toEqual(['a', 'b']);
    expect(tables('lock table a, b')).toEqual(['a', 'b']);
  });

  it('reads no table in a list after into, update, join or copy', () => {
    expect(tables('insert into a values (1), (2)')).toEqual(['a']);
    expect(tables('update a set x = 1, y = 2')).toEqual(['a']);
    expect(tables('copy a to stdout with (format csv)')).toEqual(['a']);
  });

  it('does not take a keyword after a table for its alias', () => {
    expect(tables('select * from a where x in (1, 2)')).toEqual(['a']);
    expect(tables('select * from a as x where true')).toEqual(['a']);
  });

  it('ignores comments: line, block, nested block, and unterminated ones', () => {
    expect(tables('select 1 -- from project\nfrom task')).toEqual(['task']);
    expect(tables('select 1 from task -- from project')).toEqual(['task']);
    expect(tables('select 1 /* from a /* from b */ from c */ from task')).toEqual(['task']);
    expect(tables('select 1 from task /* from project')).toEqual(['task']);
    expect(tables('select 2 - 1 from task')).toEqual(['task']);
    expect(tables('select 2 / 1 from task')).toEqual(['task']);
    expect(tables('select 1 from task /* a * / b */')).toEqual(['task']);
  });

  it('ignores string literals: doubled quotes, E-strings with backslash escapes, unterminated ones', () => {
    expect(tables("select 'from project' from task")).toEqual(['task']);
    expect(tables("select 'it''s from project' from task")).toEqual(['task']);
    expect(tables("select e'\\' from project' from task")).toEqual(['task']);
    expect(tables("select E'\\\\' from task")).toEqual(['task']);
    expect(tables("select E'a\\'' from task")).toEqual(['task']);
    // a standard string ends at the first quote: the backslash is a plain character
    expect(tables("select 'a\\' from task")).toEqual(['task']);
    // "e" ending an identifier does not make an E-string
    expect(tables("select namee'\\' from task")).toEqual(['task']);
    expect(tables("select 1 from task where x = 'from project")).toEqual(['task']);
  });

  it('ignores dollar-quoted strings, tagged or not, and reads $1 as a parameter', () => {
    expect(tables('select $$ from project $$ from task')).toEqual(['task']);
    expect(tables('select $body$ from project $$ from project $body$ from task')).toEqual(['task']);
    expect(tables('select $_1$ from project $_1$ from task')).toEqual(['task']);
    expect(tables('select * from task where id = $1 union select * from project')).toEqual(['task', 'project']);
    expect(tables('select $a from task')).toEqual(['task']);
    expect(tables('select 1 from task where x = $$ from project')).toEqual(['task']);
  });

  it('separates statements and words at punctuation', () => {
    expect(tables('select * from a;select * from b')).toEqual(['a', 'b']);
    expect(tables('select * from"a"join"b"on true')).toEqual(['a', 'b']);
    expect(tables('select * from a\tjoin\nb on true')).toEqual(['a', 'b']);
  });
});

describe('sqlTableReferences on FROM lists', () => {
  it.each([
    ['select * from (select 1) x, project', ['project']],
    ['select * from generate_series(1, 3) g, "globex"."project"', ['globex.project']],
    ['select * from a join b on true, c', ['a', 'b', 'c']],
    ['select * from a cross join b, c natural join d', ['a', 'b', 'c', 'd']],
    ['select * from a, lateral (select 1) l, project', ['a', 'project']],
    ['select * from (values (1), (2)) v (x), project', ['project']],
    ['select * from a join b using (id, k), c', ['a', 'b', 'c']],
    ['delete from a using f(1) x, b where true', ['a', 'b']],
    ['select * from a where exists (select 1 from b, c), d', ['a', 'b', 'c']],
    ['select * from (select * from a, b) s, c', ['a', 'b', 'c']],
  ])('reads every item after a sub-query, a function call or a join: %s', (sql, expected) => {
    expect(tables(sql)).toEqual(expected);
  });

  it.each([
    ['select a, b from t', ['t']],
    ['select * from t where x in (1, 2) or y = 1, z', ['t']],
    ['select * from t group by a, b', ['t']],
    ['select * from t order by a, b', ['t']],
    ['select x from t union select y, z from u', ['t', 'u']],
    ['update t set a = 1, b = 2 from u, v where true', ['t', 'u', 'v']],
    ['with x as (select * from a), y as (select 1) select * from x', ['a', 'x']],
    ['select * from a; select b, c', ['a']],
    ['select * from t window w as (order by a), v as (order by b)', ['t']],
    ['select * from t limit 1 offset 2, 3', ['t']],
    ['select * from t having true, u', ['t']],
    ['select * from t except select a, b', ['t']],
    ['select * from t intersect select a, b', ['t']],
    ['select * from t fetch first 1 rows only, u', ['t']],
    ['delete from t returning a, b', ['t']],
    ['insert into t (a, b) values (1, 2), (3, 4)', ['t']],
    ['select * from t where a = any(array[b, c])', ['t']],
    ['select * from (select 1)) x, y', ['y']],
  ])('reads no item where the FROM list has ended or not begun: %s', (sql, expected) => {
    expect(tables(sql)).toEqual(expected);
  });

  it('reads no column list of for update of and do update set as tables', () => {
    // `update` is a table keyword: it reads the next word ("of", "set") as a table, but no further
    expect(tables('select * from t for update of a, b')).not.toEqual(expect.arrayContaining(['a']));
    expect(tables('select * from t for update of a, b')).not.toEqual(expect.arrayContaining(['b']));
    const upsert = tables('insert into t select * from u on conflict (id) do update set a = 1, b = 2');
    expect(upsert).toEqual(expect.arrayContaining(['t', 'u']));
    expect(upsert).not.toEqual(expect.arrayContaining(['a']));
    expect(upsert).not.toEqual(expect.arrayContaining(['b']));
  });
});

describe('sqlTableReferences edge cases', () => {
  it('gives no schema key to an unqualified name', () => {
    expect(sqlTableReferences('select * from project')).toStrictEqual([{ table: 'project' }]);
  });

  it('keeps the FROM list of each parenthesis depth, also two levels down', () => {
    expect(tables('select * from a where x in (select 1 from (select 2) y, c)')).toEqual(['a', 'c']);
    expect(tables('select * from a, generate_series(1, 2) g')).toEqual(['a']);
  });

  it('ends every FROM list at a semicolon', () => {
    expect(tables('select * from a; with x as (select 1), y as (select 2) select 1')).toEqual(['a']);
  });

  it('reads a quoted keyword as a name', () => {
    expect(tables('select * from "from" x')).toEqual(['from']);
  });

  it('ends a block comment only at */ and nests only at /*', () => {
    expect(tables('select 1 /* a / b */ from task')).toEqual(['task']);
    expect(tables('select 1 /* x /from project */ from task')).toEqual(['task']);
    expect(tables('select 1 /* a * from project */ from task')).toEqual(['task']);
  });

  it("continues an E-string past '' and an escaped quote", () => {
    expect(tables("select E'x'' \\' from project' from task")).toEqual(['task']);
  });

  it('opens a dollar quote only with a whole $tag$ at the start of the text or after a non-word character', () => {
    expect(tables('$q$ from project $q$ select 1 from task')).toEqual(['task']);
    expect(tables('select $a from project $b$ x $b$ from task')).toEqual(['project', 'task']);
  });
});
