import { MikroORM, RequestContext } from '@mikro-orm/core';
import { Inject, Logger } from '@nestjs/common';
import { WorkerHost } from '@nestjs/bullmq';
import { type Job, UnrecoverableError } from 'bullmq';
import type { TenantRecord } from '../context/tenant-record.js';
import { TenancyService } from '../tenancy.service.js';
import { TenantNotFoundError } from '../tenancy.errors.js';
import { tenantOfJob } from './tenant-job.js';

/**
 * Base class of a BullMQ processor (`@Processor('queue')`) whose jobs run as the tenant they were
 * added for. Implement {@link processTenantJob} instead of `process`. Before each job, the tenant is
 * read again from the registry (not from the cache): a job of a tenant deleted or suspended since
 * it was added is not run; it fails with the reason as its `failedReason`, without retries
 * (`UnrecoverableError`). Each job runs in a MikroORM context of its own; a job added with no tenant
 * bound runs unbound (`tenant` is `undefined`), where tenant entities fail closed.
 *
 * @example
 * \@Processor('emails')
 * export class EmailsProcessor extends TenantWorkerHost<Job<{ to: string }>> {
 *   async processTenantJob(job: Job<{ to: string }>, tenant: TenantRecord | undefined) { ... }
 * }
 */
export abstract class TenantWorkerHost<T extends Job = Job, R = unknown> extends WorkerHost {
  @Inject(TenancyService) private readonly tenancyService!: TenancyService;
  @Inject(MikroORM) private readonly tenancyOrm!: MikroORM;
  private readonly tenantJobLogger = new Logger('TenantWorkerHost');

  /** Runs the job as its tenant (bound like a request), or unbound when it has none. */
  abstract processTenantJob(job: T, tenant: TenantRecord | undefined, token?: string): Promise<R>;

  override async process(job: T, token?: string): Promise<R> {
    const schema = tenantOfJob(job);
    if (schema === undefined) {
      // a context of its own, like a request: its own identity map, no tenant bound
      return RequestContext.create(this.tenancyOrm.em, () => this.processTenantJob(job, undefined, token));
    }
    const tenant = await this.tenancyService.getTenant(schema).catch((error: unknown) => {
      if (error instanceof TenantNotFoundError) {
        return undefined;
      }
      throw error;
    });
    if (!tenant || tenant.status !== 'active') {
      const reason = `Tenant "${schema}" ${tenant ? `is ${tenant.status}` : 'no longer exists'}: job ${job.name} (${String(job.id)}) was not run.`;
      this.tenantJobLogger.warn(reason);
      throw new UnrecoverableError(reason);
    }
    // the registry was read just now; the cache of this process may not know the change yet
    return this.tenancyService.run(schema, () => this.processTenantJob(job, this.tenancyService.current(), token), {
      allowSuspended: true,
    });
  }
}
