import { CACHE_MANAGER, CacheModule } from '@nestjs/cache-manager';
import { Controller, Get, Inject, Module, UseInterceptors } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntityManager } from '@mikro-orm/core';
import type { Cache } from 'cache-manager';
import { SharedRoute, TenancyModule, TenancyService, tenantCacheKey } from 'nestjs-tenancy';
import { TenantCacheInterceptor } from 'nestjs-tenancy/cache-manager';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

let sharedCalls = 0;

@Controller()
@UseInterceptors(TenantCacheInterceptor)
class CachedController {
  constructor(
    private readonly em: EntityManager,
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
  ) {}

  @Get('projects')
  async projects() {
    return (await this.em.find(Project, {}, { orderBy: { id: 'asc' } })).map((project) => project.name);
  }

  @SharedRoute()
  @Get('plans')
  plans() {
    sharedCalls++;
    return { plans: ['free', 'pro'], calls: sharedCalls };
  }

  @Get('own-key')
  async ownKey() {
    return { key: tenantCacheKey('dashboard'), value: await this.cache.get(tenantCacheKey('dashboard')) };
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 4)),
    TenancyModule.forRoot({ migrations }),
    CacheModule.register({ ttl: 60_000 }),
  ],
  controllers: [CachedController],
})
class CacheTestModule {}

describe('cached responses are per tenant (@nestjs/cache-manager)', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const acme = uniqueName('cache_a');
  const globex = uniqueName('cache_g');
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.cache.test`;
  const get = async (schema: string | undefined, url: string) => {
    const response = await app.inject({ method: 'GET', url, headers: { host: schema ? hostOf(schema) : 'any.cache.test' } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<unknown>();
  };
  const addProject = (schema: string, name: string) =>
    tenancy.run(schema, async (em) => {
      em.create(Project, { name });
      await em.flush();
    });

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(CacheTestModule, new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    await migrateTestDatabase(app);
    tenancy = app.get(TenancyService);
    for (const schema of [acme, globex]) {
      await tenancy.createTenant({ schema, domains: [hostOf(schema)] });
      await addProject(schema, `${schema} first`);
    }
  });

  afterAll(async () => {
    await dropTestTenants(app, [acme, globex]);
    await app.close();
  });

  it('the same URL is cached once per tenant: no tenant ever gets another tenant cached response', async () => {
    expect(await get(acme, '/projects')).toEqual([`${acme} first`]);
    expect(await get(globex, '/projects')).toEqual([`${globex} first`]);
    // both are cached now: new rows are not seen until the entry expires
    await addProject(acme, 'later');
    await addProject(globex, 'later');
    expect(await get(acme, '/projects')).toEqual([`${acme} first`]);
    expect(await get(globex, '/projects')).toEqual([`${globex} first`]);
    const cache = app.get<Cache>(CACHE_MANAGER);
    expect(await cache.get(`tenant:${acme}:/projects`)).toEqual([`${acme} first`]);
    expect(await cache.get('/projects')).toBeUndefined();
  });

  it('a shared route is cached once for every host', async () => {
    const first = await get(undefined, '/plans');
    expect(await get(acme, '/plans')).toEqual(first);
    expect(await get(globex, '/plans')).toEqual(first);
    expect(sharedCalls).toBe(1);
  });

  it('tenantCacheKey() namespaces keys of your own', async () => {
    const cache = app.get<Cache>(CACHE_MANAGER);
    await tenancy.run(acme, () => cache.set(tenantCacheKey('dashboard'), 'acme dashboard'));
    expect(await get(globex, '/own-key')).toEqual({ key: `tenant:${globex}:dashboard` });
    expect(tenantCacheKey('x')).toBe('shared:x');
  });
});
