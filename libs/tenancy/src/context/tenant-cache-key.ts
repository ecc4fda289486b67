import { boundTenant } from './tenant-context.js';

/**
 * `key` in the bound tenant's namespace (`tenant:acme:key`), or in the shared one (`shared:key`)
 * when no tenant is bound: two tenants never read each other's cached values. For keys of your
 * own (`cache.get(tenantCacheKey('dashboard'))`); responses cached by Nest's `CacheInterceptor` use
 * `TenantCacheInterceptor` (`nestjs-tenancy/cache-manager`).
 */
export function tenantCacheKey(key: string): string {
  const tenant = boundTenant();
  return tenant ? `tenant:${tenant.schema}:${key}` : `shared:${key}`;
}
