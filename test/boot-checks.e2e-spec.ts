import { MikroOrmModule, type MikroOrmModuleSyncOptions } from '@mikro-orm/nestjs';
import { type DynamicModule, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  HeaderTenantResolver,
  HostTenantResolver,
  TenancyConfigError,
  TenancyModule,
  type TenancyModuleOptions,
  TenancyService,
} from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { describe, expect, it } from 'vitest';
import { AppController } from '../apps/example/src/app.controller.js';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl } from './support/test-app.js';

@Module({})
class BootTestModule {
  static register(options: { orm?: Partial<MikroOrmModuleSyncOptions> | false; tenancy?: TenancyModuleOptions }): DynamicModule {
    return {
      module: BootTestModule,
      imports: [
        ...(options.orm === false ? [] : [MikroOrmModule.forRoot({ ...ormOptions(databaseUrl(), 2), ...options.orm })]),
        TenancyModule.forRoot({ ...options.tenancy, migrations }),
      ],
      controllers: [AppController],
    };
  }
}

/** Creates and initialises the HTTP app; rejects with the error that stopped it. */
async function boot(options: Parameters<typeof BootTestModule.register>[0]): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(BootTestModule.register(options), new FastifyAdapter(), {
    logger: false,
    abortOnError: false,
  });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

describe('boot-time checks stop the app with a TenancyConfigError that says what to change', () => {
  it('without MikroOrmModule', async () => {
    const failure = boot({ orm: false });
    await expect(failure).rejects.toThrow(TenancyConfigError);
    await expect(failure).rejects.toThrow(/import MikroOrmModule\.forRoot\(/);
  });

  it('with registerRequestContext: false, in an HTTP app', async () => {
    const failure = boot({ orm: { registerRequestContext: false } });
    await expect(failure).rejects.toThrow(TenancyConfigError);
    await expect(failure).rejects.toThrow(/remove registerRequestContext: false/);
  });

  it('but not with registerRequestContext: false in an app without HTTP (a worker)', async () => {
    const context = await NestFactory.createApplicationContext(
      BootTestModule.register({ orm: { registerRequestContext: false } }),
      {
        logger: false,
      },
    );
    expect(context.get(TenancyService)).toBeDefined();
    await context.close();
  });

  it('with trustProxy and resolvers together (trustProxy would be ignored)', async () => {
    const failure = boot({ tenancy: { trustProxy: true, resolvers: [new HeaderTenantResolver(), new HostTenantResolver()] } });
    await expect(failure).rejects.toThrow(TenancyConfigError);
    await expect(failure).rejects.toThrow(/new HostTenantResolver\(true\)/);
  });

  it('the host resolver given trustProxy reads X-Forwarded-Host behind the other resolvers', async () => {
    const app = await boot({ tenancy: { resolvers: [new HeaderTenantResolver('x-test-tenant'), new HostTenantResolver(true)] } });
    await app.getHttpAdapter().getInstance().ready();
    await migrateTestDatabase(app);
    const tenant = await createTestTenant(app);
    try {
      const response = await app.inject({
        method: 'GET',
        url: '/whoami',
        headers: { host: 'proxy.internal', 'x-forwarded-host': tenant.domains[0].host },
      });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ tenant: { schema: tenant.schema } });
    } finally {
      await dropTestTenants(app, [tenant.schema]);
      await app.close();
    }
  });
});
