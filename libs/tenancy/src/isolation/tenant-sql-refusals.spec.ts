import { beforeAll, describe, expect, it } from 'vitest';
import { CrossTenantAccessError, NoTenantBoundError } from '../tenancy.errors.js';
import { loadSqlParser } from './sql-statement.reader.js';
import { TenantSqlGuard } from './tenant-sql.guard.js';

beforeAll(() => loadSqlParser());

const tables = new Map([['project', 'Project']]);
const guardOf = (tenantTables: Map<string, string>, boundSchema: () => string | undefined) =>
  new TenantSqlGuard({ tenantTables, sharedSchemas: ['public'], boundSchema });

describe('TenantSqlGuard refusals say what was wrong and what to do', () => {
  it('names the entity and says that no tenant is bound', () => {
    const guard = guardOf(tables, () => undefined);
    expect(() => guard.check('select * from "acme"."project"')).toThrow(
      new NoTenantBoundError(
        'Project is a tenant entity, but no tenant is bound here, so the query was refused. ' +
          'Bind a tenant: serve the route on a tenant host (not a @SharedRoute()), or wrap the code in ' +
          'TenancyService.run(tenant, fn). Hand-written SQL must qualify tenant tables with the bound schema.',
      ),
    );
  });

  it("says that the table lacks the tenant's schema while one is bound", () => {
    const guard = guardOf(tables, () => 'acme');
    expect(() => guard.check('select * from project')).toThrow(
      `Project is a tenant entity, but the query names table "project" without the tenant's schema, so the query was refused.`,
    );
  });

  it('names both schemas when another tenant is named', () => {
    const guard = guardOf(tables, () => 'acme');
    expect(() => guard.check('select * from "globex"."project"')).toThrow(
      new CrossTenantAccessError(
        'The query names Project in schema "globex" while tenant schema "acme" is bound; it was refused. ' +
          'Entities must not cross tenants: load them again inside the right tenant context. A schema shared by all ' +
          'tenants goes in the extraSharedSchemas option.',
      ),
    );
  });

  it('returns the statement unchanged, with or without tenant tables, and asks for the bound schema once per statement', () => {
    let asked = 0;
    const guard = guardOf(tables, () => {
      asked++;
      return 'acme';
    });
    const statement = 'select * from "public"."tenant" where x = $1';
    expect(guard.check(statement, ['y'])).toBe(statement);
    expect(asked).toBe(1);
    expect(guard.check('select * from "acme"."project" p join "acme"."project" q on true')).toBe(
      'select * from "acme"."project" p join "acme"."project" q on true',
    );
    expect(asked).toBe(2);
    expect(guardOf(new Map(), () => undefined).check('select * from project')).toBe('select * from project');
  });
});
