// `nestjs-tenancy/socket.io`: the tenant of each socket.io connection bound for its gateways
// (needs `@nestjs/websockets` and `@nestjs/platform-socket.io`).
export { TenantIoAdapter, type TenantIoRefusal } from './tenant-io.adapter.js';
