import { InvalidSchemaNameError } from '../tenancy.errors.js';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Prefix of the schemas of deleted tenants, kept aside until purged; no tenant may be named so. */
export const DELETED_SCHEMA_PREFIX = '_deleted_';

/** Schema names the library never gives to a tenant, whatever the shared schema is called. */
export const RESERVED_SCHEMA_NAMES: ReadonlySet<string> = new Set([
  'public',
  'information_schema',
  'pg_catalog',
  'pg_toast',
  'pg_temp',
  'default',
  'user',
  'current_user',
  'session_user',
  'all',
  'none',
]);

/**
 * Checks that `name` can be a tenant schema: `^[a-z_][a-z0-9_]{0,62}$`, not `pg_*`, not the shared
 * schema, not a reserved name, not `_deleted_*` (deleted tenants' schemas). Throws {@link InvalidSchemaNameError} saying why otherwise.
 *
 * @example assertTenantSchemaName('acme', 'public');
 */
export function assertTenantSchemaName(name: unknown, sharedSchema: string): asserts name is string {
  if (typeof name !== 'string' || !SCHEMA_NAME.test(name)) {
    throw new InvalidSchemaNameError(
      `Invalid schema name ${JSON.stringify(name)}: use 1-63 characters of a-z, 0-9 and _, not starting with a digit.`,
    );
  }
  if (name.startsWith('pg_')) {
    throw new InvalidSchemaNameError(`Invalid schema name "${name}": names starting with pg_ are reserved by PostgreSQL.`);
  }
  if (name === sharedSchema || RESERVED_SCHEMA_NAMES.has(name) || name.startsWith('__tenancy')) {
    throw new InvalidSchemaNameError(`Invalid schema name "${name}": it is reserved.`);
  }
  if (name.startsWith(DELETED_SCHEMA_PREFIX)) {
    throw new InvalidSchemaNameError(
      `Invalid schema name "${name}": names starting with ${DELETED_SCHEMA_PREFIX} are reserved for the schemas of deleted tenants.`,
    );
  }
}

/** Quotes a validated identifier for SQL. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
