import { UNBOUND_SCHEMA } from '../tenancy.constants.js';
import { CrossTenantAccessError, NoTenantBoundError } from '../tenancy.errors.js';
import { sqlTableReferences } from './sql-table-references.js';

/**
 * Fail-closed check of every SQL statement the ORM sends (installed as MikroORM's `onQuery` hook).
 * A statement may name a tenant table only qualified with the schema of the tenant bound to the
 * current context. With no tenant bound it may not name one at all: unqualified, qualified with
 * the never-existing schema the ORM uses while no tenant is bound, or qualified with any schema.
 * Shared tables pass. It reads SQL text: it cannot see queries sent through Kysely or
 * `Connection.executeDump()`, which bypass the hook.
 */
export class TenantSqlGuard {
  constructor(
    /** Tenant table name → entity names, for messages. */
    private readonly tenantTables: ReadonlyMap<string, string>,
    /** The schema bound to the current context, if any. */
    private readonly boundSchema: () => string | undefined,
    /** Fills in `??` identifier parameters, so that a table given as a parameter is seen too. */
    private readonly format: (sql: string, params: readonly unknown[]) => string = (sql) => sql,
  ) {}

  /** Throws {@link NoTenantBoundError} or {@link CrossTenantAccessError}; returns `sql` unchanged otherwise. */
  check(sql: string, params: readonly unknown[] = []): string {
    if (this.tenantTables.size === 0) {
      return sql;
    }
    const text = sql.includes('??') ? this.format(sql, params) : sql;
    let bound: string | undefined | null = null;
    for (const { schema, table } of sqlTableReferences(text)) {
      const entity = this.tenantTables.get(table);
      if (entity === undefined) {
        continue;
      }
      if (bound === null) {
        bound = this.boundSchema();
      }
      if (bound === undefined || schema === undefined || schema === UNBOUND_SCHEMA) {
        throw new NoTenantBoundError(
          `${entity} is a tenant entity, but ${bound === undefined ? 'no tenant is bound here' : `the query names table "${table}" without the tenant's schema`}, so the query was refused. ` +
            'Bind a tenant: serve the route on a tenant host (not a @SharedRoute()), or wrap the code in ' +
            'TenancyService.run(tenant, fn). Hand-written SQL must qualify tenant tables with the bound schema.',
        );
      }
      if (schema !== bound) {
        throw new CrossTenantAccessError(
          `The query names ${entity} in schema "${schema}" while tenant schema "${bound}" is bound; it was refused. ` +
            'Entities must not cross tenants: load them again inside the right tenant context.',
        );
      }
    }
    return sql;
  }
}
