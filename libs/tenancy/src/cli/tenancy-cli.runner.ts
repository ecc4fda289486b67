import { MikroOrmModule } from '@mikro-orm/nestjs';
import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { CommandFactory } from 'nest-commander';
import { TenancyModule } from '../tenancy.module.js';
import { TenancyCliModule } from './tenancy-cli.module.js';
import { tenancyCliRunOptions } from './tenancy-cli.run-options.js';
import type { TenancyConfigInput } from './tenancy.config.js';
import { resolveTenancyConfig } from './tenancy-config.loader.js';

/** Options of {@link runTenancyCli}. */
export interface RunTenancyCliOptions {
  /** The app's tenancy config (what `tenancy.config.*` exports). */
  config: TenancyConfigInput;
  /** Program name in the usage. @default 'tenancy' */
  name?: string;
}

@Module({})
class TenancyCliAppModule {}

/**
 * Runs one tenancy command (from `process.argv`) for an app described by its config: what the
 * `tenancy` bin does once it has read `tenancy.config.*`. Exit code 0 on success; 1 with a
 * one-line reason on stderr on failure. The config's `close()` runs afterwards, success or not.
 *
 * @example await runTenancyCli({ config: defineTenancyConfig({ orm, migrations }) });
 */
export async function runTenancyCli(options: RunTenancyCliOptions): Promise<void> {
  Logger.overrideLogger(false);
  const config = await resolveTenancyConfig(options.config);
  const { orm, migrations, close, ...moduleOptions } = config;
  try {
    const module: DynamicModule = {
      module: TenancyCliAppModule,
      imports: [
        MikroOrmModule.forRoot(orm),
        TenancyModule.forRoot({ ...moduleOptions, migrations }),
        TenancyCliModule.register({ name: options.name ?? 'tenancy' }),
      ],
    };
    await CommandFactory.run(module, tenancyCliRunOptions());
  } finally {
    await close?.();
  }
}
