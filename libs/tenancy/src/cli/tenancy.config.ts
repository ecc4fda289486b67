import type { MikroOrmModuleSyncOptions } from '@mikro-orm/nestjs';
import type { TenancyModuleOptions } from '../tenancy.options.js';

/**
 * What the `tenancy` bin needs to know about an app: its MikroORM options, its two migration sets
 * and any further `TenancyModule.forRoot` option.
 */
export interface TenancyConfig extends Omit<TenancyModuleOptions, 'migrations'> {
  /** The MikroORM options the app gives `MikroOrmModule.forRoot` (entities, clientUrl, driver ...). */
  orm: MikroOrmModuleSyncOptions;
  /** The shared and tenant migration sets (see `MigrationSetOptions`). */
  migrations: NonNullable<TenancyModuleOptions['migrations']>;
  /** Called once after the command, success or not: stop what the config started (a database ...). */
  close?: () => Promise<void> | void;
}

/** A config, or a function (sync or async) that builds it when the command starts. */
export type TenancyConfigInput = TenancyConfig | (() => TenancyConfig | Promise<TenancyConfig>);

/**
 * Types the default export of `tenancy.config.{ts,mts,mjs,js,cjs}`, the file the `tenancy` bin
 * reads in the working directory (or `--config PATH`).
 *
 * @example
 * // tenancy.config.mjs
 * import { defineTenancyConfig } from 'nestjs-tenancy/cli';
 * import { ormOptions, migrations } from './dist/orm.config.js';
 * export default defineTenancyConfig({ orm: ormOptions(process.env.DATABASE_URL), migrations });
 */
export function defineTenancyConfig<T extends TenancyConfigInput>(config: T): T {
  return config;
}
