import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HostTenantResolver, SubdomainTenantResolver, TenancyConfigError, TenancyService } from 'nestjs-tenancy';
import { dropTestTenants } from 'nestjs-tenancy/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countQueries, createTestApp, uniqueName } from './support/test-app.js';

describe('SubdomainTenantResolver: {schema}.{base domain}, no domain rows', () => {
  let app: NestFastifyApplication;
  let strict: NestFastifyApplication;
  const schema = uniqueName('sub');
  const label = schema.replaceAll('_', '-');
  const custom = `${label}.custom-domain.test`;

  beforeAll(async () => {
    app = await createTestApp(3, {
      resolvers: [new SubdomainTenantResolver('App.Test', { ignoreWww: true }), new HostTenantResolver()],
    });
    strict = await createTestApp(2, { resolvers: [new SubdomainTenantResolver('app.test')] });
    // its only domain row is a custom domain: the subdomain needs none
    await app.get(TenancyService).createTenant({ schema, domains: [custom] });
    // the other app hears of it by NOTIFY, soon; the test does not wait for that
    await strict.get(TenancyService).reloadRegistry();
  });

  afterAll(async () => {
    await dropTestTenants(app, [schema]);
    await Promise.all([app.close(), strict.close()]);
  });

  const get = (target: NestFastifyApplication, host: string) =>
    target.inject({ method: 'GET', url: '/whoami', headers: { host } });
  const tenantAt = async (target: NestFastifyApplication, host: string) => {
    const response = await get(target, host);
    expect(response.statusCode, `${host}: ${response.body}`).toBe(200);
    return response.json<{ tenant: { schema: string } }>().tenant.schema;
  };

  it('resolves the subdomain (hyphens read as underscores, any case, a port) to the schema', async () => {
    expect(await tenantAt(app, `${label}.app.test`)).toBe(schema);
    expect(await tenantAt(app, `${label.toUpperCase()}.APP.test:8443`)).toBe(schema);
    expect(await tenantAt(strict, `${label}.app.test`)).toBe(schema);
  });

  it('leaves other hosts to the next resolver: a custom domain resolves by its domain row', async () => {
    expect(await tenantAt(app, custom)).toBe(schema);
    expect((await get(strict, custom)).statusCode).toBe(404);
  });

  it('www. is the same tenant only when asked', async () => {
    expect(await tenantAt(app, `www.${label}.app.test`)).toBe(schema);
    expect((await get(strict, `www.${label}.app.test`)).statusCode).toBe(404);
  });

  it('the base domain, deeper subdomains and unknown subdomains answer 404; a malformed host 400', async () => {
    for (const host of ['app.test', `x.${label}.app.test`, 'nobody-here.app.test', `${label}x.app.test`]) {
      const response = await get(app, host);
      expect(response.statusCode, host).toBe(404);
      expect(response.json()).toMatchObject({ statusCode: 404 });
    }
    expect((await get(app, 'bad host.app.test')).statusCode).toBe(400);
  });

  it('a flood of unknown subdomains costs no database query (the known-hosts filter holds the schemas too)', async () => {
    await app.get(TenancyService).reloadRegistry();
    const queries = countQueries(app);
    for (let i = 0; i < 300; i++) {
      expect((await get(app, `random-${i}-${uniqueName('x').slice(2)}.app.test`)).statusCode).toBe(404);
    }
    expect(queries.count).toBe(0);
    // a tenant created now is served at once, though the filter was built before
    const late = uniqueName('sub_late');
    await app.get(TenancyService).createTenant({ schema: late, domains: [`${late.replaceAll('_', '-')}.custom-domain.test`] });
    try {
      expect(await tenantAt(app, `${late.replaceAll('_', '-')}.app.test`)).toBe(late);
      // code that names the tenant itself (run(), jobs) reads the registry, not the filter: another
      // app, which heard nothing of the new tenant, finds it at once
      expect(await strict.get(TenancyService).run(late, () => strict.get(TenancyService).current()?.schema)).toBe(late);
    } finally {
      await dropTestTenants(app, [late]);
    }
  });

  it('refuses a base domain that is not a host name', () => {
    for (const base of ['', 'localhost:3000', 'not a domain', 'single']) {
      expect(() => new SubdomainTenantResolver(base), base).toThrow(TenancyConfigError);
    }
  });
});
