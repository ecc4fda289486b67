import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InvalidSchemaNameError, TenancyService } from 'nestjs-tenancy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, sql, uniqueName } from './support/test-app.js';

// PostgreSQL's default search_path is "$user", public: a tenant schema named like a role would be
// on the path of that role's sessions, where any unqualified SQL reaches it.
describe('a tenant schema named like a database role', () => {
  let app: NestFastifyApplication;
  const role = uniqueName('role');

  beforeAll(async () => {
    app = await createTestApp();
    await sql(app, `create role ${role} nologin`);
  });

  afterAll(async () => {
    await sql(app, `drop role if exists ${role}`);
    await app.close();
  });

  it('is refused with the reason, and nothing is created', async () => {
    for (const schema of ['postgres', role]) {
      const error = await app
        .get(TenancyService)
        .createTenant({ schema, domains: [`${schema.replaceAll('_', '-')}.roles.test`] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidSchemaNameError);
      expect((error as Error).message).toMatch(/a database role has this name.*search_path/);
      expect(await sql(app, 'select 1 from pg_namespace where nspname = ?', [schema])).toEqual([]);
      expect(await sql(app, 'select 1 from public.tenant where schema = ?', [schema])).toEqual([]);
    }
  });

  it('answers 400 JSON on signup', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/signup',
      headers: { host: 'localhost' },
      payload: { schema: role, name: 'Role', domain: 'role-signup.roles.test' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/database role/),
    });
  });
});
