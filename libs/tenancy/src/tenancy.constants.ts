/** Metadata key set by `@SharedRoute()` on a handler or controller. */
export const SHARED_ROUTE_METADATA = 'nestjs-tenancy:shared-route';

/**
 * Schema name the ORM is configured with while no tenant is bound. It never exists, so SQL built
 * for a tenant entity with no tenant bound is refused by the SQL guard (or, failing that, by
 * PostgreSQL) instead of reaching the shared schema.
 */
export const UNBOUND_SCHEMA = '__tenancy_no_tenant_bound__';

/** Name of the PostgreSQL `NOTIFY` channel reserved for cross-process invalidation. */
export const TENANCY_CHANNEL = 'nestjs_tenancy';
