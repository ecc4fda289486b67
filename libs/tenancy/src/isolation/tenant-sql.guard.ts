import { LRUCache } from 'lru-cache';
import { UNBOUND_SCHEMA } from '../tenancy.constants.js';
import { CrossTenantAccessError, NoTenantBoundError, UncheckedSqlError } from '../tenancy.errors.js';
import { readStatement, type StatementFacts } from './sql-statement.reader.js';
import type { StatementShape } from './statement-shape.js';

/** Schemas of PostgreSQL itself, which any context may read. */
// not pg_toast: its tables hold every tenant's large values, readable like any table
const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_temp'];

/** What {@link TenantSqlGuard} is told about the app. */
export interface TenantSqlGuardOptions {
  /** Tenant table name → entity name, for messages. */
  tenantTables: ReadonlyMap<string, string>;
  /** The shared schema and any schema the app declares shared too. */
  sharedSchemas: readonly string[];
  /** The schema bound to the current context, if any. */
  boundSchema: () => string | undefined;
  /**
   * The statement as MikroORM will send it, with values left as `$n` placeholders: raw fragments
   * and `??` identifiers inlined (they are SQL), plain values not (they never are).
   */
  shape?: (sql: string, params: readonly unknown[]) => StatementShape;
  /** Whether `shape(sql, params)` depends on `sql` alone (no SQL among the values). */
  isPlain?: (sql: string, params: readonly unknown[]) => boolean;
  /** Statements whose reading is kept. @default 5000 */
  cacheSize?: number;
}

/**
 * The name that stands for the bound schema in cached readings. Names starting with `__tenancy`
 * are the library's (never a tenant's); a statement naming it itself is read as it is.
 */
const BOUND_PLACEHOLDER = '__tenancy_bound_schema__';
const BOUND_MARK = `"${BOUND_PLACEHOLDER}".`;

/**
 * Fail-closed check of every SQL statement the ORM sends (installed as MikroORM's `onQuery` hook),
 * read with PostgreSQL's own parser. With a tenant bound, every relation a statement names is in
 * that tenant's schema, a shared schema or a system schema; never in another schema, and never an
 * unqualified tenant table. With no tenant bound, no tenant table at all and no tenant's schema.
 * SQL the check cannot follow (SQL run from text, settings that change how SQL is read, statement
 * kinds it does not know, text the parser cannot read) is refused while tenant entities exist.
 * Readings are cached by statement text, with the bound schema's quoted name (`"acme".`) read
 * as a placeholder, so that one reading serves the same statement for every tenant (with 10,000
 * tenants, per-tenant texts would miss the cache on nearly every statement). It cannot see queries
 * sent through Kysely or `Connection.executeDump()`, which bypass the hook.
 */
export class TenantSqlGuard {
  /** Readings of statements sent with values, and (apart: MikroORM replaces `?` only then) without. */
  private readonly cache: LRUCache<string, StatementFacts>;
  private readonly bareCache: LRUCache<string, StatementFacts>;
  private readonly allowedSchemas: ReadonlySet<string>;

  constructor(private readonly options: TenantSqlGuardOptions) {
    const cache = (): LRUCache<string, StatementFacts> =>
      new LRUCache({
        max: options.cacheSize ?? 5_000,
        maxSize: 16 * 1024 * 1024,
        sizeCalculation: (_facts, sql) => sql.length + 1,
      });
    this.cache = cache();
    this.bareCache = cache();
    this.allowedSchemas = new Set([...options.sharedSchemas, ...SYSTEM_SCHEMAS]);
  }

  /** Throws a {@link TenantIsolationError} subclass; returns `sql` unchanged otherwise. */
  check(sql: string, params: readonly unknown[] = []): string {
    const { tenantTables } = this.options;
    if (tenantTables.size === 0) {
      return sql;
    }
    const { shape, isPlain } = this.options;
    const current = this.options.boundSchema();
    // the cache key: the statement itself when its shape follows from its text (the usual case, no
    // formatting on the request path), else its shape; never the same key for a statement with
    // values and without (MikroORM replaces `?` only when there are values)
    let shaped: StatementShape | undefined;
    const bare = params.length === 0 || shape === undefined;
    if (!bare && !isPlain?.(sql, params)) {
      shaped = shape(sql, params);
    }
    // the bound schema's quoted name, as MikroORM qualifies tenant tables, read as a placeholder
    // (the same reading for every tenant); not when the text read already holds the placeholder's
    // name, which then keeps its own meaning: a schema of that name, never the bound one (a name
    // MikroORM would quote differently, with a `"` in it, is not matched: read as it is)
    const source = shaped?.text ?? sql;
    const mark = current === undefined ? undefined : `"${current}".`;
    const generic = mark !== undefined && source.includes(mark) && !source.includes(BOUND_PLACEHOLDER);
    const text = (statement: string): string => (generic ? statement.replaceAll(mark, BOUND_MARK) : statement);
    const key = shaped ? `${shaped.placeholders.join(',')}\0${text(shaped.text)}` : text(sql);
    const cache = bare ? this.bareCache : this.cache;
    let facts = cache.get(key);
    if (facts === undefined) {
      shaped ??= bare ? { text: sql, placeholders: [] } : shape(sql, params);
      facts = readStatement(text(shaped.text));
      const read = new Set(facts.parameters);
      if (facts.refused === undefined && shaped.placeholders.some((n) => !read.has(n))) {
        // MikroORM replaces a `?` inside a literal, quoted name or comment too: the value would
        // land outside it, as SQL
        facts = { ...facts, refused: 'a ? placeholder stands inside a literal, quoted name or comment' };
      }
      cache.set(key, facts);
    }
    if (facts.refused !== undefined) {
      throw UncheckedSqlError.because(facts.refused);
    }
    // the placeholder stands for the bound schema only in a text where it replaced that name
    const isBound = (schema: string): boolean => schema === current || (generic && schema === BOUND_PLACEHOLDER);
    for (const { schema, name } of facts.relations) {
      const entity = tenantTables.get(name);
      if (schema === undefined || schema === UNBOUND_SCHEMA) {
        if (entity !== undefined) {
          throw NoTenantBoundError.forTable(entity, name, current);
        }
        continue;
      }
      // a temporary table is not a tenant table; a tenant table is allowed in the bound schema
      // only (not even as a decoy copy in public); anything else in a shared or system schema
      if (schema === 'pg_temp' || (entity === undefined && this.allowedSchemas.has(schema))) {
        continue;
      }
      if (isBound(schema)) {
        continue;
      }
      if (current === undefined) {
        throw entity !== undefined ? NoTenantBoundError.forTable(entity, name, current) : NoTenantBoundError.forSchema(schema);
      }
      throw CrossTenantAccessError.forSchema(entity ?? `table "${name}"`, schema, current);
    }
    for (const schema of facts.schemas) {
      if (this.allowedSchemas.has(schema)) {
        continue;
      }
      if (!isBound(schema)) {
        throw current === undefined
          ? NoTenantBoundError.forSchema(schema)
          : CrossTenantAccessError.forSchema(`schema "${schema}"`, schema, current);
      }
    }
    return sql;
  }
}
