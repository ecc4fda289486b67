import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { EntityManager } from '@mikro-orm/core';
import { ForEachTenant, InvalidTenantInputError, TenancyModule, TenancyService, type TenantRecord } from 'nestjs-tenancy';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

/** What each decorated call saw: the tenant passed in, the tenant bound, the rows of its schema. */
const seen: { tenant: string; bound: string | undefined; projects: string[]; args: unknown[] }[] = [];

@Injectable()
class Maintenance {
  constructor(private readonly tenancy: TenancyService) {}

  @Cron('0 0 1 1 *', { name: 'tenant-cleanup' })
  @ForEachTenant({ concurrency: 2 })
  async cleanup(tenant: TenantRecord, em: EntityManager, ...args: unknown[]): Promise<number> {
    const projects = await em.find(Project, {}, { orderBy: { id: 'asc' } });
    seen.push({ tenant: tenant.schema, bound: this.tenancy.current()?.schema, projects: projects.map((p) => p.name), args });
    if (projects.some((project) => project.name === 'fail')) {
      throw new Error(`cleanup refused in ${tenant.schema}`);
    }
    return projects.length;
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations }),
    ScheduleModule.forRoot(),
  ],
  providers: [Maintenance],
})
class CronTestModule {}

describe('forEachTenant() and @ForEachTenant()', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const prefix = uniqueName('each');
  const [a, b, c, suspended] = ['a', 'b', 'c', 'z'].map((suffix) => `${prefix}_${suffix}`);
  const mine = [a, b, c, suspended];

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(CronTestModule, { logger: false });
    await app.init();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
    for (const schema of mine) {
      await tenancy.createTenant({ schema, domains: [`${schema.replaceAll('_', '-')}.each.test`] });
      await tenancy.run(schema, async (em) => {
        em.create(Project, { name: `${schema} project` });
        if (schema === b) {
          em.create(Project, { name: 'fail' });
        }
        await em.flush();
      });
    }
    await tenancy.suspend(suspended);
  });

  afterAll(async () => {
    await dropTestTenants(app, mine);
    await app.close();
  });

  it('runs fn bound to each active tenant, isolates a failure, and reports in schema order', async () => {
    const report = await tenancy.forEachTenant(
      async (tenant, em) => {
        const names = (await em.find(Project, {})).map((project) => project.name);
        if (names.includes('fail')) {
          throw new Error('boom');
        }
        return { tenant: tenant.schema, bound: tenancy.current()?.schema, names };
      },
      { schemas: mine, concurrency: 3 },
    );
    expect(report.succeeded).toEqual([a, c]);
    expect(report.failed).toEqual([b]);
    expect(report.results).toEqual([
      { schema: a, status: 'fulfilled', value: { tenant: a, bound: a, names: [`${a} project`] } },
      { schema: b, status: 'rejected', reason: expect.objectContaining({ message: 'boom' }) },
      { schema: c, status: 'fulfilled', value: { tenant: c, bound: c, names: [`${c} project`] } },
    ]);
    // nothing stays bound afterwards
    expect(tenancy.current()).toBeUndefined();
  });

  it('includes suspended tenants when asked (maintenance)', async () => {
    const report = await tenancy.forEachTenant((tenant) => tenant.status, { schemas: mine, statuses: ['active', 'suspended'] });
    expect(report.results.map((result) => [result.schema, result.status === 'fulfilled' && result.value])).toEqual([
      [a, 'active'],
      [b, 'active'],
      [c, 'active'],
      [suspended, 'suspended'],
    ]);
  });

  it('never runs more than `concurrency` tenants at once', async () => {
    let running = 0;
    let most = 0;
    const report = await tenancy.forEachTenant(
      async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        running--;
      },
      { schemas: mine, concurrency: 2 },
    );
    expect(report.succeeded).toHaveLength(3);
    expect(most).toBe(2);
  });

  it('refuses bad options with a clear error', async () => {
    await expect(tenancy.forEachTenant(() => 1, { concurrency: 0 })).rejects.toThrow(InvalidTenantInputError);
    await expect(tenancy.forEachTenant(() => 1, { statuses: ['provisioning' as 'active'] })).rejects.toThrow(/statuses/);
  });

  it('@ForEachTenant() on a @Cron method runs it per tenant when the job fires, and keeps the cron metadata', async () => {
    seen.length = 0;
    const job = app.get(SchedulerRegistry).getCronJob('tenant-cleanup');
    await job.fireOnTick();
    await expect.poll(() => seen.filter((entry) => mine.includes(entry.tenant)).length).toBe(3);
    const mineSeen = seen.filter((entry) => mine.includes(entry.tenant)).sort((x, y) => x.tenant.localeCompare(y.tenant));
    expect(mineSeen.map(({ tenant, bound, projects }) => ({ tenant, bound, projects }))).toEqual([
      { tenant: a, bound: a, projects: [`${a} project`] },
      { tenant: b, bound: b, projects: [`${b} project`, 'fail'] },
      { tenant: c, bound: c, projects: [`${c} project`] },
    ]);
  });

  it('a direct call returns the report and passes its arguments after the tenant and the EntityManager', async () => {
    seen.length = 0;
    const report = (await (app.get(Maintenance).cleanup as unknown as (...args: unknown[]) => Promise<unknown>)('extra')) as {
      failed: string[];
    };
    expect(report.failed).toContain(b);
    expect(report.failed).not.toContain(a);
    expect(seen.find((entry) => entry.tenant === a)?.args).toEqual(['extra']);
  });
});
