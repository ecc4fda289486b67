import { setTimeout as sleep } from 'node:timers/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { countQueries, databaseUrl, sql, uniqueName } from './support/test-app.js';

/** The status of GET /whoami on `host`, polled until it is `status` or `withinMs` have passed. */
async function statusWithin(app: NestFastifyApplication, host: string, status: number, withinMs: number): Promise<number> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { statusCode } = await app.inject({ method: 'GET', url: '/whoami', ...tenantRequest(host) });
    if (statusCode === status || Date.now() > deadline) {
      return statusCode;
    }
    await sleep(50);
  }
}

/** Registry lookups among the counted statements (not the periodic known-hosts refresh). */
const lookups = (queries: { statements: string[] }) => queries.statements.filter((sql) => !sql.startsWith('select host from'));

/**
 * Changes written by another process that does not announce them (no directDatabaseUrl): the
 * registry sees them after cache.ttl, and new domains after knownHosts.refreshInterval.
 */
describe('registry caches expire (example app, real PostgreSQL)', () => {
  let app: NestFastifyApplication;
  const tenants: TenantDetails[] = [];

  beforeAll(async () => {
    app = await createExampleApp({
      databaseUrl: databaseUrl(),
      seed: false,
      logger: false,
      poolSize: 4,
      tenancy: { cache: { ttl: 2_000, max: 2 }, knownHosts: { refreshInterval: 3_000 } },
    });
    for (let i = 0; i < 4; i++) {
      tenants.push(await createTestTenant(app, { schema: uniqueName(`cache${i}`) }));
    }
  });

  afterAll(async () => {
    await dropTestTenants(
      app,
      tenants.map((tenant) => tenant.schema),
    );
    await app.close();
  });

  it('serves a cached tenant until cache.ttl has passed, then reads the registry again', async () => {
    const host = tenants[0].domains[0].host;
    expect(await statusWithin(app, host, 200, 0)).toBe(200);
    await sql(app, `update public.tenant set status = 'suspended' where schema = ?`, [tenants[0].schema]);
    expect(await statusWithin(app, host, 403, 0)).toBe(200);
    expect(await statusWithin(app, host, 403, 10_000)).toBe(403);
  });

  it('keeps at most cache.max lookups', async () => {
    const [, a, b, c] = tenants.map((tenant) => tenant.domains[0].host);
    for (const host of [a, b, c]) {
      expect(await statusWithin(app, host, 200, 0)).toBe(200);
    }
    const queries = countQueries(app);
    expect(await statusWithin(app, c, 200, 0)).toBe(200);
    expect(lookups(queries)).toHaveLength(0);
    expect(await statusWithin(app, a, 200, 0)).toBe(200); // the oldest entry was evicted
    expect(lookups(queries)).toHaveLength(1);
  });

  it('answers 404 for a domain added behind its back until the known-hosts filter is refreshed', async () => {
    const host = `${uniqueName('late').replaceAll('_', '-')}.test`;
    await sql(app, 'insert into public.domain (host, tenant_id, is_primary, created_at) values (?, ?, false, now())', [
      host,
      tenants[1].id,
    ]);
    const queries = countQueries(app);
    expect(await statusWithin(app, host, 200, 0)).toBe(404);
    expect(lookups(queries)).toHaveLength(0); // the filter knows the host is not registered
    expect(await statusWithin(app, host, 200, 10_000)).toBe(200);
  });
});
