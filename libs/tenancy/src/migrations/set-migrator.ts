import type { IMigratorStorage } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { CatalogMigrationStorage } from './catalog-migration.storage.js';

/**
 * MikroORM's Migrator with two additions: the names of the set's migrations, in order, without
 * asking the database, and a cheaper check for its migrations table ({@link CatalogMigrationStorage}). A new instance is used for every run: one instance cannot run
 * `up({ schema })` concurrently (its run schema is instance state).
 */
export class SetMigrator extends Migrator {
  protected override createStorage(): IMigratorStorage {
    return new CatalogMigrationStorage(this.driver, this.options);
  }

  /**
   * Names of every migration of the set, oldest first. Reads no table: `init()` would create the
   * migrations table in the default schema (a dry run on a new database must leave it empty).
   */
  async migrationNames(): Promise<string[]> {
    await this.resolvePaths();
    const all = await this.discoverMigrations();
    return all.map((migration) => migration.name);
  }
}
