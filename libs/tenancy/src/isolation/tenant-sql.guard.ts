import { CrossTenantAccessError, NoTenantBoundError } from '../tenancy.errors.js';
import { UNBOUND_SCHEMA } from '../tenancy.constants.js';

const IDENT = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)`;
const TABLE_REFERENCE = new RegExp(
  String.raw`\b(?:from|join|into|update|table)\s+(?:only\s+)?(${IDENT})(?:\s*\.\s*(${IDENT}))?`,
  'gi',
);

/**
 * Fail-closed check of every SQL statement the ORM sends (installed as MikroORM's `onQuery` hook).
 * A tenant table must be qualified with the schema of the tenant bound to the current context; SQL
 * that names one unqualified, or qualified with the never-existing schema the ORM uses while no
 * tenant is bound, is refused before it runs, and so is SQL that names another tenant's schema.
 * Shared tables pass. It reads SQL text: it cannot see queries sent through Kysely.
 */
export class TenantSqlGuard {
  constructor(
    /** Tenant table name → entity names, for messages. */
    private readonly tenantTables: ReadonlyMap<string, string>,
    /** The schema bound to the current context, if any. */
    private readonly boundSchema: () => string | undefined,
  ) {}

  /** Throws {@link NoTenantBoundError} or {@link CrossTenantAccessError}; returns `sql` unchanged otherwise. */
  check(sql: string): string {
    if (this.tenantTables.size === 0) {
      return sql;
    }
    TABLE_REFERENCE.lastIndex = 0;
    let match: RegExpExecArray | null;
    let bound: string | undefined | null = null;
    while ((match = TABLE_REFERENCE.exec(sql)) !== null) {
      const first = unquote(match[1]);
      const second = match[2] === undefined ? undefined : unquote(match[2]);
      const table = second ?? first;
      const schema = second === undefined ? undefined : first;
      const entity = this.tenantTables.get(table);
      if (entity === undefined) {
        continue;
      }
      if (schema === undefined || schema === UNBOUND_SCHEMA) {
        throw new NoTenantBoundError(
          `${entity} is a tenant entity, but no tenant is bound here, so the query on table "${table}" was refused. ` +
            'Bind a tenant: serve the route on a tenant host (not a @SharedRoute()), or wrap the code in ' +
            'TenancyService.run(tenant, fn). Hand-written SQL must qualify tenant tables with the bound schema.',
        );
      }
      if (bound === null) {
        bound = this.boundSchema();
      }
      if (bound !== undefined && schema !== bound) {
        throw new CrossTenantAccessError(
          `The query names ${entity} in schema "${schema}" while tenant schema "${bound}" is bound; it was refused. ` +
            'Entities must not cross tenants: load them again inside the right tenant context.',
        );
      }
    }
    return sql;
  }
}

function unquote(identifier: string): string {
  return identifier.startsWith('"') ? identifier.slice(1, -1).replaceAll('""', '"') : identifier.toLowerCase();
}
