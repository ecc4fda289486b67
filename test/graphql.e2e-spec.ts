import { request } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { dropTestTenants, runAsTenant } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { Task } from '../apps/example/src/entities/task.entity.js';
import { createGraphqlApp, graphql, TaskCounts } from './support/graphql-app.js';
import { createScratchDatabase, type ScratchDatabase } from './support/scratch-database.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.graphql.test`;

describe('GraphQL (mercurius) with the tenant of the request host', () => {
  let app: NestFastifyApplication;
  let tenancy: TenancyService;
  const prefix = uniqueName('gql');
  const [a, b, suspended] = ['a', 'b', 'z'].map((suffix) => `${prefix}_${suffix}`);
  const signedUp = `${prefix}_new`;

  beforeAll(async () => {
    app = await createGraphqlApp(databaseUrl());
    tenancy = app.get(TenancyService);
    for (const schema of [a, b, suspended]) {
      await tenancy.createTenant({ schema, name: `Tenant ${schema}`, domains: [hostOf(schema)] });
      await runAsTenant(app, schema, async (em) => {
        const first = em.create(Project, { name: `${schema} first` });
        em.create(Project, { name: `${schema} second` });
        // a: 2 + 0 tasks, b: 1 + 0 tasks — the counts tell the tenants apart too
        for (let i = 0; i < (schema === a ? 2 : 1); i++) {
          em.create(Task, { project: first, title: `${schema} task ${i}` });
        }
        await em.flush();
      });
    }
    await tenancy.suspend(suspended);
  });

  afterAll(async () => {
    await dropTestTenants(app, [a, b, suspended, signedUp]);
    await app.close();
  });

  it('a query reads the rows of the host tenant only, and mutations write there', async () => {
    const created = await graphql(app, hostOf(a), 'mutation { createProject(name: "made in a") { id name } }');
    expect(created.body.errors).toBeUndefined();
    const [ofA, ofB] = await Promise.all([a, b].map((schema) => graphql(app, hostOf(schema), '{ projects { name } whoami }')));
    expect(ofA.status).toBe(200);
    expect(ofA.body.data).toEqual({
      projects: [{ name: `${a} first` }, { name: `${a} second` }, { name: 'made in a' }],
      whoami: a,
    });
    expect(ofB.body.data).toEqual({ projects: [{ name: `${b} first` }, { name: `${b} second` }], whoami: b });
    await runAsTenant(app, a, async (em) => {
      await em.nativeDelete(Project, { name: 'made in a' });
    });
  });

  it('field resolvers see the same tenant and the same identity map as the query, for every field', async () => {
    const { body } = await graphql<{ projects: Record<string, unknown>[] }>(
      app,
      hostOf(b),
      '{ projects { name boundTenant currentTenant sameInstance } }',
    );
    expect(body.errors).toBeUndefined();
    expect(body.data?.projects).toEqual([
      { name: `${b} first`, boundTenant: b, currentTenant: b, sameInstance: true },
      { name: `${b} second`, boundTenant: b, currentTenant: b, sameInstance: true },
    ]);
  });

  it('a DataLoader kept per request context batches within one request and never serves another tenant', async () => {
    const counts = app.get(TaskCounts);
    counts.batches.length = 0;
    const query = '{ projects { name taskCount } }';
    const answers = await Promise.all([a, b, a, b].map((schema) => graphql(app, hostOf(schema), query)));
    const expected = {
      [a]: [
        { name: `${a} first`, taskCount: 2 },
        { name: `${a} second`, taskCount: 0 },
      ],
      [b]: [
        { name: `${b} first`, taskCount: 1 },
        { name: `${b} second`, taskCount: 0 },
      ],
    };
    expect(answers.map((answer) => answer.body.data?.projects)).toEqual([expected[a], expected[b], expected[a], expected[b]]);
    // one batch per request (both projects' counts at once), each on a loader of its own, bound to its tenant
    expect(counts.batches).toHaveLength(4);
    expect(new Set(counts.batches.map((batch) => batch.loader)).size).toBe(4);
    expect(counts.batches.map((batch) => batch.tenant).sort()).toEqual([a, a, b, b]);
    expect(counts.batches.every((batch) => batch.keys.length === 2)).toBe(true);
  });

  it.each([
    ['an unknown host', 'nobody.graphql.test', 404, 'NOT_FOUND', /No tenant is served at host "nobody.graphql.test"/],
    ['a malformed host', 'bad_host!.graphql.test', 400, 'BAD_REQUEST', /host/i],
    ['a suspended tenant', hostOf(suspended), 403, 'FORBIDDEN', new RegExp(`Tenant "${suspended}" is suspended`)],
  ])('%s: a GraphQL error with the status in its extensions, and no data', async (_case, host, statusCode, code, message) => {
    const { status, body } = await graphql(app, host, '{ projects { name } }');
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      {
        message: expect.stringMatching(message),
        locations: expect.any(Array),
        path: ['projects'],
        extensions: { code, statusCode },
      },
    ]);
  });

  it('over a real socket too: a POST to /graphql on a listening server reads its host tenant, and refuses an unknown host', async () => {
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const post = (host: string, query: string) =>
      new Promise<{ status: number; body: { data: unknown; errors?: { extensions?: unknown }[] } }>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { host, 'content-type': 'application/json' } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
            );
          },
        );
        req.once('error', reject);
        req.end(JSON.stringify({ query }));
      });
    const [ofA, ofB, unknown] = await Promise.all([
      post(hostOf(a), '{ projects { name } }'),
      post(hostOf(b), '{ projects { name } }'),
      post('nobody.graphql.test', '{ projects { name } }'),
    ]);
    expect(ofA).toEqual({ status: 200, body: { data: { projects: [{ name: `${a} first` }, { name: `${a} second` }] } } });
    expect(ofB).toEqual({ status: 200, body: { data: { projects: [{ name: `${b} first` }, { name: `${b} second` }] } } });
    expect(unknown.status).toBe(200);
    expect(unknown.body.data).toBeNull();
    expect(unknown.body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', statusCode: 404 });
  });

  it('the refusal of a mutation carries the same extensions', async () => {
    const { body } = await graphql(app, 'nobody.graphql.test', 'mutation { createProject(name: "x") { id } }');
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'NOT_FOUND', statusCode: 404 });
  });

  it("a @SharedRoute() resolver runs unbound on any host, and the library's errors in it carry their status", async () => {
    for (const host of ['nobody.graphql.test', hostOf(a)]) {
      const { body } = await graphql(app, host, '{ health sharedIsUnbound }');
      expect(body).toEqual({ data: { health: 'ok', sharedIsUnbound: true } });
    }
    const signup = 'mutation ($schema: String!, $domain: String!) { signup(schema: $schema, domain: $domain) { schema } }';
    const created = await graphql(app, 'signup.graphql.test', signup, { schema: signedUp, domain: hostOf(signedUp) });
    expect(created.body).toEqual({ data: { signup: { schema: signedUp } } });
    const taken = await graphql(app, 'signup.graphql.test', signup, { schema: signedUp, domain: 'other.graphql.test' });
    expect(taken.body.errors).toEqual([expect.objectContaining({ extensions: { code: 'CONFLICT', statusCode: 409 } })]);
    expect(taken.body.errors?.[0]?.message).toMatch(/already exists/);
  });

  it('@SharedRoute() on one method: that query is shared, the others of the resolver are tenant queries', async () => {
    for (const host of ['nobody.graphql.test', hostOf(a)]) {
      const shared = await graphql(app, host, '{ version }');
      expect(shared.body).toEqual({ data: { version: 'v1 (unbound)' } });
    }
    const tenant = await graphql(app, hostOf(a), '{ tenantName }');
    expect(tenant.body).toEqual({ data: { tenantName: `Tenant ${a} at ${hostOf(a)}` } });
    const refused = await graphql(app, 'nobody.graphql.test', '{ version tenantName }');
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.map((error) => [error.path, error.extensions])).toEqual([
      [['tenantName'], { code: 'NOT_FOUND', statusCode: 404 }],
    ]);
  });
});

describe('GraphQL when the tenant registry does not exist yet', () => {
  let database: ScratchDatabase;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    database = await createScratchDatabase('gql_unmigrated');
    app = await createGraphqlApp(database.url, { poolSize: 2, migrate: false });
  });

  afterAll(async () => {
    await app?.close();
    await database?.drop();
  });

  it('answers a GraphQL error with 503 in its extensions, saying to run the shared migrations', async () => {
    const { body } = await graphql(app, 'acme.graphql.test', '{ projects { name } }');
    expect(body.errors).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/npx tenancy migrate --shared/),
        extensions: { code: 'SERVICE_UNAVAILABLE', statusCode: 503 },
      }),
    ]);
  });
});
