import { MikroORM, RequestContext } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { TenancyConfigError } from '../tenancy.errors.js';
import type { TenantRecord } from './tenant-record.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';

/** Tenants bound per MikroORM request context (one map for the process: contexts are unique). */
const boundTenants = new WeakMap<RequestContext, TenantRecord>();

/**
 * The tenant bound where this is called (a tenant request, `run()`, a job), with no injection:
 * for code outside Nest's container, such as a logger's mixin.
 *
 * @example
 * LoggerModule.forRoot({ pinoHttp: { mixin: () => ({ tenant: boundTenant()?.schema }) } }) // nestjs-pino
 */
export function boundTenant(): TenantRecord | undefined {
  const context = RequestContext.currentRequestContext();
  return context ? boundTenants.get(context) : undefined;
}

/**
 * Binds a tenant to the current MikroORM request context (the AsyncLocalStorage scope opened per
 * request by MikroORM's middleware, or by `TenancyService.run()`): the context's EntityManager
 * fork gets the tenant's schema, and the tenant is remembered for `current()`.
 */
@Injectable()
export class TenantContext {
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
    boundTenants.set(context, tenant);
  }

  /** The tenant bound to the current context, if any. */
  current(): TenantRecord | undefined {
    return boundTenant();
  }
}
