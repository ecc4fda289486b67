import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService, TenantNotFoundError } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectsService } from '../apps/example/src/projects/projects.service.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

/**
 * A tenant deleted behind this process's back (no change notification reaches it: another
 * database, a notifier that is down, hand-written SQL) stays in its cache for `cache.ttl`. Its
 * queries then fail with "relation does not exist": the library must answer that as "no such
 * tenant", never a 500 — and only when the registry, read again, says so.
 */
describe('a tenant deleted without a notification', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const schemas: string[] = [];

  beforeAll(async () => {
    app = await createTestApp(2);
    tenancy = app.get(TenancyService);
  });

  afterAll(async () => {
    await dropTestTenants(app, schemas);
    await app.close();
  });

  async function cachedTenant(): Promise<{ schema: string; host: string }> {
    const schema = uniqueName('gone');
    const host = `${schema.replaceAll('_', '-')}.gone.test`;
    await tenancy.createTenant({ schema, domains: [host] });
    schemas.push(schema);
    expect((await app.inject({ method: 'GET', url: '/projects', headers: { host } })).statusCode).toBe(200);
    return { schema, host };
  }

  /** Deletes the tenant as another process would, with no NOTIFY. */
  async function deleteSilently(schema: string, options: { keepRow?: boolean } = {}): Promise<void> {
    if (!options.keepRow) {
      await sql(app, 'delete from public.domain where tenant_id = (select id from public.tenant where schema = ?)', [schema]);
      await sql(app, 'delete from public.tenant where schema = ?', [schema]);
    }
    await sql(app, `drop schema "${schema}" cascade`);
  }

  it.each([
    ['a read', { method: 'GET' as const, url: '/projects' }],
    ['a write', { method: 'POST' as const, url: '/projects', payload: { name: 'p' } }],
  ])('answers 404 over HTTP for %s, and forgets the tenant', async (_case, request) => {
    const { schema, host } = await cachedTenant();
    await deleteSilently(schema);
    const response = await app.inject({ ...request, headers: { host } });
    expect(response.statusCode, response.body).toBe(404);
    expect(response.json()).toEqual({ statusCode: 404, error: 'Not Found', message: `Tenant "${schema}" no longer exists.` });
    // the next request is answered by the guard, from the registry: the host is unknown
    const after = await app.inject({ method: 'GET', url: '/projects', headers: { host } });
    expect(after.json()).toEqual({ statusCode: 404, error: 'Not Found', message: `No tenant is served at host "${host}".` });
  });

  it('throws TenantNotFoundError in code run with run() (a job)', async () => {
    const { schema } = await cachedTenant();
    const projects = app.get(ProjectsService);
    await tenancy.run(schema, async () => {
      await deleteSilently(schema);
      const error: unknown = await projects.list(5).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TenantNotFoundError);
      expect((error as Error).cause).toMatchObject({ code: '42P01' });
    });
  });

  it('leaves the error as it is when the tenant still exists (a missing table is a server error)', async () => {
    const { schema, host } = await cachedTenant();
    await deleteSilently(schema, { keepRow: true });
    const response = await app.inject({ method: 'GET', url: '/projects', headers: { host } });
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: expect.any(String) });
  });
});
