import { randomBytes } from 'node:crypto';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TenancyModule, TenantRegistry, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../apps/example/src/orm.config.js';
import { countQueries, createTestApp, databaseUrl, uniqueName } from './support/test-app.js';

describe('tenant resolution cost', () => {
  let app: NestFastifyApplication;
  let tenant: TenantDetails;

  beforeAll(async () => {
    app = await createTestApp();
    tenant = await createTestTenant(app, { schema: uniqueName('res') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [tenant.schema]);
    await app.close();
  });

  it('answers a burst of random unknown hosts 404 with no database query', async () => {
    const queries = countQueries(app);
    const statuses = new Map<number, number>();
    for (let round = 0; round < 20; round++) {
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          app.inject({ method: 'GET', url: '/projects', headers: { host: `${randomBytes(6).toString('hex')}.flood.test` } }),
        ),
      );
      for (const response of responses) {
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 404: 1000 });
    expect(queries.statements).toEqual([]);
  });

  it('looks a known host up once, then serves it from the cache', async () => {
    const queries = countQueries(app);
    for (let i = 0; i < 200; i++) {
      const response = await app.inject({ method: 'GET', url: '/whoami', headers: { host: tenant.domains[0].host } });
      expect(response.statusCode).toBe(200);
    }
    expect(queries.count).toBeLessThanOrEqual(1);
  });
});

describe('negative cache entries', () => {
  let context: INestApplicationContext;

  beforeAll(async () => {
    await (await createTestApp()).close();
    const moduleRef = await Test.createTestingModule({
      imports: [
        MikroOrmModule.forRoot(ormOptions(databaseUrl(), 2)),
        TenancyModule.forRoot({ migrations, knownHosts: { enabled: false } }),
      ],
    }).compile();
    context = await moduleRef.init();
  });

  afterAll(async () => {
    await context.close();
  });

  it('remember a host that resolved to no tenant (one query for many lookups, also concurrent ones)', async () => {
    const registry = context.get(TenantRegistry);
    const queries = countQueries(context as NestFastifyApplication);
    const host = `${randomBytes(6).toString('hex')}.missing.test`;
    const results = await Promise.all(Array.from({ length: 20 }, () => registry.lookup({ host })));
    for (let i = 0; i < 20; i++) {
      results.push(await registry.lookup({ host }));
    }
    expect(results.every((result) => result === undefined)).toBe(true);
    expect(queries.count).toBe(1);
  });

  it('do not keep an answer that was read before a change to the registry', async () => {
    const registry = context.get(TenantRegistry);
    const queries = countQueries(context as NestFastifyApplication);
    const host = `${randomBytes(6).toString('hex')}.raced.test`;
    const inFlight = registry.lookup({ host });
    registry.apply({ hosts: [host] }); // e.g. the domain was just registered by another process
    expect(await inFlight).toBeUndefined();
    await registry.lookup({ host });
    expect(queries.count).toBe(2);
  });
});
