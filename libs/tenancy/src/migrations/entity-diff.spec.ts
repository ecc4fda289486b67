import { describe, expect, it } from 'vitest';
import { splitStatements, withoutStraySeparators } from './entity-diff.js';

// How the entity diff cuts MikroORM's comparator output into the statements a migration holds (the
// e2e tests in test/entity-diff.e2e-spec.ts check whole diffs against PostgreSQL).

describe('splitStatements', () => {
  it('cuts at ";" + newline, keeps a blank line between groups as "", and none at either end', () => {
    const sql = '\n\ncreate table "a" ("id" int);\n\nalter table "b" add "c" int;\ndrop index "d";\n\n';
    expect(splitStatements(sql)).toEqual(['create table "a" ("id" int);', '', 'alter table "b" add "c" int;', 'drop index "d";']);
  });

  it('does not cut inside a string literal, even at ";" + newline', () => {
    const sql = `alter table "p" add "m" varchar(255) not null default 'a;\nb';\ncreate table "n" ("id" int);\n`;
    expect(splitStatements(sql)).toEqual([
      `alter table "p" add "m" varchar(255) not null default 'a;\nb';`,
      'create table "n" ("id" int);',
    ]);
  });

  it('ends every statement with ";", adding it to a last statement without one', () => {
    expect(splitStatements('create table "a" ("id" int);\nselect 1')).toEqual(['create table "a" ("id" int);', 'select 1;']);
  });

  it('returns nothing for nothing', () => {
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('\n\n')).toEqual([]);
  });
});

describe('withoutStraySeparators', () => {
  it('drops "" at either end and where two meet, keeps one between statements', () => {
    expect(withoutStraySeparators(['', '', 'a;', '', '', 'b;', '', 'c;', '', ''])).toEqual(['a;', '', 'b;', '', 'c;']);
    expect(withoutStraySeparators(['', ''])).toEqual([]);
    expect(withoutStraySeparators(['a;'])).toEqual(['a;']);
  });
});
