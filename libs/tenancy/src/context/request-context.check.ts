import { MIKRO_ORM_MODULE_OPTIONS } from '@mikro-orm/nestjs';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { TenancyConfigError } from '../tenancy.errors.js';

/**
 * Stops an HTTP app at boot when MikroOrmModule does not open a request context per request
 * (`registerRequestContext: false`): the guard binds each request's tenant to that context, so
 * every tenant request would fail. Apps without HTTP (workers, the CLI) are not concerned.
 */
@Injectable()
export class RequestContextCheck implements OnModuleInit {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    if (!this.adapterHost.httpAdapter) {
      return;
    }
    let options: { registerRequestContext?: boolean } | undefined;
    try {
      options = this.moduleRef.get<{ registerRequestContext?: boolean }>(MIKRO_ORM_MODULE_OPTIONS, { strict: false });
    } catch {
      return;
    }
    if (options?.registerRequestContext === false) {
      throw new TenancyConfigError(
        "MikroOrmModule is configured with registerRequestContext: false, but TenancyModule binds each request's tenant to " +
          "MikroORM's request context: remove registerRequestContext: false from MikroOrmModule.forRoot() (the default opens one " +
          'per request). Code outside HTTP binds a tenant with TenancyService.run().',
      );
    }
  }
}
