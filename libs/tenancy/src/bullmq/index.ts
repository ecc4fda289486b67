// `nestjs-tenancy/bullmq`: tenant context for BullMQ jobs (needs `bullmq` and `@nestjs/bullmq`).
export { TenancyBullModule, tenantAwareQueue } from './tenancy-bullmq.module.js';
export { TenantWorkerHost } from './tenant-worker.host.js';
export { TENANT_JOB_KEY, tenantOfJob } from './tenant-job.js';
