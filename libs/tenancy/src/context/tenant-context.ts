import { MikroORM, RequestContext } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { TenancyConfigError } from '../tenancy.errors.js';
import type { TenantRecord } from './tenant-record.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';

/**
 * Binds a tenant to the current MikroORM request context (the AsyncLocalStorage scope opened per
 * request by MikroORM's middleware, or by `TenancyService.run()`): the context's EntityManager
 * fork gets the tenant's schema, and the tenant is remembered for `current()`.
 */
@Injectable()
export class TenantContext {
  private readonly bound = new WeakMap<RequestContext, TenantRecord>();

  constructor(@Inject(TENANCY_ORM) private readonly orm: MikroORM) {}

  /** Binds `tenant` to the current request context. Throws when there is none. */
  bind(tenant: TenantRecord): void {
    const context = RequestContext.currentRequestContext();
    const em = context?.map.get(this.orm.em.name);
    if (!context || !em) {
      throw new TenancyConfigError(
        "No MikroORM request context is open, so no tenant can be bound. Keep MikroOrmModule's registerRequestContext on (the default), or use TenancyService.run(tenant, fn) outside HTTP.",
      );
    }
    em.schema = tenant.schema;
    this.bound.set(context, tenant);
  }

  /** The tenant bound to the current context, if any. */
  current(): TenantRecord | undefined {
    const context = RequestContext.currentRequestContext();
    return context ? this.bound.get(context) : undefined;
  }
}
