import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { databaseUrl, sql, uniqueName } from './support/test-app.js';

/** The channel processes of one app announce registry changes on (the library's wire format). */
const CHANNEL = 'nestjs_tenancy';
/** Another process's id, as the library writes it (a UUID). */
const ORIGIN = randomUUID();

/** Polls `probe` until it returns `expected` or `timeoutMs` passes; returns the last value. */
async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (value !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    value = await probe();
  }
  return value;
}

/**
 * Change messages written by another process straight into PostgreSQL (`pg_notify`): the
 * listening app applies the fields it understands, and ignores what it cannot read.
 */
describe('tenant change messages from other processes (LISTEN/NOTIFY)', () => {
  let app: NestFastifyApplication;
  let tenant: TenantDetails;

  beforeAll(async () => {
    // long TTLs: only a message can make the app forget what it cached
    app = await createExampleApp({
      databaseUrl: databaseUrl(),
      seed: false,
      logger: false,
      poolSize: 3,
      tenancy: {
        directDatabaseUrl: databaseUrl(),
        cache: { ttl: 600_000, negativeTtl: 600_000 },
        knownHosts: { refreshInterval: 600_000 },
      },
    });
    tenant = await createTestTenant(app, { schema: uniqueName('msg') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [tenant.schema]);
    await app.close();
  });

  const status = (host: string) => async () =>
    (await app.inject({ method: 'GET', url: '/whoami', ...tenantRequest(host) })).statusCode;
  const notify = (payload: string) => sql(app, 'select pg_notify(?, ?)', [CHANNEL, payload]);

  it('forgets a tenant named by its id, after ignoring messages it cannot read or that name it by a string', async () => {
    const host = tenant.domains[0].host;
    expect(await status(host)()).toBe(200);
    await sql(app, `update public.tenant set status = 'suspended' where id = ?`, [tenant.id]);
    await notify('not json');
    await notify(JSON.stringify({ origin: ORIGIN, tenantId: String(tenant.id) }));
    await notify(JSON.stringify({ origin: ORIGIN, hosts: 'not a list', schema: 42 }));
    // messages arrive in order: once the app has read the last one, it has read the others
    const probe = `${uniqueName('probe').replaceAll('_', '-')}.test`;
    expect(await status(probe)()).toBe(404);
    await sql(app, 'insert into public.domain (host, tenant_id, is_primary, created_at) values (?, ?, false, now())', [
      probe,
      tenant.id,
    ]);
    // a message with one unreadable field is ignored as a whole; a readable one is applied
    await notify(JSON.stringify({ origin: ORIGIN, hosts: [42, probe] }));
    await notify(JSON.stringify({ origin: ORIGIN, hosts: [probe] }));
    expect(await eventually(status(probe), 403)).toBe(403);
    expect(await status(host)()).toBe(200); // still cached: no readable message named the tenant
    await notify(JSON.stringify({ origin: ORIGIN, tenantId: tenant.id }));
    expect(await eventually(status(host), 403)).toBe(403);
  });
});
