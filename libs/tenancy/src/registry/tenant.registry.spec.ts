import { randomBytes } from 'node:crypto';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations, ormOptions } from '../../../../apps/example/src/orm.config.js';
import { countQueries, createTestApp, databaseUrl } from '../../../../test/support/test-app.js';
import { TenancyModule } from '../tenancy.module.js';
import { TenantRegistry } from './tenant.registry.js';

// The registry is internal: these tests reach it beside the code, on the real database.
describe('TenantRegistry negative cache entries', () => {
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
