import { Migrator } from '@mikro-orm/migrations';

/**
 * MikroORM's Migrator with one addition: the names of the set's migrations, in order, without
 * asking the database. A new instance is used for every run: one instance cannot run
 * `up({ schema })` concurrently (its run schema is instance state).
 */
export class SetMigrator extends Migrator {
  /** Names of every migration of the set, oldest first. */
  async migrationNames(): Promise<string[]> {
    await this.init();
    const all = await this.discoverMigrations();
    return all.map((migration) => migration.name);
  }
}
