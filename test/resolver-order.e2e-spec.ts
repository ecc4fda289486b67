import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HeaderTenantResolver, HostTenantResolver, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, uniqueName } from './support/test-app.js';

describe('resolvers are tried in the order given', () => {
  let app: NestFastifyApplication;
  let byHost: TenantDetails;
  let byHeader: TenantDetails;

  beforeAll(async () => {
    app = await createTestApp(3, { resolvers: [new HeaderTenantResolver('x-tenant'), new HostTenantResolver()] });
    byHost = await createTestTenant(app, { schema: uniqueName('order_host') });
    byHeader = await createTestTenant(app, { schema: uniqueName('order_header') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [byHost.schema, byHeader.schema]);
    await app.close();
  });

  const whoami = async (headers: Record<string, string>) => {
    const response = await app.inject({ method: 'GET', url: '/whoami', headers });
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { tenant: { schema: string } }).tenant.schema;
  };

  it('the first resolver that finds a lookup wins: the header over the host naming another tenant', async () => {
    expect(await whoami({ host: byHost.domains[0].host, 'x-tenant': byHeader.schema })).toBe(byHeader.schema);
  });

  it('falls through to the next resolver when the first finds nothing', async () => {
    expect(await whoami({ host: byHost.domains[0].host })).toBe(byHost.schema);
  });
});
