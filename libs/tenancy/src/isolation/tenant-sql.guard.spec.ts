import { describe, expect, it } from 'vitest';
import { UNBOUND_SCHEMA } from '../tenancy.constants.js';
import { CrossTenantAccessError, NoTenantBoundError } from '../tenancy.errors.js';
import { TenantSqlGuard } from './tenant-sql.guard.js';

const tables = new Map([
  ['project', 'Project'],
  ['task', 'Task'],
]);

describe('TenantSqlGuard', () => {
  const bound = (schema?: string) => new TenantSqlGuard(tables, () => schema);

  it('passes shared tables and qualified tenant tables of the bound schema', () => {
    expect(bound().check('select * from "public"."tenant" where id = $1')).toContain('tenant');
    expect(() =>
      bound('acme').check('select "p0".* from "acme"."project" as "p0" left join "acme"."task" as "t1" on 1=1'),
    ).not.toThrow();
    expect(() => bound('acme').check('insert into "acme"."task" ("title") values ($1)')).not.toThrow();
  });

  it.each([
    'select * from project',
    'select * from "project"',
    `select "p0".* from "${UNBOUND_SCHEMA}"."project" as "p0"`,
    'update "task" set done = true',
    'delete from task where id = 1',
    'insert into task (title) values (1)',
    'select * from "public"."tenant" t join project p on true',
  ])('refuses %s with no tenant bound', (sql) => {
    expect(() => bound().check(sql)).toThrow(NoTenantBoundError);
    expect(() => bound('acme').check(sql)).toThrow(NoTenantBoundError);
  });

  it('refuses another tenant schema', () => {
    expect(() => bound('acme').check('select * from "globex"."project"')).toThrow(CrossTenantAccessError);
    expect(() => bound('acme').check('update "globex"."task" set done = true')).toThrow(CrossTenantAccessError);
  });

  it('allows an explicitly qualified schema when no tenant is bound', () => {
    expect(() => bound().check('select * from "globex"."project"')).not.toThrow();
  });
});

describe('isolation errors', () => {
  it('are TenancyErrors and MikroORM DriverExceptions', async () => {
    const { DriverException } = await import('@mikro-orm/core');
    const { TenancyError } = await import('../tenancy.errors.js');
    const error = new NoTenantBoundError('x');
    expect(error).toBeInstanceOf(TenancyError);
    expect(error).toBeInstanceOf(DriverException);
    expect(error.name).toBe('NoTenantBoundError');
    expect(new Error('x')).not.toBeInstanceOf(TenancyError);
    expect(error).not.toBeInstanceOf(CrossTenantAccessError);
  });
});
