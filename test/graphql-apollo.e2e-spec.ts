import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService } from 'nestjs-tenancy';
import { dropTestTenants, runAsTenant } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Project } from '../apps/example/src/entities/project.entity.js';
import { createGraphqlApp, graphql } from './support/graphql-app.js';
import { databaseUrl, uniqueName } from './support/test-app.js';

const hostOf = (schema: string) => `${schema.replaceAll('_', '-')}.apollo.test`;

describe('GraphQL on Apollo (Fastify integration) with the tenant of the request host', () => {
  let app: NestFastifyApplication;
  const prefix = uniqueName('apollo');
  const [a, b, suspended] = ['a', 'b', 'z'].map((suffix) => `${prefix}_${suffix}`);

  beforeAll(async () => {
    app = await createGraphqlApp(databaseUrl(), { driver: 'apollo' });
    const tenancy = app.get(TenancyService);
    for (const schema of [a, b, suspended]) {
      await tenancy.createTenant({ schema, domains: [hostOf(schema)] });
      await runAsTenant(app, schema, async (em) => {
        em.create(Project, { name: `${schema} only` });
        await em.flush();
      });
    }
    await tenancy.suspend(suspended);
  });

  afterAll(async () => {
    await dropTestTenants(app, [a, b, suspended]);
    await app.close();
  });

  it('queries and field resolvers read the host tenant only', async () => {
    const answers = await Promise.all(
      [a, b].map((schema) => graphql(app, hostOf(schema), '{ projects { name boundTenant sameInstance } whoami }')),
    );
    expect(answers.map((answer) => answer.body)).toEqual(
      [a, b].map((schema) => ({
        data: { projects: [{ name: `${schema} only`, boundTenant: schema, sameInstance: true }], whoami: schema },
      })),
    );
  });

  // Nest's Apollo driver rewrites `code` of HttpExceptions (autoTransformHttpErrors): 400 and 403 keep
  // theirs, others become INTERNAL_SERVER_ERROR; the library's `statusCode` is kept on both drivers
  it.each([
    ['an unknown host', 'nobody.apollo.test', 404, 'INTERNAL_SERVER_ERROR'],
    ['a malformed host', 'bad_host!.apollo.test', 400, 'BAD_REQUEST'],
    ['a suspended tenant', hostOf(suspended), 403, 'FORBIDDEN'],
  ])('%s: a GraphQL error with statusCode %i in its extensions', async (_case, host, statusCode, code) => {
    const { body } = await graphql(app, host, '{ projects { name } }');
    expect(body.data).toBeNull();
    expect(body.errors).toEqual([
      expect.objectContaining({ path: ['projects'], extensions: expect.objectContaining({ statusCode, code }) }),
    ]);
  });

  it('@SharedRoute() resolvers run unbound on any host', async () => {
    const { body } = await graphql(app, 'nobody.apollo.test', '{ health sharedIsUnbound version }');
    expect(body).toEqual({ data: { health: 'ok', sharedIsUnbound: true, version: 'v1 (unbound)' } });
  });
});
