import { MikroOrmModule } from '@mikro-orm/nestjs';
import {
  type ArgumentsHost,
  Body,
  type ExceptionFilter,
  Catch,
  Controller,
  type DynamicModule,
  HttpException,
  Module,
  Post,
  type Type,
} from '@nestjs/common';
import { APP_FILTER, BaseExceptionFilter, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SharedRoute, TenancyModule, TenancyService } from 'nestjs-tenancy';
import { dropTestTenants, migrateTestDatabase } from 'nestjs-tenancy/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

@SharedRoute()
@Controller('tenants')
class TenantsController {
  constructor(private readonly tenancy: TenancyService) {}

  @Post()
  create(@Body() body: { schema: string; domain: string }) {
    return this.tenancy.createTenant({ schema: body.schema, domains: [body.domain] });
  }

  @Post('domains')
  addDomain(@Body() body: { schema: string; domain: string }) {
    return this.tenancy.addDomain(body.schema, body.domain);
  }
}

/** An app's catch-all in Nest's documented style: HTTP exceptions as Nest answers them, with a mark. */
@Catch()
class MarkingCatchAllFilter extends BaseExceptionFilter {
  override catch(error: unknown, host: ArgumentsHost): void {
    host.switchToHttp().getResponse<{ header(name: string, value: string): void }>().header('x-app-filter', 'yes');
    super.catch(error, host);
  }
}

/** An app's catch-all that answers everything its own way. */
@Catch()
class OwnFormatFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const status = error instanceof HttpException ? error.getStatus() : 500;
    host
      .switchToHttp()
      .getResponse<{ status(code: number): { send(body: unknown): void } }>()
      .status(status)
      .send({ failed: true, status });
  }
}

@Module({})
class HttpErrorsTestModule {
  static register(appFilter?: Type): DynamicModule {
    return {
      module: HttpErrorsTestModule,
      imports: [MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)), TenancyModule.forRoot({ migrations })],
      controllers: [TenantsController],
      providers: appFilter ? [{ provide: APP_FILTER, useClass: appFilter }] : [],
    };
  }
}

async function start(options: { appFilter?: Type; globalFilter?: (host: HttpAdapterHost) => ExceptionFilter } = {}) {
  const app = await NestFactory.create<NestFastifyApplication>(
    HttpErrorsTestModule.register(options.appFilter),
    new FastifyAdapter(),
    {
      logger: false,
    },
  );
  if (options.globalFilter) {
    app.useGlobalFilters(options.globalFilter(app.get(HttpAdapterHost)));
  }
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  await migrateTestDatabase(app);
  return app;
}

describe("the library's errors in route handlers, with no filter registered by the app", () => {
  let app: NestFastifyApplication;
  const schema = uniqueName('http_err');
  const host = `${schema.replaceAll('_', '-')}.errors.test`;
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

  beforeAll(async () => {
    app = await start();
    expect((await post('/tenants', { schema, domain: host })).statusCode).toBe(201);
  });

  afterAll(async () => {
    await dropTestTenants(app, [schema]);
    await app.close();
  });

  it.each([
    [
      'an invalid schema name',
      '/tenants',
      () => ({ schema: 'Bad-Name', domain: 'bad.errors.test' }),
      400,
      /Invalid schema name "Bad-Name"/,
    ],
    ['a taken schema', '/tenants', () => ({ schema, domain: `other-${host}` }), 409, /already exists/],
    [
      'a taken domain',
      '/tenants',
      () => ({ schema: uniqueName('http_dup'), domain: host }),
      409,
      /already used by another tenant/,
    ],
    ['a bad domain', '/tenants/domains', () => ({ schema, domain: 'not a host' }), 400, /Invalid domain/],
    ['a domain taken (addDomain)', '/tenants/domains', () => ({ schema, domain: host }), 409, /already used by another tenant/],
    [
      'an unknown tenant',
      '/tenants/domains',
      () => ({ schema: 'no_such_tenant', domain: 'x.errors.test' }),
      404,
      /No tenant has schema/,
    ],
  ])('answers %s with its status as JSON', async (_case, url, payload, status, message) => {
    const response = await post(url, payload());
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ statusCode: status, error: expect.any(String), message: expect.stringMatching(message) });
  });
});

describe("an app's own catch-all filter still decides", () => {
  const apps: NestFastifyApplication[] = [];
  const payload = { schema: 'Bad-Name', domain: 'bad.errors.test' };

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  it('a catch-all extending BaseExceptionFilter (useGlobalFilters) runs, and answers the right status', async () => {
    const app = await start({ globalFilter: (host) => new MarkingCatchAllFilter(host.httpAdapter) });
    apps.push(app);
    const response = await app.inject({ method: 'POST', url: '/tenants', payload });
    expect(response.headers['x-app-filter']).toBe('yes');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', message: expect.stringMatching(/Bad-Name/) });
  });

  it.each([
    ['useGlobalFilters', { globalFilter: () => new OwnFormatFilter() }],
    ['APP_FILTER', { appFilter: OwnFormatFilter }],
  ])('a catch-all with its own format (%s) answers in that format', async (_how, options) => {
    const app = await start(options);
    apps.push(app);
    const response = await app.inject({ method: 'POST', url: '/tenants', payload });
    expect(response.json()).toEqual({ failed: true, status: 400 });
    expect(response.statusCode).toBe(400);
  });
});
