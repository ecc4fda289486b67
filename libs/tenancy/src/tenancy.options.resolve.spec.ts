import { describe, expect, it } from 'vitest';
import { TenancyConfigError } from './tenancy.errors.js';
import { resolveTenancyOptions } from './tenancy.options.resolve.js';

describe('resolveTenancyOptions', () => {
  it('applies the defaults', () => {
    const options = resolveTenancyOptions({});
    expect(options).toMatchObject({
      sharedSchema: 'public',
      cache: { max: 10_000, ttl: 60_000, negativeTtl: 10_000 },
      knownHosts: { enabled: true },
      trustProxy: false,
      suspendedStatus: 403,
      migrations: { tableName: 'mikro_orm_migrations' },
    });
  });

  it.each([
    [{ cache: { max: 0 } }, /cache.max/],
    [{ cache: { ttl: 1.5 } }, /cache.ttl/],
    [{ suspendedStatus: 200 }, /suspendedStatus/],
    [{ migrations: { tenant: {} } }, /migrations.tenant/],
    [{ migrations: { tableName: 'x;drop' } }, /tableName/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveTenancyOptions(options)).toThrow(TenancyConfigError);
    expect(() => resolveTenancyOptions(options)).toThrow(message);
  });
});
