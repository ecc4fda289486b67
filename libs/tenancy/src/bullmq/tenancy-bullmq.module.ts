import { Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { Queue } from 'bullmq';
import { TenantContext } from '../context/tenant-context.js';
import { tenantJobData } from './tenant-job.js';

const PATCHED = Symbol.for('nestjs-tenancy:bullmq-queue');

type AddingQueue = Queue & { [PATCHED]?: true };

/**
 * Makes `queue.add()` and `queue.addBulk()` of a BullMQ queue stamp each job with the tenant bound
 * where it is called (see {@link tenantJobData}). `TenancyBullModule` does it for every queue Nest
 * knows; call it yourself for a queue made with `new Queue()`.
 */
export function tenantAwareQueue<Q extends Queue>(queue: Q, context: TenantContext): Q {
  const target = queue as AddingQueue;
  if (target[PATCHED]) {
    return queue;
  }
  const add = queue.add.bind(queue);
  const addBulk = queue.addBulk.bind(queue);
  Object.assign(target, {
    add: (name: string, data: unknown, opts?: unknown) => add(name, tenantJobData(context, data, queue.name), opts as never),
    addBulk: (jobs: { name: string; data: unknown; opts?: unknown }[]) =>
      addBulk(jobs.map((job) => ({ ...job, data: tenantJobData(context, job.data, queue.name) })) as never),
    [PATCHED]: true,
  });
  return queue;
}

@Injectable()
class TenantQueues implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly context: TenantContext,
  ) {}

  onApplicationBootstrap(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance instanceof Queue) {
        tenantAwareQueue(instance, this.context);
      }
    }
  }
}

/**
 * Tenant context for BullMQ queues (`@nestjs/bullmq`): import it once, next to `BullModule`.
 * Every job added while a tenant is bound carries it; processors extending `TenantWorkerHost` run
 * each job as its tenant.
 */
@Module({ imports: [DiscoveryModule], providers: [TenantQueues] })
export class TenancyBullModule {}
