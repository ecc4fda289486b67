import { MikroORM } from '@mikro-orm/core';
import type { FactoryProvider } from '@nestjs/common';
import { TenancyConfigError } from './tenancy.errors.js';

/**
 * Token of the app's `MikroORM`, as the library's providers inject it. Only this provider asks Nest
 * for `MikroORM` itself, so that an app without `MikroOrmModule` stops at boot with a message of
 * the library's instead of Nest's "can't resolve dependencies" about one of its internals.
 */
export const TENANCY_ORM = Symbol('TENANCY_ORM');

export const tenancyOrmProvider: FactoryProvider<MikroORM> = {
  provide: TENANCY_ORM,
  useFactory: (orm?: MikroORM) => {
    if (!orm) {
      throw new TenancyConfigError(
        'TenancyModule needs MikroORM, and no MikroORM provider was found: import MikroOrmModule.forRoot({ driver: PostgreSqlDriver, ... }) ' +
          '(or forRootAsync) from @mikro-orm/nestjs next to TenancyModule.forRoot(), in the same application.',
      );
    }
    return orm;
  },
  inject: [{ token: MikroORM, optional: true }],
};
