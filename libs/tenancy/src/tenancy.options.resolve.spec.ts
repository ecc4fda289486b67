import { describe, expect, it } from 'vitest';
import { HostTenantResolver } from './resolution/host-tenant.resolver.js';
import { TenancyConfigError } from './tenancy.errors.js';
import type { TenancyModuleOptions } from './tenancy.options.js';
import { resolveTenancyOptions } from './tenancy.options.resolve.js';

describe('resolveTenancyOptions', () => {
  it('applies the defaults', () => {
    const options = resolveTenancyOptions({});
    expect(options).toMatchObject({
      sharedSchema: 'public',
      cache: { max: 10_000, ttl: 60_000, negativeTtl: 10_000 },
      knownHosts: { enabled: true },
      trustProxy: false,
      sharedPaths: [],
      suspendedStatus: 403,
      migrations: { tableName: 'mikro_orm_migrations' },
      deletedRetention: 30 * 86_400_000,
    });
    expect(resolveTenancyOptions({ deletedRetention: 0 }).deletedRetention).toBe(0);
  });

  it.each<[unknown, RegExp]>([
    [{ cache: { max: 0 } }, /cache.max/],
    [{ cache: { ttl: 1.5 } }, /cache.ttl/],
    [{ suspendedStatus: 200 }, /suspendedStatus/],
    [{ deletedRetention: -1 }, /deletedRetention/],
    [{ deletedRetention: '30d' }, /deletedRetention/],
    [{ migrations: { tenant: {} } }, /migrations.tenant/],
    [{ migrations: { tableName: 'x;drop' } }, /tableName/],
    [{ sharedPaths: ['health'] }, /sharedPaths: "health" is not a path/],
    [{ sharedPaths: [/^\/health/g] }, /g or y flag/],
    [{ resolvers: [] }, /resolvers must be a non-empty array/],
    [{ resolvers: [{}] }, /resolve\(request\)/],
    [{ trustProxy: true, resolvers: [new HostTenantResolver()] }, /new HostTenantResolver\(true\)/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveTenancyOptions(options as TenancyModuleOptions)).toThrow(TenancyConfigError);
    expect(() => resolveTenancyOptions(options as TenancyModuleOptions)).toThrow(message);
  });
});
