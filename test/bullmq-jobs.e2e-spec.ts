import { randomBytes } from 'node:crypto';
import { EntityManager } from '@mikro-orm/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { BullModule, InjectQueue, Processor } from '@nestjs/bullmq';
import { Body, Controller, Injectable, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { SharedRoute, TenancyService, TenancyModule, type TenantRecord } from 'nestjs-tenancy';
import { TENANT_JOB_KEY, TenancyBullModule, TenantWorkerHost, tenantOfJob } from 'nestjs-tenancy/bullmq';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { closeRedisClients, redisConnection } from './support/redis.js';
import { databaseUrl, sql, uniqueName } from './support/test-app.js';

const queueName = `tenancy-jobs-${randomBytes(4).toString('hex')}`;

@Processor(queueName)
class ProjectsProcessor extends TenantWorkerHost<Job<{ name: string }>, { tenant: string | undefined; id: number }> {
  constructor(private readonly em: EntityManager) {
    super();
  }

  async processTenantJob(job: Job<{ name: string }>, tenant: TenantRecord | undefined) {
    const em = this.em;
    const project = em.create(Project, { name: job.data.name });
    await em.flush();
    return { tenant: tenant?.schema, id: project.id };
  }
}

@Injectable()
class Jobs {
  constructor(@InjectQueue(queueName) readonly queue: Queue) {}
}

@Controller('jobs')
class JobsController {
  constructor(private readonly jobs: Jobs) {}

  /** Adds a job with the request body as its data (the body may try to name another tenant). */
  @Post()
  async add(@Body() body: Record<string, unknown>) {
    const job = await this.jobs.queue.add('create-project', body);
    return { id: job.id, data: job.data };
  }

  @SharedRoute()
  @Post('shared')
  async addShared(@Body() body: Record<string, unknown>) {
    const job = await this.jobs.queue.add('create-project', body);
    return { id: job.id, data: job.data };
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations }),
    BullModule.forRoot({ connection: redisConnection() }),
    BullModule.registerQueue({ name: queueName }),
    TenancyBullModule,
  ],
  controllers: [JobsController],
  providers: [Jobs, ProjectsProcessor],
})
class JobsTestModule {}

describe('BullMQ jobs carry their tenant (Redis, real workers)', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let events: QueueEvents;
  const acme = uniqueName('job_a');
  const globex = uniqueName('job_g');
  const initech = uniqueName('job_i');
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.jobs.test`;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(JobsTestModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
    for (const schema of [acme, globex, initech]) {
      await tenancy.createTenant({ schema, domains: [hostOf(schema)] });
    }
    events = new QueueEvents(queueName, { connection: redisConnection() });
    await events.waitUntilReady();
  });

  afterAll(async () => {
    await events?.close();
    await app?.get(Jobs).queue.obliterate({ force: true });
    await dropTestTenants(app, [acme, globex, initech]);
    await app?.close();
    await closeRedisClients();
  });

  async function addOverHttp(schema: string | undefined, payload: object) {
    const response = await app.inject({
      method: 'POST',
      url: schema ? '/jobs' : '/jobs/shared',
      headers: { host: schema ? hostOf(schema) : 'anything.jobs.test' },
      payload,
    });
    expect(response.statusCode, response.body).toBe(201);
    return app.get(Jobs).queue.getJob(response.json<{ id: string }>().id) as Promise<Job>;
  }

  const projectsOf = (schema: string) =>
    tenancy.run(schema, (em) => em.find(Project, {}).then((rows) => rows.map((p) => p.name)));

  it('a job added in a tenant request runs bound to that tenant, and writes in its schema only', async () => {
    const job = await addOverHttp(acme, { name: 'from-acme-request' });
    expect(tenantOfJob(job)).toBe(acme);
    expect(await job.waitUntilFinished(events)).toMatchObject({ tenant: acme });
    expect(await projectsOf(acme)).toContain('from-acme-request');
    expect(await projectsOf(globex)).not.toContain('from-acme-request');
  });

  it('request input cannot choose the tenant: a body naming another tenant runs as the request tenant', async () => {
    const job = await addOverHttp(acme, { name: 'hostile', [TENANT_JOB_KEY]: globex });
    expect(tenantOfJob(job)).toBe(acme);
    await job.waitUntilFinished(events);
    expect(await projectsOf(globex)).not.toContain('hostile');
    expect(await projectsOf(acme)).toContain('hostile');
  });

  it('a job added with no tenant bound runs unbound, where tenant entities fail closed', async () => {
    const job = await addOverHttp(undefined, { name: 'unbound', [TENANT_JOB_KEY]: globex });
    expect(tenantOfJob(job)).toBeUndefined();
    await expect(job.waitUntilFinished(events)).rejects.toThrow(/no tenant is bound/);
  });

  it('jobs added in run() (cron, scripts) and with addBulk carry the tenant', async () => {
    const [bulk] = await tenancy.run(globex, () =>
      app.get(Jobs).queue.addBulk([{ name: 'create-project', data: { name: 'bulk' } }]),
    );
    expect(tenantOfJob(bulk)).toBe(globex);
    expect(await bulk.waitUntilFinished(events)).toMatchObject({ tenant: globex });
    expect(await projectsOf(globex)).toContain('bulk');
  });

  it('a job of a tenant suspended (or deleted) after it was added is not run, and says why', async () => {
    const queue = app.get(Jobs).queue;
    await queue.pause();
    const suspended = await tenancy.run(globex, () => queue.add('create-project', { name: 'while-suspended' }));
    // suspended by another process whose notification has not arrived: this process's cache still says active
    await sql(app, `update public.tenant set status = 'suspended' where schema = ?`, [globex]);
    expect((await tenancy.run(globex, () => tenancy.current()))?.status).toBe('active');
    await queue.resume();
    await expect(suspended.waitUntilFinished(events)).rejects.toThrow(`Tenant "${globex}" is suspended`);
    const failed = await queue.getJob(suspended.id!);
    expect(failed?.failedReason).toMatch(/was not run/);
    expect(failed?.attemptsMade).toBe(1);
    await sql(app, `update public.tenant set status = 'active' where schema = ?`, [globex]);
    expect(await projectsOf(globex)).not.toContain('while-suspended');

    // deleted (kept aside for the retention) between adding and running: not run, nothing written
    await queue.pause();
    const ofDeleted = await tenancy.run(initech, () => queue.add('create-project', { name: 'after-delete' }));
    expect(tenantOfJob(ofDeleted)).toBe(initech);
    await tenancy.deleteTenant(initech);
    await queue.resume();
    await expect(ofDeleted.waitUntilFinished(events)).rejects.toThrow(`Tenant "${initech}" no longer exists`);
    const failedDeleted = await queue.getJob(ofDeleted.id!);
    expect(failedDeleted?.failedReason).toBe(
      `Tenant "${initech}" no longer exists: job create-project (${String(ofDeleted.id)}) was not run.`,
    );
    expect(failedDeleted?.attemptsMade).toBe(1);
    await tenancy.restoreTenant(initech);
    expect(await projectsOf(initech)).not.toContain('after-delete');

    await queue.pause();
    const orphan = await queue.add('create-project', { name: 'orphan' });
    // a tenant that never existed stands for one deleted since the job was added
    await orphan.updateData({ name: 'orphan', [TENANT_JOB_KEY]: 'no_such_tenant' });
    await queue.resume();
    await expect(orphan.waitUntilFinished(events)).rejects.toThrow('Tenant "no_such_tenant" no longer exists');
  });
});
