import { isRaw, type Platform, raw } from '@mikro-orm/core';

/**
 * A statement as MikroORM will send it to PostgreSQL (it inlines parameters itself, with
 * `Platform.formatQuery`), except that plain values stay `$n` placeholders: raw fragments, `sql`
 * templates and `??` identifiers are SQL and are inlined, values never are. The SQL check reads
 * this text: what reaches the server, with one shape per query however its values vary (so its
 * reading can be cached).
 */
export function statementShape(platform: Platform, sql: string, params: readonly unknown[]): string {
  let next = 0;
  const shaped = params.map((value, index) => (carriesSql(value) ? value : raw(`$${index + 1}`)));
  // `??` takes an identifier: kept as given (a raw fragment there is SQL as well)
  const identifiers = new Set<number>();
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === '?' && sql[i - 1] !== '\\') {
      if (sql[i + 1] === '?') {
        identifiers.add(next);
        i++;
      }
      next++;
    }
  }
  return platform.formatQuery(
    sql,
    shaped.map((value, index) => (identifiers.has(index) ? params[index] : value)),
  );
}

/** Whether a parameter value is (or holds) SQL that MikroORM inlines as such. */
function carriesSql(value: unknown, depth = 0): boolean {
  if (isRaw(value)) {
    return true;
  }
  if (depth < 3 && Array.isArray(value)) {
    return value.some((item) => carriesSql(item, depth + 1));
  }
  return false;
}
