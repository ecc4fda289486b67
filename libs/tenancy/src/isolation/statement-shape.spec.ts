import { raw } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';
import { describe, expect, it } from 'vitest';
import { isPlainStatement, statementShape } from './statement-shape.js';

// The statement the SQL check reads, as MikroORM's PostgreSQL platform formats it (no database
// involved: formatting is MikroORM's, pure text).
const platform = new PostgreSqlPlatform();

describe('statementShape', () => {
  it('leaves inert values as $n placeholders, numbered by their position', () => {
    const sql =
      'select * from "acme"."task" where a = ? and b = ? and c = ? and d = ? and e = ? and f = ? and g = ? and h in (?)';
    const params = ['x', 1, 10n, true, null, new Date(0), Buffer.from('ab'), ['a', 'b']];
    expect(statementShape(platform, sql, params)).toEqual({
      text: 'select * from "acme"."task" where a = $1 and b = $2 and c = $3 and d = $4 and e = $5 and f = $6 and g = $7 and h in ($8)',
      placeholders: [1, 2, 3, 4, 5, 6, 7, 8],
    });
    expect(statementShape(platform, 'select ?', [undefined])).toEqual({ text: 'select $1', placeholders: [1] });
  });

  it('inlines ?? identifiers, raw fragments and empty lists as MikroORM does, keeping the other values numbered', () => {
    expect(
      statementShape(platform, 'select * from ?? where a = ? and b in (?) and c = ?', ['acme.project', raw('now()'), [], 'x']),
    ).toEqual({
      text: 'select * from "acme"."project" where a = now() and b in () and c = $4',
      placeholders: [4],
    });
    expect(statementShape(platform, '?? , ?', ['t', 'x'])).toEqual({ text: '"t" , $2', placeholders: [2] });
    expect(statementShape(platform, 'select ?, ??, ?? from t where a = ?', ['v', 'a', 'b', 'w'])).toEqual({
      text: 'select $1, "a", "b" from t where a = $4',
      placeholders: [1, 4],
    });
  });

  it('inlines lists of lists and objects (MikroORM quotes them; they are not kept as values)', () => {
    expect(statementShape(platform, 'select ? as a', [[['a']]])).toEqual({ text: "select 'a' as a", placeholders: [] });
    expect(statementShape(platform, 'select ? as c', [{ a: 1 }])).toEqual({ text: `select '{"a":1}' as c`, placeholders: [] });
  });

  it('does not count an escaped \\? when numbering the ?? identifiers', () => {
    expect(statementShape(platform, "select '\\?' as q, ?? from t where a = ?", ['col', 'x'])).toEqual({
      text: `select '?' as q, "col" from t where a = $2`,
      placeholders: [2],
    });
  });
});

describe('isPlainStatement', () => {
  it('is true when every value is inert and no ?? identifier is used', () => {
    expect(isPlainStatement('select ?, ?, ?', ['x', 1, ['a']])).toBe(true);
    expect(isPlainStatement('select 1', [])).toBe(true);
  });

  it('is false with a ?? identifier, a raw fragment, an empty list, a list of lists or an object', () => {
    expect(isPlainStatement('select * from ??', ['t'])).toBe(false);
    expect(isPlainStatement('select ?', [raw('now()')])).toBe(false);
    expect(isPlainStatement('select ?', [[]])).toBe(false);
    expect(isPlainStatement('select ?', [[['a']]])).toBe(false);
    // one value in a list that is not inert makes the list not plain
    expect(isPlainStatement('select ?', [['a', raw('now()')]])).toBe(false);
    expect(isPlainStatement('select ?', [['a', { a: 1 }]])).toBe(false);
    expect(isPlainStatement('select ?', [{ a: 1 }])).toBe(false);
  });
});
