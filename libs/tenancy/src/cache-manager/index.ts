// `nestjs-tenancy/cache-manager`: tenant-aware response caching (needs `@nestjs/cache-manager`).
export { TenantCacheInterceptor } from './tenant-cache.interceptor.js';
