import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { Migrator } from '@mikro-orm/migrations';
import type { MikroOrmModuleSyncOptions } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { DomainSchema, TenantSchema, type TenancyModuleOptions } from 'nestjs-tenancy';
import { ProjectSchema } from './entities/project.entity.js';
import { TaskSchema } from './entities/task.entity.js';

/** The example app's entities: the tenant registry (shared) and projects and tasks (per tenant). */
export const entities = [TenantSchema, DomainSchema, ProjectSchema, TaskSchema];

/**
 * MikroORM options of the example app (and of the tenancy CLI wired to it). `driverOptions` are
 * merged into the options of `pg`'s Pool by MikroORM, e.g. `{ maxUses: 10_000 }` to recycle
 * connections (see the README on backend memory).
 */
export function ormOptions(clientUrl: string, poolSize = 10, driverOptions?: Record<string, unknown>): MikroOrmModuleSyncOptions {
  return {
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    extensions: [Migrator],
    pool: { min: 0, max: poolSize },
    ...(driverOptions ? { driverOptions } : {}),
    allowGlobalContext: false,
    debug: false,
    ensureDatabase: false,
  };
}

const here = (folder: string): string => fileURLToPath(new URL(folder, import.meta.url));

/**
 * The two migration sets. `path` is next to this file (compiled `.js` in dist, `.ts` when run from
 * source); `pathTs` is the source folder, where `migration:create` writes.
 */
export const migrations: TenancyModuleOptions['migrations'] = {
  shared: { path: here('./migrations/shared'), pathTs: resolve('apps/example/src/migrations/shared') },
  tenant: { path: here('./migrations/tenant'), pathTs: resolve('apps/example/src/migrations/tenant') },
};
