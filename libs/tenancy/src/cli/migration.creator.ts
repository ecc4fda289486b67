import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TSMigrationGenerator } from '@mikro-orm/migrations';
import type { AbstractSqlDriver } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { EntityDiff } from '../migrations/entity-diff.js';
import type { MigrationSetName } from '../migrations/migration-orm.factory.js';
import { SchemaMigrator } from '../migrations/schema-migrator.js';
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

/**
 * Writes a migration holding the difference between a set's entities and its latest migration
 * ({@link EntityDiff}: MikroORM's schema comparator against a reference the migrations build),
 * with MikroORM's migration generator, into the set's `pathTs` folder.
 */
@Injectable()
export class MigrationCreator {
  constructor(
    private readonly migrator: SchemaMigrator,
    private readonly entityDiff: EntityDiff,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  /** Writes the migration; `undefined` when the entities match the migrations (nothing to write). */
  async create(set: MigrationSetName, options: CreateMigrationOptions = {}): Promise<CreatedMigration | undefined> {
    const folder = this.folder(set);
    const orm = await this.migrator.migrationOrm(set);
    if (!options.blank) {
      await this.assertBuilt(set, folder);
    }
    const diff = options.blank ? { up: ['select 1'], down: ['select 1'] } : await this.entityDiff.diff(set);
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
}

/** Migration files (by MikroORM's naming, `Migration<timestamp>_<name>`) in `folder` whose name matches `extension`. */
function migrationFiles(folder: string, extension: RegExp): string[] {
  if (!existsSync(folder)) {
    return [];
  }
  return readdirSync(folder).filter((file) => /^Migration\d/.test(file) && extension.test(file) && !/\.d\.[cm]?ts$/.test(file));
}
