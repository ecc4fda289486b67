// `nestjs-tenancy/websockets`: the tenant of each WebSocket connection bound for its gateways
// (needs `@nestjs/websockets`, `@nestjs/platform-ws` and `ws`).
export { TenantWsAdapter } from './tenant-ws.adapter.js';
