import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleApp } from '../apps/example/src/app.factory.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

describe('example app: GraphQL at /graphql, per tenant like the REST routes', () => {
  let app: NestFastifyApplication;
  const schemas = [uniqueName('exgql_a'), uniqueName('exgql_g')];
  const hosts: string[] = [];

  beforeAll(async () => {
    app = await createExampleApp({ databaseUrl: databaseUrl(), graphql: true, seed: false, logger: false, poolSize: 3 });
    for (const schema of schemas) {
      hosts.push((await createTestTenant(app, { schema })).domains[0].host);
    }
  });

  afterAll(async () => {
    await dropTestTenants(app, schemas);
    await app.close();
  });

  const graphql = async (host: string, query: string, variables?: object) => {
    const response = await app.inject({ method: 'POST', url: '/graphql', payload: { query, variables }, ...tenantRequest(host) });
    return response.json<{
      data?: Record<string, unknown> | null;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    }>();
  };

  it('queries, mutations and field resolvers see the request tenant only', async () => {
    const [acme, globex] = hosts;
    const created = await graphql(acme, 'mutation ($n: String!) { createProject(name: $n) { id name } }', { n: 'gql project' });
    expect(created.errors).toBeUndefined();
    const id = (created.data?.createProject as { id: number }).id;
    await app.inject({ method: 'POST', url: `/projects/${id}/tasks`, payload: { title: 'a task' }, ...tenantRequest(acme) });

    expect((await graphql(acme, '{ tenant { schema } projectList { name tasks { title } } }')).data).toEqual({
      tenant: { schema: schemas[0] },
      projectList: [{ name: 'gql project', tasks: [{ title: 'a task' }] }],
    });
    expect((await graphql(globex, '{ tenant { schema } projectList { name } }')).data).toEqual({
      tenant: { schema: schemas[1] },
      projectList: [],
    });
    // REST sees what GraphQL wrote, in the same tenant only
    expect((await app.inject({ method: 'GET', url: '/projects', ...tenantRequest(acme) })).json()).toHaveLength(1);
  });

  it('an unknown host is refused with the 404 in the error extensions; a shared query needs no tenant', async () => {
    const unknown = await graphql('nobody.example.test', '{ projectList { name } }');
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { statusCode: 404 } });
    expect((await graphql('nobody.example.test', '{ health }')).data).toEqual({ health: 'ok' });
  });
});
