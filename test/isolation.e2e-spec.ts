import { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  CrossTenantAccessError,
  NoTenantBoundError,
  TenancyService,
  TenantNotActiveError,
  TenantNotFoundError,
  type TenantDetails,
} from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { Task } from '../apps/example/src/entities/task.entity.js';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

describe('request isolation (example app, real PostgreSQL)', () => {
  let app: NestFastifyApplication;
  let a: TenantDetails;
  let b: TenantDetails;
  let hostA: string;
  let hostB: string;

  beforeAll(async () => {
    app = await createTestApp();
    a = await createTestTenant(app, { schema: uniqueName('iso_a') });
    b = await createTestTenant(app, { schema: uniqueName('iso_b') });
    hostA = a.domains[0].host;
    hostB = b.domains[0].host;
  });

  afterAll(async () => {
    await dropTestTenants(app, [a.schema, b.schema]);
    await app.close();
  });

  const request = (host: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, ...tenantRequest(host), ...(payload ? { payload } : {}) });

  it('gives each tenant only its own rows', async () => {
    expect((await request(hostA, 'POST', '/projects', { name: 'alpha' })).statusCode).toBe(201);
    expect((await request(hostB, 'POST', '/projects', { name: 'beta', description: 'b' })).statusCode).toBe(201);
    const listA = (await request(hostA, 'GET', '/projects')).json<{ name: string }[]>();
    const listB = (await request(hostB, 'GET', '/projects')).json<{ name: string }[]>();
    expect(listA.map((p) => p.name)).toEqual(['alpha']);
    expect(listB.map((p) => p.name)).toEqual(['beta']);
    const [{ id }] = (await request(hostA, 'GET', '/projects')).json<{ id: number }[]>();
    // the same id in the other tenant is another row (or none): ids are per schema
    const other = await request(hostB, 'GET', `/projects/${id}`);
    expect(other.json<{ name?: string }>().name).not.toBe('alpha');
  });

  it('serves tasks, patches and deletes within the tenant', async () => {
    const project = (await request(hostA, 'POST', '/projects', { name: 'with tasks' })).json<{ id: number }>();
    const task = await request(hostA, 'POST', `/projects/${project.id}/tasks`, { title: 'write tests' });
    expect(task.statusCode).toBe(201);
    expect(task.json()).toMatchObject({ projectId: project.id, title: 'write tests', done: false });
    const done = await request(hostA, 'PATCH', `/tasks/${task.json<{ id: number }>().id}`, { done: true });
    expect(done.json()).toMatchObject({ done: true });
    expect((await request(hostB, 'GET', `/projects/${project.id}/tasks`)).statusCode).toBe(404);
    expect((await request(hostA, 'PATCH', `/projects/${project.id}`, { name: 'renamed' })).json()).toMatchObject({
      name: 'renamed',
    });
    expect((await request(hostA, 'DELETE', `/projects/${project.id}`)).statusCode).toBe(204);
    expect((await request(hostA, 'GET', `/projects/${project.id}`)).statusCode).toBe(404);
  });

  it('answers /whoami with the tenant of the host, whatever its case, port or trailing dot', async () => {
    for (const host of [hostA, hostA.toUpperCase(), `${hostA}:8080`, `${hostA}.`]) {
      const response = await request(host, 'GET', '/whoami');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ tenant: { id: a.id, schema: a.schema, name: a.name } });
    }
  });

  it('answers 404 JSON for an unknown host', async () => {
    const response = await request('nobody.example.test', 'GET', '/projects');
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it.each(['bad host', 'a..b', 'x.test:99999', '[zz::1]', '[fe80::1%1]', 'evil.test/path'])(
    'answers 400 JSON for malformed host %j',
    async (host) => {
      const response = await request(host, 'GET', '/projects');
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    },
  );

  it('answers 403 JSON for a suspended tenant at once, and serves it again after resume', async () => {
    const tenancy = app.get(TenancyService);
    expect((await request(hostB, 'GET', '/whoami')).statusCode).toBe(200);
    await tenancy.suspend(b.schema);
    const response = await request(hostB, 'GET', '/projects');
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    await tenancy.resume(b.schema);
    expect((await request(hostB, 'GET', '/projects')).statusCode).toBe(200);
  });

  it('stops serving a removed domain at once and serves an added one', async () => {
    const tenancy = app.get(TenancyService);
    const extra = `${uniqueName('extra').replaceAll('_', '-')}.test`;
    expect((await request(extra, 'GET', '/whoami')).statusCode).toBe(404);
    await tenancy.addDomain(a.schema, extra);
    expect((await request(extra, 'GET', '/whoami')).json()).toMatchObject({ tenant: { schema: a.schema } });
    await tenancy.removeDomain(extra);
    expect((await request(extra, 'GET', '/whoami')).statusCode).toBe(404);
  });

  it('runs shared routes with no tenant, on any host', async () => {
    for (const host of ['unknown.example.test', hostA]) {
      const response = await request(host, 'GET', '/health');
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    }
  });

  it('binds a tenant outside HTTP with run()', async () => {
    const tenancy = app.get(TenancyService);
    const names = await tenancy.run(a.schema, async (em) => {
      expect(tenancy.current()?.schema).toBe(a.schema);
      return (await em.find(Project, {})).map((p) => p.name);
    });
    expect(names).toContain('alpha');
    expect(names).not.toContain('beta');
    const nested = await tenancy.run(a.schema, () =>
      tenancy.run(b.schema, async (em) => (await em.find(Project, {})).map((p) => p.name)),
    );
    expect(nested).toEqual(['beta']);
    expect(tenancy.current()).toBeUndefined();
  });

  it('refuses run() for a suspended or unknown tenant unless asked, and re-reads the registry', async () => {
    const tenancy = app.get(TenancyService);
    await tenancy.suspend(b.schema);
    try {
      await expect(tenancy.run(b.schema, () => 'ran')).rejects.toThrow(TenantNotActiveError);
      await expect(tenancy.run(b, () => 'ran')).rejects.toThrow(TenantNotActiveError);
      await expect(tenancy.run(b.schema, () => 'ran', { allowSuspended: true })).resolves.toBe('ran');
    } finally {
      await tenancy.resume(b.schema);
    }
    await expect(tenancy.run('no_such_tenant', () => 'ran')).rejects.toThrow(TenantNotFoundError);
    await expect(tenancy.run({ ...a, schema: 'public' }, () => 'ran')).rejects.toThrow(TenantNotFoundError);
  });

  it('answers 400 JSON for a NUL character or a wrong type in a body', async () => {
    for (const payload of [{ name: 'a\u0000b' }, { name: 42 }, { name: '' }, { name: 'x'.repeat(201) }]) {
      const response = await request(hostA, 'POST', '/projects', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect((await request(hostA, 'GET', '/projects/abc')).statusCode).toBe(400);
    expect((await request(hostA, 'GET', '/projects?limit=1000')).statusCode).toBe(400);
    expect((await request(hostA, 'PATCH', '/tasks/1', { done: 'yes' })).statusCode).toBe(400);
  });
});

describe('fail closed (no tenant bound)', () => {
  let app: NestFastifyApplication;
  let orm: MikroORM;
  let a: TenantDetails;
  let b: TenantDetails;

  beforeAll(async () => {
    app = await createTestApp();
    orm = app.get(MikroORM);
    a = await createTestTenant(app, { schema: uniqueName('fc_a') });
    b = await createTestTenant(app, { schema: uniqueName('fc_b') });
    await app.get(TenancyService).run(a.schema, async (em) => {
      em.create(Project, { name: 'a-secret', createdAt: new Date() });
      await em.flush();
    });
    // decoy copies of the tenant tables in the shared schema: nothing may read or write them
    await sql(
      app,
      'create table if not exists public.project (id serial primary key, name text, description text, created_at timestamptz default now())',
    );
    await sql(
      app,
      'create table if not exists public.task (id serial primary key, project_id int, title text, done boolean default false, created_at timestamptz default now())',
    );
    await sql(app, `insert into public.project (name) values ('decoy')`);
  });

  afterAll(async () => {
    await sql(app, 'drop table if exists public.task, public.project');
    await dropTestTenants(app, [a.schema, b.schema]);
    await app.close();
  });

  it('refuses a tenant entity on an unbound fork, naming the entity and how to bind', async () => {
    const em = orm.em.fork();
    await expect(em.find(Project, {})).rejects.toThrow(NoTenantBoundError);
    await expect(em.find(Project, {})).rejects.toThrow(/Project is a tenant entity.*TenancyService\.run/);
    await expect(em.count(Task, {})).rejects.toThrow(NoTenantBoundError);
    await expect(em.fork({ schema: '*' }).find(Project, {})).rejects.toThrow(NoTenantBoundError);
  });

  it('refuses writes with no tenant bound and leaves the shared schema untouched', async () => {
    const em = orm.em.fork();
    em.create(Project, { name: 'leak', createdAt: new Date() });
    await expect(em.flush()).rejects.toThrow(NoTenantBoundError);
    await expect(em.insert(Project, { name: 'leak', createdAt: new Date() })).rejects.toThrow(NoTenantBoundError);
    await expect(em.nativeUpdate(Project, {}, { name: 'leak' })).rejects.toThrow(NoTenantBoundError);
    await expect(em.nativeDelete(Project, {})).rejects.toThrow(NoTenantBoundError);
    await expect((em as SqlEntityManager).createQueryBuilder(Project).select('*').execute()).rejects.toThrow(NoTenantBoundError);
    const rows = await sql<{ name: string }>(app, 'select name from public.project');
    expect(rows.map((r) => r.name)).toEqual(['decoy']);
  });

  it('refuses hand-written SQL on unqualified tenant tables, even inside a tenant', async () => {
    await expect(orm.em.fork().getConnection().execute('select * from project')).rejects.toThrow(NoTenantBoundError);
    await expect(
      app.get(TenancyService).run(a.schema, (em) => em.getConnection().execute('select * from project')),
    ).rejects.toThrow(NoTenantBoundError);
  });

  it('refuses SQL naming another tenant while one is bound', async () => {
    const tenancy = app.get(TenancyService);
    await expect(tenancy.run(b.schema, (em) => em.fork({ schema: a.schema }).find(Project, {}))).rejects.toThrow(
      CrossTenantAccessError,
    );
    // an entity loaded as tenant A, changed and flushed while B is bound
    const project = await tenancy.run(a.schema, async (em) => em.findOneOrFail(Project, { name: 'a-secret' }));
    await expect(
      tenancy.run(b.schema, async (em) => {
        project.name = 'overwritten by b';
        em.persist(project);
        await em.flush();
      }),
    ).rejects.toThrow(CrossTenantAccessError);
    const name = await tenancy.run(a.schema, async (em) => (await em.findOneOrFail(Project, { id: project.id })).name);
    expect(name).toBe('a-secret');
  });

  it('answers a tenant route with no tenant only through a bound context (the guard binds it)', async () => {
    const response = await app.inject({ method: 'GET', url: '/projects', headers: { host: a.domains[0].host } });
    expect(response.json<{ name: string }[]>().map((p) => p.name)).toEqual(['a-secret']);
  });
});
