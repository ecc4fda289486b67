import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Controller, Get, type INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { CurrentTenant, TenancyModule, TenancyService, type TenantRecord } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

@Controller()
class WhoAmIController {
  @Get('whoami')
  whoami(@CurrentTenant() tenant: TenantRecord): { schema: string } {
    return { schema: tenant.schema };
  }
}

@Module({
  imports: [MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)), TenancyModule.forRoot({ migrations, trustProxy: true })],
  controllers: [WhoAmIController],
})
class ProxiedModule {}

/** A GET over real HTTP with the given headers (fetch would replace Host). */
function get(app: INestApplication, headers: Record<string, string | string[]>): Promise<{ status: number; body: string }> {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/whoami', headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each([
  ['Fastify', () => new FastifyAdapter()],
  ['Express', () => new ExpressAdapter()],
])('trustProxy on %s', (_name, adapter) => {
  let setup: Awaited<ReturnType<typeof createTestApp>>;
  let app: INestApplication;
  const own = uniqueName('proxy_own');
  const other = uniqueName('proxy_other');
  const host = (schema: string) => `${schema.replaceAll('_', '-')}.proxy.test`;

  beforeAll(async () => {
    setup = await createTestApp();
    for (const schema of [own, other]) {
      await setup.get(TenancyService).createTenant({ schema, domains: [host(schema)] });
    }
    app = await NestFactory.create(ProxiedModule, adapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app.close();
    await dropTestTenants(setup, [own, other]);
    await setup.close();
  });

  it('resolves the last X-Forwarded-Host value, the one the trusted proxy appended', async () => {
    // a client sends X-Forwarded-Host: <other>; the proxy appends the host it was reached at
    const response = await get(app, { host: 'proxy.internal', 'x-forwarded-host': `${host(other)}, ${host(own)}` });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ schema: own });
  });

  it('takes the last of several header lines, and Host when there is none', async () => {
    const lines = await get(app, { host: 'proxy.internal', 'x-forwarded-host': [host(other), host(own)] });
    expect(JSON.parse(lines.body)).toEqual({ schema: own });
    const plain = await get(app, { host: host(own) });
    expect(JSON.parse(plain.body)).toEqual({ schema: own });
  });
});
