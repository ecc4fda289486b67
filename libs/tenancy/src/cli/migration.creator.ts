import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { MikroORM } from '@mikro-orm/core';
import { TSMigrationGenerator } from '@mikro-orm/migrations';
import { type AbstractSqlDriver, DatabaseSchema, type SqlEntityManager, SqlSchemaGenerator } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import type { MigrationSetName } from '../migrations/migration-orm.factory.js';
import { SchemaMigrator } from '../migrations/schema-migrator.js';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { MigrationError, TenancyConfigError } from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';

/** Options of {@link MigrationCreator.create}. */
export interface CreateMigrationOptions {
  /** Suffix of the file and class name (`Migration20261201120000_<name>`). */
  name?: string;
  /** Write an empty migration instead of the entity diff. */
  blank?: boolean;
}

/** A migration file written by {@link MigrationCreator.create}. */
export interface CreatedMigration {
  /** Absolute path of the file. */
  path: string;
  fileName: string;
  /** Statements of `up()` and `down()` (empty strings separate groups). */
  up: string[];
  down: string[];
}

/** Prefix of the scratch schemas (never a valid tenant schema name). */
const SCRATCH_PREFIX = '__tenancy_ref_';

/**
 * Writes a migration holding the difference between a set's entities and its latest migration,
 * with MikroORM's schema comparator and migration generator, into the set's `pathTs` folder.
 *
 * MikroORM's own `create()` cannot do it for tenant entities: its snapshot generated with
 * `includeWildcardSchema` holds no tables, so it would rebuild the whole tenant schema. The tenant
 * set is therefore compared with a real reference: a scratch schema, created and migrated to the
 * latest tenant migration inside a transaction that is rolled back afterwards (nothing is left
 * behind, even when the process dies). The resulting SQL is rewritten unqualified, as tenant
 * migrations run with the tenant's schema set. The shared set is compared with the shared schema,
 * which must have no pending shared migration.
 */
@Injectable()
export class MigrationCreator {
  constructor(
    private readonly migrator: SchemaMigrator,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  /** Writes the migration; `undefined` when the entities match the migrations (nothing to write). */
  async create(set: MigrationSetName, options: CreateMigrationOptions = {}): Promise<CreatedMigration | undefined> {
    const folder = this.folder(set);
    const orm = await this.migrator.migrationOrm(set);
    if (!options.blank) {
      await this.assertBuilt(set, folder);
    }
    const diff = options.blank
      ? { up: ['select 1'], down: ['select 1'] }
      : set === 'tenant'
        ? await this.tenantDiff(orm)
        : await this.sharedDiff(orm);
    if (diff.up.length === 0) {
      return undefined;
    }
    const migrations = orm.config.get('migrations');
    const Generator = migrations.generator ?? TSMigrationGenerator;
    const generator = new Generator(orm.em.getDriver() as AbstractSqlDriver, orm.config.getNamingStrategy(), migrations);
    const [, fileName] = await generator.generate(diff, folder, options.name);
    return { path: join(folder, fileName), fileName, ...diff };
  }

  /**
   * The folder of the set's migration sources, where the new file goes: `pathTs`, or `path` when
   * it is a source folder too (TypeScript run as is). Never a folder of compiled files: a
   * TypeScript file written there would be lost at the next build, or run as it is.
   */
  private folder(set: MigrationSetName): string {
    const options = this.options.migrations[set];
    if (options?.pathTs) {
      return options.pathTs;
    }
    const path = options?.path;
    const compiled =
      path !== undefined && (/[\\/](dist|build|out)([\\/]|$)/.test(path) || migrationFiles(path, /\.[cm]?js$/).length > 0);
    if (!path || compiled) {
      throw new TenancyConfigError(
        `migration:create needs the folder of the ${set} migration sources: set migrations.${set}.pathTs ` +
          `(for example 'src/migrations/${set}') next to migrations.${set}.path (the compiled ones${path ? `, ${path}` : ''}).`,
      );
    }
    return path;
  }

  /**
   * Refuses to diff while a migration source has not been built: the diff is taken against the
   * migrations the app runs (the compiled ones), so it would write that migration's change again.
   */
  private async assertBuilt(set: MigrationSetName, folder: string): Promise<void> {
    const runnable = new Set(await this.migrator.migrationNames(set));
    const unbuilt = migrationFiles(folder, /\.[cm]?ts$/)
      .map((file) => file.replace(/\.[cm]?ts$/, ''))
      .filter((name) => !runnable.has(name));
    if (unbuilt.length > 0) {
      throw new MigrationError(
        `The ${set} migration ${unbuilt.join(', ')} in ${folder} is not built yet: build the app first (for example ` +
          `npm run build), so that the new migration holds only what changed since.`,
      );
    }
  }

  private async tenantDiff(orm: MikroORM): Promise<{ up: string[]; down: string[] }> {
    const scratch = `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
    const em = sqlEntityManager(orm.em.fork());
    await em.begin();
    try {
      await em.execute(`create schema ${quoteIdentifier(scratch)}`);
      await this.migrator.migrateTenant(scratch, { em });
      const reference = await this.introspect(orm, em, scratch);
      const sql = await schemaGenerator(orm).getUpdateSchemaMigrationSQL({
        ...this.comparison(orm),
        fromSchema: reference,
        schema: scratch,
      });
      const qualifier = `${quoteIdentifier(scratch)}.`;
      // with no tenant migration yet the scratch schema is empty, and the comparator creates it
      const scratchSchemaDdl = new RegExp(
        `^(create|drop) schema (if (not )?exists )?${escapeRegExp(quoteIdentifier(scratch))}( cascade)?;$`,
      );
      const unqualify = (statements: string[]): string[] => {
        const rewritten = statements
          .filter((statement) => !scratchSchemaDdl.test(statement))
          .map((statement) => statement.replaceAll(qualifier, ''));
        while (rewritten.length > 0 && rewritten[0] === '') {
          rewritten.shift();
        }
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

  private async sharedDiff(orm: MikroORM): Promise<{ up: string[]; down: string[] }> {
    const shared = this.options.sharedSchema;
    const state = (await this.migrator.states('shared', [shared], orm)).get(shared);
    if (state && state.pending.length > 0) {
      throw new MigrationError(
        `The shared schema "${shared}" has pending shared migrations (${state.pending.join(', ')}): apply them first (migrate --shared), so that the new migration holds only the change.`,
      );
    }
    const em = sqlEntityManager(orm.em.fork());
    const reference = await this.introspect(orm, em, shared);
    const sql = await schemaGenerator(orm).getUpdateSchemaMigrationSQL({ ...this.comparison(orm), fromSchema: reference });
    return { up: splitStatements(sql.up), down: splitStatements(sql.down) };
  }

  /**
   * The tables and views of one schema (not the migrations table), read in `em`'s transaction.
   * MikroORM's `DatabaseSchema.create()` would read every schema of the database, and a diff
   * against it would drop every other schema (all the tenants).
   */
  private async introspect(orm: MikroORM, em: SqlEntityManager, schema: string): Promise<DatabaseSchema> {
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
      (table) => table.schema_name === schema && !matchesAny(table.table_name, skippedTables),
    );
    const reference = new DatabaseSchema(platform, schema);
    await helper.loadInformationSchema(reference, connection, tables, [schema], ctx);
    await helper.loadViews(reference, connection, schema, ctx);
    if (platform.supportsMaterializedViews()) {
      await helper.loadMaterializedViews(reference, connection, schema, ctx);
    }
    reference.setViews(reference.getViews().filter((view) => view.schema === schema && !matchesAny(view.name, skipViews)));
    reference.setNamespaces(new Set([schema]));
    return reference;
  }

  private comparison(orm: MikroORM): { wrap: false; safe: boolean; dropTables: boolean } {
    const migrations = orm.config.get('migrations');
    return { wrap: false, safe: migrations.safe ?? false, dropTables: migrations.dropTables ?? true };
  }
}

/** Migration files (by MikroORM's naming, `Migration<timestamp>_<name>`) in `folder` whose name matches `extension`. */
function migrationFiles(folder: string, extension: RegExp): string[] {
  if (!existsSync(folder)) {
    return [];
  }
  return readdirSync(folder).filter((file) => /^Migration\d/.test(file) && extension.test(file) && !/\.d\.[cm]?ts$/.test(file));
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
function splitStatements(sql: string): string[] {
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
