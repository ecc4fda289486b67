import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { MigrationSetOptions } from '../tenancy.options.js';

/** The two migration sets the library runs. */
export type MigrationSetName = 'shared' | 'tenant';

/** What a migration ORM needs beyond the app's own ORM options. */
export interface MigrationOrmOptions {
  set: MigrationSetName;
  migrations: MigrationSetOptions;
  tableName: string;
  /** Connections of this ORM's own pool. */
  poolSize: number;
  /** Entities the ORM should know (the set's entities, for diffs). Defaults to the app's. */
  entities?: Options['entities'];
  /** Turn on MikroORM's snapshot (only for `migration:create`). */
  snapshot?: boolean;
}

/**
 * Builds a dedicated MikroORM instance for one migration set, from the app's ORM options: its own
 * small pool, its own request-context name (so that it never picks up the app's request fork),
 * no default schema (tenant migrations are written unqualified and run with `up({ schema })`),
 * and `snapshotOnMigrate` off (MikroORM would otherwise re-read the whole database after every
 * run).
 */
export async function createMigrationOrm(base: Options, options: MigrationOrmOptions): Promise<MikroORM> {
  const { set, migrations } = options;
  return MikroORM.init({
    ...base,
    contextName: `nestjs-tenancy:${set}-migrations`,
    schema: undefined,
    onQuery: (sql: string) => sql,
    debug: false,
    allowGlobalContext: true,
    entities: options.entities ?? base.entities,
    entitiesTs: undefined,
    extensions: [...(base.extensions ?? []).filter((e) => e !== Migrator), Migrator],
    pool: { ...base.pool, min: 0, max: options.poolSize },
    migrations: {
      ...base.migrations,
      path: migrations.path,
      pathTs: migrations.pathTs ?? migrations.path,
      glob: migrations.glob ?? '!(*.d).{js,ts}',
      migrationsList: migrations.migrationsList,
      tableName: options.tableName,
      transactional: true,
      allOrNothing: true,
      snapshot: options.snapshot ?? false,
      snapshotOnMigrate: false,
      includeWildcardSchema: set === 'tenant',
      emit: 'ts',
      silent: true,
    },
  });
}
