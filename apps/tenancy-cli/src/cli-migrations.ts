import { resolve } from 'node:path';
import type { MigrationSetOptions, TenancyModuleOptions } from 'nestjs-tenancy';
import { migrations } from '../../example/src/orm.config.js';

/**
 * The example app's two migration sets. `TENANCY_SHARED_MIGRATIONS` or `TENANCY_TENANT_MIGRATIONS`
 * (a folder) replace a set's folder, both for running (`path`) and for `migration:create`
 * (`pathTs`); the files there may be `.js` or `.ts`.
 */
export function cliMigrations(env: NodeJS.ProcessEnv = process.env): NonNullable<TenancyModuleOptions['migrations']> {
  const folder = (value: string | undefined): MigrationSetOptions | undefined =>
    value ? { path: resolve(value), pathTs: resolve(value) } : undefined;
  return {
    ...migrations,
    shared: folder(env.TENANCY_SHARED_MIGRATIONS) ?? migrations?.shared,
    tenant: folder(env.TENANCY_TENANT_MIGRATIONS) ?? migrations?.tenant,
  };
}
