import { EntityManager } from '@mikro-orm/core';
import { Controller, Get, Query } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '../apps/example/src/app.module.js';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { createTestApp, databaseUrl, sql, uniqueName } from './support/test-app.js';

/** A tenant route that runs code as another tenant, then goes on writing as its own. */
@Controller('nested-run')
class NestedRunController {
  constructor(
    private readonly tenancy: TenancyService,
    private readonly em: EntityManager,
  ) {}

  @Get()
  async nested(@Query('other') other: string, @Query('name') name: string): Promise<{ inner?: string; after?: string }> {
    const inner = await this.tenancy.run(other, () => this.tenancy.current()?.schema);
    this.em.create(Project, { name, createdAt: new Date() });
    await this.em.flush();
    return { inner, after: this.tenancy.current()?.schema };
  }
}

describe('TenancyService.run() opens its own context', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  let a: TenantDetails;
  let b: TenantDetails;

  /** Which of the two tenants' schemas hold a project with this name. */
  const holders = async (name: string): Promise<string[]> => {
    const holding: string[] = [];
    for (const schema of [a.schema, b.schema]) {
      if ((await sql(app, `select 1 from "${schema}"."project" where "name" = ?`, [name])).length > 0) {
        holding.push(schema);
      }
    }
    return holding;
  };

  beforeAll(async () => {
    await (await createTestApp()).close(); // migrates the shared schema
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ databaseUrl: databaseUrl(), poolSize: 3 })],
      controllers: [NestedRunController],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    tenancy = app.get(TenancyService);
    a = await createTestTenant(app, { schema: uniqueName('nest_a') });
    b = await createTestTenant(app, { schema: uniqueName('nest_b') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [a.schema, b.schema]);
    await app.close();
  });

  it('run(a, () => run(b, ...)) leaves a bound afterwards, for current() and the EntityManager', async () => {
    const seen = await tenancy.run(a.schema, async (em) => {
      const inner = await tenancy.run(b.schema, () => tenancy.current()?.schema);
      em.create(Project, { name: 'outer after nested run', createdAt: new Date() });
      await em.flush();
      return { inner, after: tenancy.current()?.schema };
    });
    expect(seen).toEqual({ inner: b.schema, after: a.schema });
    expect(await holders('outer after nested run')).toEqual([a.schema]);
  });

  it('run(b) inside a tenant-a request does not rebind the request: it goes on as a', async () => {
    const response = await app.inject({
      method: 'GET',
      url: `/nested-run?other=${b.schema}&name=request+after+nested+run`,
      ...tenantRequest(a.domains[0].host),
    });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ inner: b.schema, after: a.schema });
    expect(await holders('request after nested run')).toEqual([a.schema]);
  });
});
