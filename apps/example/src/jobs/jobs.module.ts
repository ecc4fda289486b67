import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { TenancyBullModule } from 'nestjs-tenancy/bullmq';
import { ProjectsService } from '../projects/projects.service.js';
import { JobsController } from './jobs.controller.js';
import { SUMMARY_QUEUE, SummaryProcessor } from './summary.processor.js';

/** Queued jobs of the example app (BullMQ on Redis), enabled when a Redis URL is given. */
const REDIS = Symbol('EXAMPLE_REDIS');

@Module({})
export class JobsModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /**
   * `prefix` namespaces the queues' Redis keys: the app passes its database's name, so that apps on
   * other databases sharing the Redis (tests, a second checkout) never run each other's jobs.
   */
  static register(redisUrl: string, prefix: string): DynamicModule {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
    return {
      module: JobsModule,
      imports: [
        BullModule.forRoot({ connection: redis, prefix }),
        BullModule.registerQueue({ name: SUMMARY_QUEUE }),
        TenancyBullModule,
      ],
      controllers: [JobsController],
      providers: [SummaryProcessor, ProjectsService, { provide: REDIS, useValue: redis }],
    };
  }

  /** BullMQ does not close a connection it was given. */
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
