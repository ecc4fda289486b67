import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TenancyService, type TenantDetails } from 'nestjs-tenancy';
import { createTestTenant, dropTestTenants, tenantRequest } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pauseStatements } from './support/paused-statements.js';
import { createTestApp, uniqueName } from './support/test-app.js';

describe('the known-hosts filter keeps domains added while it reloads', () => {
  let app: NestFastifyApplication;
  let tenant: TenantDetails;

  beforeAll(async () => {
    // the filter on, and no periodic reload during the test: only the one the test starts
    app = await createTestApp(3, { knownHosts: { enabled: true, refreshInterval: 600_000 } });
    tenant = await createTestTenant(app, { schema: uniqueName('reload') });
  });

  afterAll(async () => {
    await dropTestTenants(app, [tenant.schema]);
    await app.close();
  });

  it('serves a domain whose addDomain committed after the reload read the domains, before it finished', async () => {
    const tenancy = app.get(TenancyService);
    const host = `raced.${tenant.schema.replaceAll('_', '-')}.test`;
    const paused = await pauseStatements(app, /^select host from "public"\."domain" union all /);
    let reloading: Promise<void> | undefined;
    try {
      reloading = tenancy.reloadRegistry();
      await paused.blocked(); // the reload has read the domain table, without the new domain
      await tenancy.addDomain(tenant.schema, host);
    } finally {
      await paused.release();
    }
    await reloading;
    const response = await app.inject({ method: 'GET', url: '/whoami', ...tenantRequest(host) });
    expect(response.statusCode, response.body).toBe(200);
  });
});
