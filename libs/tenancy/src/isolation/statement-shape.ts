import { isRaw, type Platform, raw } from '@mikro-orm/core';

/** A statement's shape: its text as the SQL check reads it, and the `$n` standing for values. */
export interface StatementShape {
  text: string;
  /** Numbers of the `$n` placeholders that stand for values (each must be read as a parameter). */
  placeholders: number[];
}

/**
 * A statement as MikroORM will send it to PostgreSQL (it inlines parameters itself, with
 * `Platform.formatQuery`), except that inert values (strings, numbers, booleans, dates, buffers
 * and non-empty lists of them, which MikroORM quotes as literals) stay `$n` placeholders. Anything
 * else is inlined exactly as MikroORM will: raw fragments, `sql` templates, `??` identifiers, empty
 * lists, objects. The check reads this text: what reaches the server, with one shape per query
 * however its values vary (so its reading can be cached).
 */
export function statementShape(platform: Platform, sql: string, params: readonly unknown[]): StatementShape {
  const identifiers = identifierPositions(sql);
  const placeholders: number[] = [];
  const shaped = params.map((value, index) => {
    if (identifiers.has(index) || !isInert(value)) {
      return value;
    }
    placeholders.push(index + 1);
    return raw(`$${index + 1}`);
  });
  return { text: platform.formatQuery(sql, shaped), placeholders };
}

/**
 * Whether the statement's shape follows from its text alone (every value inert, no `??`
 * identifier): then the text is enough to key the check's cache.
 */
export function isPlainStatement(sql: string, params: readonly unknown[]): boolean {
  return !sql.includes('??') && params.every((value) => isInert(value));
}

/** Positions (in `params`) of the `??` identifiers, counted the way `Platform.formatQuery` counts. */
function identifierPositions(sql: string): Set<number> {
  const identifiers = new Set<number>();
  let next = 0;
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === '?' && sql[i - 1] !== '\\') {
      if (sql[i + 1] === '?') {
        identifiers.add(next);
        i++;
      }
      next++;
    }
  }
  return identifiers;
}

/** A value MikroORM inlines as a quoted literal (or a list of them), never as SQL. */
function isInert(value: unknown, nested = false): boolean {
  if (value === null || value === undefined || ['string', 'number', 'bigint', 'boolean'].includes(typeof value)) {
    return true;
  }
  if (value instanceof Date || value instanceof Uint8Array) {
    return !isRaw(value);
  }
  if (!nested && Array.isArray(value)) {
    return value.length > 0 && value.every((item) => isInert(item, true));
  }
  return false;
}
