import type { INestApplicationContext } from '@nestjs/common';
import { sql } from './test-app.js';

/**
 * Everything PostgreSQL knows about a schema's tables (columns, types, defaults, constraints,
 * indexes) and its migration rows, with the schema's name replaced by S: two schemas built the
 * same way give equal lists.
 */
export async function schemaCatalog(app: Pick<INestApplicationContext, 'get'>, schema: string): Promise<string[]> {
  const queries = [
    `select c.relname::text || ' ' || c.relkind::text || ' ' || coalesce(a.attname::text, '') || ' ' || coalesce(format_type(a.atttypid, a.atttypmod), '')
       || ' ' || coalesce(a.attnotnull::text, '') || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') as line
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
       left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
       left join pg_attrdef d on d.adrelid = c.oid and d.adnum = a.attnum
       where n.nspname = ?`,
    `select conname::text || ' ' || pg_get_constraintdef(oid) as line from pg_constraint where connamespace = ?::regnamespace`,
    `select indexname || ' ' || indexdef as line from pg_indexes where schemaname = ?`,
  ];
  const lines: string[] = [];
  for (const query of queries) {
    const rows = await sql<{ line: string }>(app, query, [schema]);
    lines.push(...rows.map((row) => row.line.replaceAll(schema, 'S')));
  }
  const migrations = await sql<{ name: string }>(app, `select name from "${schema}".mikro_orm_migrations order by id`);
  return [...lines.sort(), ...migrations.map((row) => `migration ${row.name}`)];
}
