import { describe, expect, it } from 'vitest';
import { readRestoreScript, stepStatements } from './tenant-archive.js';

// pg_restore's SQL for one schema, read into steps (pure text; the round trip through pg_dump and
// pg_restore is test/provisioning-archive.e2e-spec.ts)

const script = (schema: string, copy: string[]) =>
  [
    '--',
    '-- PostgreSQL database dump',
    '--',
    'SET statement_timeout = 0;',
    "SELECT pg_catalog.set_config('search_path', '', false);",
    '\\connect - postgres',
    `CREATE SCHEMA ${schema};`,
    `CREATE TABLE ${schema}.project (id integer NOT NULL, name text);`,
    `CREATE TABLE ${schema}.mikro_orm_migrations (id integer NOT NULL, name character varying(255), executed_at timestamp with time zone);`,
    `COPY ${schema}.project (id, name) FROM stdin;`,
    ...copy,
    '\\.',
    `COPY ${schema}.mikro_orm_migrations (id, name, executed_at) FROM stdin;`,
    '1\tMigration20261126182507_initial.ts\t2026-01-01 00:00:00+00',
    '2\tMigration20261127000000_next\t2026-01-02 00:00:00+00',
    '\\.',
    `ALTER TABLE ONLY ${schema}.project ADD CONSTRAINT project_pkey PRIMARY KEY (id);`,
    '',
  ].join('\n');

describe('readRestoreScript', () => {
  it('renames the schema in DDL and data targets, drops session settings and meta-commands, reads the migration names', () => {
    const restore = readRestoreScript(script('acme', ['1\tacme.project', '2\t\\N']), 'copy_1', 'mikro_orm_migrations');
    expect(restore.schema).toBe('acme');
    expect(restore.migrations).toEqual(['Migration20261126182507_initial', 'Migration20261127000000_next']);
    expect(restore.steps).toEqual([
      { sql: 'set local check_function_bodies = false' },
      {
        sql: [
          'CREATE SCHEMA "copy_1";',
          'CREATE TABLE "copy_1".project (id integer NOT NULL, name text);',
          'CREATE TABLE "copy_1".mikro_orm_migrations (id integer NOT NULL, name character varying(255), executed_at timestamp with time zone);',
        ].join('\n'),
      },
      // data is never rewritten: "acme.project" stays as it was
      {
        table: '"copy_1".project',
        columns: 'id, name',
        rows: [
          ['1', 'acme.project'],
          ['2', null],
        ],
      },
      {
        table: '"copy_1".mikro_orm_migrations',
        columns: 'id, name, executed_at',
        rows: [
          ['1', 'Migration20261126182507_initial.ts', '2026-01-01 00:00:00+00'],
          ['2', 'Migration20261127000000_next', '2026-01-02 00:00:00+00'],
        ],
      },
      { sql: 'ALTER TABLE ONLY "copy_1".project ADD CONSTRAINT project_pkey PRIMARY KEY (id);' },
      { sql: 'set local search_path to default' },
    ]);
  });

  it('reads a quoted schema name, and leaves names that only contain it alone', () => {
    const restore = readRestoreScript(
      [
        'CREATE SCHEMA "we""ird";',
        'CREATE TABLE "we""ird".t (id int);',
        'CREATE VIEW "we""ird".v AS SELECT 1 AS "we""ird", x."we""ird".y;',
        '',
      ].join('\n'),
      'target',
      'mikro_orm_migrations',
    );
    expect(restore.schema).toBe('we"ird');
    expect(restore.steps[1]).toEqual({
      sql: 'CREATE SCHEMA "target";\nCREATE TABLE "target".t (id int);\nCREATE VIEW "target".v AS SELECT 1 AS "we""ird", x."we""ird".y;',
    });
    expect(
      readRestoreScript('CREATE SCHEMA acme;\nCREATE TABLE acme.t (x int);\nSELECT my_acme.f(), acme2.g;', 't', 'm').steps[1],
    ).toEqual({
      sql: 'CREATE SCHEMA "t";\nCREATE TABLE "t".t (x int);\nSELECT my_acme.f(), acme2.g;',
    });
  });

  it('decodes the COPY text format: \\N, backslash escapes, octal and hex', () => {
    const row = '\\N\tta\\tb\\nc\\\\d\\r\\b\\f\\v\t\\101\\x41\\x4a1\\7\\q\tplain';
    const restore = readRestoreScript(script('acme', [row]), 't', 'mikro_orm_migrations');
    expect(restore.steps[2]).toMatchObject({ rows: [[null, 'ta\tb\nc\\d\r\b\f\v', 'AAJ1\u0007q', 'plain']] });
  });

  it('reads the migrations of a quoted migrations table name too', () => {
    const text = script('acme', []).replaceAll('acme.mikro_orm_migrations', 'acme."Migrations"');
    expect(readRestoreScript(text, 't', 'Migrations').migrations).toEqual([
      'Migration20261126182507_initial',
      'Migration20261127000000_next',
    ]);
    expect(readRestoreScript(text, 't', 'other').migrations).toEqual([]);
  });

  it('refuses a script that creates no schema', () => {
    expect(() => readRestoreScript('CREATE TABLE public.t (id int);\n', 't', 'm')).toThrow(
      'The file is not a tenant export: it creates no schema.',
    );
    expect(() => readRestoreScript('CREATE SCHEMA Acme;\n', 't', 'm')).toThrow(/creates no schema/);
  });
});

describe('stepStatements', () => {
  it('runs SQL as it is, and data as inserts of up to 500 rows, quoting values and nulls', () => {
    expect(stepStatements({ sql: 'select 1' })).toEqual(['select 1']);
    const rows = Array.from({ length: 1001 }, (_, i) => [String(i), i === 1000 ? null : `it's ${i}`]);
    const statements = stepStatements({ table: '"t".p', columns: 'id, name', rows });
    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatch(/^insert into "t".p \(id, name\) overriding system value values \('0', 'it''s 0'\), \('1', /);
    expect(statements[0].match(/\('/g)).toHaveLength(500);
    expect(statements[1]).toMatch(/values \('500', 'it''s 500'\),/);
    expect(statements[2]).toBe(`insert into "t".p (id, name) overriding system value values ('1000', NULL)`);
    expect(stepStatements({ table: '"t".p', columns: 'id', rows: [] })).toEqual([]);
  });
});
