import { MikroOrmModule } from '@mikro-orm/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { TenancyCliModule, TenancyModule, type TenancyModuleOptions } from 'nestjs-tenancy';
import { ormOptions } from '../../example/src/orm.config.js';

/** Options of {@link CliAppModule.register}. */
export interface CliAppOptions {
  databaseUrl: string;
  migrations: TenancyModuleOptions['migrations'];
}

/** The tenancy CLI wired to the example app's ORM config and migration sets. */
@Module({})
export class CliAppModule {
  static register(options: CliAppOptions): DynamicModule {
    return {
      module: CliAppModule,
      imports: [
        MikroOrmModule.forRoot(ormOptions(options.databaseUrl, 2)),
        TenancyModule.forRoot({ migrations: options.migrations }),
        TenancyCliModule.register({ name: 'tenancy-cli' }),
      ],
    };
  }
}
