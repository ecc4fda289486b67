import { CacheInterceptor } from '@nestjs/cache-manager';
import { type ExecutionContext, Injectable } from '@nestjs/common';
import { tenantCacheKey } from '../context/tenant-cache-key.js';

/**
 * `@nestjs/cache-manager`'s `CacheInterceptor` with every key in the bound tenant's namespace
 * (see `tenantCacheKey`): the URL (or the `@CacheKey()`) of a tenant request is cached per tenant,
 * so two tenants never share a cached response; routes with no tenant bound (`@SharedRoute()`)
 * share one entry. Use it wherever you would use `CacheInterceptor`.
 *
 * @example
 * providers: [{ provide: APP_INTERCEPTOR, useClass: TenantCacheInterceptor }]
 */
@Injectable()
export class TenantCacheInterceptor extends CacheInterceptor {
  protected override async trackBy(context: ExecutionContext): Promise<string | undefined> {
    const key = await super.trackBy(context);
    return key === undefined || key === null ? undefined : tenantCacheKey(key);
  }
}
