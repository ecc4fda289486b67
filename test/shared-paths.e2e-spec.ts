import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Controller, type DynamicModule, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyModule, type TenancyModuleOptions, TenancyService } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, migrateTestDatabase, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl } from './support/test-app.js';

/** Routes of a library the app cannot decorate with @SharedRoute(): a probe and metrics. */
@Controller()
class ProbesController {
  constructor(private readonly tenancy: TenancyService) {}

  @Get('probe')
  probe() {
    return { status: 'ok', tenant: this.tenancy.current()?.schema ?? null };
  }

  @Get('metrics/:name')
  metric() {
    return { value: 1 };
  }

  @Get('probe2')
  notShared() {
    return { tenant: this.tenancy.current()?.schema ?? null };
  }
}

@Module({})
class SharedPathsTestModule {
  static register(tenancy: TenancyModuleOptions): DynamicModule {
    return {
      module: SharedPathsTestModule,
      imports: [MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)), TenancyModule.forRoot({ ...tenancy, migrations })],
      controllers: [ProbesController],
    };
  }
}

async function start(tenancy: TenancyModuleOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(SharedPathsTestModule.register(tenancy), new FastifyAdapter(), {
    logger: false,
  });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return app;
}

describe('sharedPaths: routes that are not tenant routes, without @SharedRoute()', () => {
  let app: NestFastifyApplication;
  let plain: NestFastifyApplication;
  let schema: string;
  let host: string;

  beforeAll(async () => {
    app = await start({ sharedPaths: ['/probe', /^\/metrics\//] });
    plain = await start({});
    await migrateTestDatabase(app);
    const tenant = await createTestTenant(app);
    [schema, host] = [tenant.schema, tenant.domains[0].host];
  });

  afterAll(async () => {
    await dropTestTenants(app, [schema]);
    await Promise.all([app?.close(), plain?.close()]);
  });

  it('without the option, a probe on localhost answers 404 (no tenant there)', async () => {
    const response = await plain.inject({ method: 'GET', url: '/probe', ...tenantRequest('localhost') });
    expect(response.statusCode).toBe(404);
  });

  it.each(['/probe', '/probe?verbose=1', '/metrics/requests'])('%s answers on any host, with no tenant bound', async (url) => {
    for (const requestHost of ['localhost', '10.0.0.7:3000', 'unknown.example.test']) {
      const response = await app.inject({ method: 'GET', url, ...tenantRequest(requestHost) });
      expect(response.statusCode, `${url} on ${requestHost}`).toBe(200);
    }
    const onTenantHost = await app.inject({ method: 'GET', url: '/probe', ...tenantRequest(host) });
    expect(onTenantHost.json()).toEqual({ status: 'ok', tenant: null });
  });

  it('other paths are still tenant routes', async () => {
    expect((await app.inject({ method: 'GET', url: '/probe2', ...tenantRequest('localhost') })).statusCode).toBe(404);
    const response = await app.inject({ method: 'GET', url: '/probe2', ...tenantRequest(host) });
    expect(response.json()).toEqual({ tenant: schema });
  });
});
