import { randomBytes } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countQueries, createTestApp, uniqueName } from './support/test-app.js';

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
