// `nestjs-tenancy/microservices`: tenant context for microservice handlers (needs `@nestjs/microservices`).
export { TenantFromMessage, TenantMessageInterceptor, type TenantMessageSource } from './tenant-message.interceptor.js';
