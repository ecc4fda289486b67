import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  CurrentTenant,
  HeaderTenantResolver,
  HostTenantResolver,
  PathTenantResolver,
  ResolveTenantWith,
  SharedRoute,
  TenancyModule,
  TenancyService,
  type TenantRecord,
  tenantPathMiddleware,
  tenantPathRewrite,
} from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

@Controller()
class WhoAmIController {
  @Get('whoami')
  whoami(@CurrentTenant() tenant: TenantRecord, @CurrentTenant() again: TenantRecord) {
    return { schema: tenant.schema, same: tenant === again };
  }

  @SharedRoute()
  @Get('health')
  health() {
    return { status: 'ok' };
  }
}

/** An internal API whose callers name the tenant in a header, whatever the module's resolvers. */
@ResolveTenantWith(new HeaderTenantResolver('x-tenant'))
@Controller('internal')
class InternalController {
  @Get('whoami')
  whoami(@CurrentTenant() tenant: TenantRecord) {
    return { schema: tenant.schema };
  }

  /** The method's decorator wins over its controller's. */
  @ResolveTenantWith(new PathTenantResolver())
  @Get('by-path')
  byPath(@CurrentTenant() tenant: TenantRecord) {
    return { schema: tenant.schema };
  }
}

@Module({
  imports: [
    MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)),
    TenancyModule.forRoot({ migrations, resolvers: [new PathTenantResolver(), new HostTenantResolver()] }),
  ],
  controllers: [WhoAmIController, InternalController],
})
class PathModule {}

describe.each([
  [
    'Fastify',
    'rewriteUrl',
    async () => NestFactory.create(PathModule, new FastifyAdapter({ rewriteUrl: tenantPathRewrite() }), { logger: false }),
  ],
  [
    'Express',
    'middleware',
    async () => {
      const app = await NestFactory.create(PathModule, new ExpressAdapter(), { logger: false });
      app.use(tenantPathMiddleware());
      return app;
    },
  ],
])('tenants by path on %s (%s): /t/{schema}/…', (_name, _how, create) => {
  let setup: Awaited<ReturnType<typeof createTestApp>>;
  let app: INestApplication;
  const acme = uniqueName('path_a');
  const globex = uniqueName('path_g');
  const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.path.test`;

  beforeAll(async () => {
    setup = await createTestApp(2);
    for (const schema of [acme, globex]) {
      await setup.get(TenancyService).createTenant({ schema, domains: [hostOf(schema)] });
    }
    app = await create();
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
    await dropTestTenants(setup, [acme, globex]);
    await setup.close();
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${await app.getUrl()}${path}`.replace('[::1]', '127.0.0.1'), { headers });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('routes /t/{schema}/path as /path, bound to that schema, and the query string stays', async () => {
    expect(await get(`/t/${acme}/whoami`)).toEqual({ status: 200, body: { schema: acme, same: true } });
    expect(await get(`/t/${globex}/whoami?x=1`)).toEqual({ status: 200, body: { schema: globex, same: true } });
  });

  it('without the prefix, the next resolver (the host) decides; a shared route stays shared', async () => {
    // fetch sends Host: 127.0.0.1:<port>, which is no tenant's
    expect((await get('/whoami')).status).toBe(404);
    expect(await get(`/t/${acme}/health`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('an unknown schema answers 404, a segment that is no schema name is no tenant path', async () => {
    expect(await get('/t/no_such_tenant/whoami')).toMatchObject({ status: 404, body: { statusCode: 404 } });
    expect((await get('/t/Not-A-Schema/whoami')).status).toBe(404);
  });

  it('@ResolveTenantWith() overrides the module resolvers for a controller, and a method overrides its controller', async () => {
    expect(await get('/internal/whoami', { 'x-tenant': globex })).toEqual({ status: 200, body: { schema: globex } });
    // the path names acme, but this controller reads the header only
    expect(await get(`/t/${acme}/internal/whoami`, { 'x-tenant': globex })).toEqual({ status: 200, body: { schema: globex } });
    expect((await get('/internal/whoami')).status).toBe(404);
    expect(await get(`/t/${acme}/internal/by-path`, { 'x-tenant': globex })).toEqual({ status: 200, body: { schema: acme } });
  });
});
