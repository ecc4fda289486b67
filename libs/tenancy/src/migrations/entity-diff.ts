import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import { DatabaseSchema, type SqlEntityManager, SqlSchemaGenerator } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { MigrationError, TenancyConfigError } from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import type { MigrationSetName } from './migration-orm.factory.js';
import { SchemaMigrator } from './schema-migrator.js';

/** The SQL that would bring a migration set's schema to what its entities describe. */
export interface EntityDiffResult {
  /** Statements of `up()` (empty strings separate groups); none when the entities match the migrations. */
  up: string[];
  down: string[];
}

/** Prefix of the scratch schemas (never a valid tenant schema name). */
const SCRATCH_PREFIX = '__tenancy_ref_';

/**
 * The difference between a migration set's entities and its migrations, with MikroORM's schema
 * comparator: what `migration:create` writes, and what `check` reports as entities ahead of the
 * migrations.
 *
 * MikroORM's own diff cannot serve tenant entities: its snapshot generated with
 * `includeWildcardSchema` holds no tables, so it would rebuild the whole tenant schema. The tenant
 * set is therefore compared with a real reference: a scratch schema, created and migrated to the
 * latest tenant migration inside a transaction that is rolled back afterwards (nothing is left
 * behind, even when the process dies). The resulting SQL is rewritten unqualified, as tenant
 * migrations run with the tenant's schema set. The shared set is compared with the shared schema,
 * which must have no pending shared migration.
 */
@Injectable()
export class EntityDiff {
  constructor(
    private readonly migrator: SchemaMigrator,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  /**
   * The set's difference; reads the database, never changes it. `onlyMapped` leaves out the
   * tables and views that no entity maps (in the shared schema: tables an app keeps without
   * MikroORM, an extension's), which the comparator would otherwise drop in `up` (and create again
   * in `down`).
   */
  async diff(set: MigrationSetName, options: { onlyMapped?: boolean } = {}): Promise<EntityDiffResult> {
    const orm = await this.migrator.migrationOrm(set);
    const comparison = this.comparison(orm);
    const mapped = options.onlyMapped ? mappedNames(orm) : undefined;
    return set === 'tenant' ? this.tenantDiff(orm, comparison, mapped) : this.sharedDiff(orm, comparison, mapped);
  }

  private async tenantDiff(orm: MikroORM, comparison: Comparison, mapped?: Set<string>): Promise<EntityDiffResult> {
    const scratch = `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
    const em = sqlEntityManager(orm.em.fork());
    await em.begin();
    try {
      await em.execute(`create schema ${quoteIdentifier(scratch)}`);
      await this.migrator.migrateTenant(scratch, { em });
      const reference = await this.introspect(orm, em, scratch, mapped);
      const sql = await schemaGenerator(orm).getUpdateSchemaMigrationSQL({
        ...comparison,
        fromSchema: reference,
        schema: scratch,
      });
      const qualifier = `${quoteIdentifier(scratch)}.`;
      // with no tenant migration yet the scratch schema is empty, and the comparator creates it
      const scratchSchemaDdl = new RegExp(
        `^(create|drop) schema (if (not )?exists )?${escapeRegExp(quoteIdentifier(scratch))}( cascade)?;$`,
      );
      const unqualify = (statements: string[]): string[] => {
        const rewritten = withoutStraySeparators(
          statements
            .filter((statement) => !scratchSchemaDdl.test(statement))
            .map((statement) => statement.replaceAll(qualifier, '')),
        );
        if (rewritten.some((statement) => statement.includes(scratch))) {
          throw new MigrationError(
            `The tenant diff names the reference schema in a way that cannot be rewritten unqualified; write this migration by hand: ${rewritten.join(' ')}`,
          );
        }
        return rewritten;
      };
      return { up: unqualify(splitStatements(sql.up)), down: unqualify(splitStatements(sql.down)) };
    } finally {
      await em.rollback();
    }
  }

  private async sharedDiff(orm: MikroORM, comparison: Comparison, mapped?: Set<string>): Promise<EntityDiffResult> {
    const shared = this.options.sharedSchema;
    const state = (await this.migrator.states('shared', [shared], orm)).get(shared);
    if (state && state.pending.length > 0) {
      throw new MigrationError(
        `The shared schema "${shared}" has pending shared migrations (${state.pending.join(', ')}): apply them first (migrate --shared), so that the new migration holds only the change.`,
      );
    }
    const em = sqlEntityManager(orm.em.fork());
    const reference = await this.introspect(orm, em, shared, mapped);
    const sql = await schemaGenerator(orm).getUpdateSchemaMigrationSQL({ ...comparison, fromSchema: reference });
    return { up: splitStatements(sql.up), down: splitStatements(sql.down) };
  }

  /**
   * The tables and views of one schema (not the migrations table, nor those `skipTables` and
   * `skipViews` name; only the `mapped` ones when given), read in `em`'s transaction. MikroORM's
   * `DatabaseSchema.create()` would read every schema of the database, and a diff against it
   * would drop every other schema (all the tenants).
   */
  private async introspect(orm: MikroORM, em: SqlEntityManager, schema: string, mapped?: Set<string>): Promise<DatabaseSchema> {
    const platform = em.getPlatform();
    const helper = platform.getSchemaHelper();
    if (!helper) {
      throw new TenancyConfigError('nestjs-tenancy needs MikroORM with the PostgreSQL driver (@mikro-orm/postgresql).');
    }
    const connection = em.getConnection();
    const ctx = em.getTransactionContext();
    const { skipTables = [], skipViews = [] } = orm.config.get('schemaGenerator');
    const skippedTables = [...skipTables, this.options.migrations.tableName];
    const tables = (await helper.getAllTables(connection, [schema], ctx)).filter(
      (table) =>
        table.schema_name === schema &&
        !matchesAny(table.table_name, skippedTables) &&
        (mapped === undefined || mapped.has(table.table_name)),
    );
    const reference = new DatabaseSchema(platform, schema);
    await helper.loadInformationSchema(reference, connection, tables, [schema], ctx);
    await helper.loadViews(reference, connection, schema, ctx);
    if (platform.supportsMaterializedViews()) {
      await helper.loadMaterializedViews(reference, connection, schema, ctx);
    }
    reference.setViews(
      reference
        .getViews()
        .filter(
          (view) =>
            view.schema === schema && !matchesAny(view.name, skipViews) && (mapped === undefined || mapped.has(view.name)),
        ),
    );
    reference.setNamespaces(new Set([schema]));
    return reference;
  }

  private comparison(orm: MikroORM): Comparison {
    const migrations = orm.config.get('migrations');
    return { wrap: false, safe: migrations.safe ?? false, dropTables: migrations.dropTables ?? true };
  }
}

/** Options of MikroORM's comparator, as its Migrator passes them. */
interface Comparison {
  wrap: false;
  safe: boolean;
  dropTables: boolean;
}

/** The tables and views the set's entities map (embeddables map none). */
function mappedNames(orm: MikroORM): Set<string> {
  return new Set(
    [...orm.getMetadata().getAll().values()]
      .filter((meta) => !meta.embeddable && !meta.virtual && meta.tableName)
      .map((meta) => meta.tableName),
  );
}

/** Statements without empty separators at either end or twice in a row (left by statements filtered out). */
export function withoutStraySeparators(statements: string[]): string[] {
  return statements.filter(
    (statement, i) => statement !== '' || (i > 0 && statements[i - 1] !== '' && statements.slice(i + 1).some(Boolean)),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a name matches one of MikroORM's `skipTables` / `skipViews` patterns. */
function matchesAny(name: string, patterns: (string | RegExp)[]): boolean {
  return patterns.some((pattern) =>
    typeof pattern === 'string' ? pattern.toLowerCase() === name.toLowerCase() : pattern.test(name),
  );
}

function schemaGenerator(orm: MikroORM): SqlSchemaGenerator {
  const generator: unknown = orm.schema;
  if (!(generator instanceof SqlSchemaGenerator)) {
    throw new TenancyConfigError('nestjs-tenancy needs MikroORM with the PostgreSQL driver (@mikro-orm/postgresql).');
  }
  return generator;
}

/**
 * Splits the comparator's SQL into statements the way MikroORM's Migrator does: at `;` + newline
 * outside string literals, with an empty string where a blank line separates groups.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let buffer = '';
  for (const chunk of sql.split(/;\n/)) {
    buffer += (buffer ? ';\n' : '') + chunk;
    if (buffer.split(`'`).length % 2 === 0) {
      continue;
    }
    if (buffer.startsWith('\n')) {
      statements.push('');
    }
    const trimmed = buffer.trim();
    if (trimmed) {
      statements.push(trimmed.endsWith(';') ? trimmed : `${trimmed};`);
    }
    buffer = '';
  }
  while (statements.length > 0 && !statements[statements.length - 1]) {
    statements.pop();
  }
  while (statements.length > 0 && !statements[0]) {
    statements.shift();
  }
  return statements;
}
