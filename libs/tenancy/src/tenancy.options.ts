import type { MigrationObject } from '@mikro-orm/core';
import type { Constructor } from '@mikro-orm/core';
import type { Migration } from '@mikro-orm/migrations';
import type { TenantResolver } from './resolution/tenant.resolver.js';

/** Where one migration set (shared or tenant) lives. */
export interface MigrationSetOptions {
  /** Folder of compiled migration files (`.js`). Used when `migrationsList` is not given. */
  path?: string;
  /** Folder of TypeScript migration sources; `migration:create` writes here. */
  pathTs?: string;
  /** Migration classes, for bundled apps; wins over `path`. */
  migrationsList?: (MigrationObject | Constructor<Migration>)[];
  /** Glob of migration files inside `path`. @default '!(*.d).{js,ts}' */
  glob?: string;
}

/** Options of `TenancyModule.forRoot` / `forRootAsync`. */
export interface TenancyModuleOptions {
  /** The two migration sets. Required for provisioning and for the CLI. */
  migrations?: {
    shared?: MigrationSetOptions;
    tenant?: MigrationSetOptions;
    /** Migrations table name, in the shared schema and in every tenant schema. @default 'mikro_orm_migrations' */
    tableName?: string;
  };
  /** Cache of host → tenant lookups (a maintained LRU). */
  cache?: {
    /** Most hosts kept (found and not found together). @default 10000 */
    max?: number;
    /** How long a found host is trusted, in ms. @default 60000 */
    ttl?: number;
    /** How long a host that resolved to no tenant is remembered, in ms. @default 10000 */
    negativeTtl?: number;
  };
  /**
   * Known-hosts filter: the set of registered domains kept as a compact Bloom filter, so that a
   * flood of unknown Host headers is answered 404 with no database query.
   */
  knownHosts?: {
    /** Turn the filter off (every unknown host then costs one query, then a negative cache entry). @default true */
    enabled?: boolean;
    /** How often the filter is rebuilt from the database, in ms; domains added by other processes are seen after at most this long. @default 10000 */
    refreshInterval?: number;
  };
  /**
   * Read the host from `X-Forwarded-Host` (its last value, the one your proxy added) instead of `Host`. Turn on only behind a
   * proxy you control that sets it. An option of the default resolver: with `resolvers`, give it
   * to the host resolver instead (`new HostTenantResolver(true)`); setting both stops the app at boot.
   * @default false
   */
  trustProxy?: boolean;
  /**
   * Request paths that are not tenant routes (health probes, metrics): the guard lets them through
   * unbound, like routes marked `@SharedRoute()`, for controllers you cannot decorate. A string
   * matches the path exactly (query string and a trailing slash ignored); a RegExp is tested
   * against the path. Tenant entities stay fail-closed there.
   * @default []
   * @example sharedPaths: ['/health', /^\/metrics(\/|$)/]
   */
  sharedPaths?: (string | RegExp)[];
  /** HTTP status answered for a suspended tenant. @default 403 */
  suspendedStatus?: number;
  /**
   * Resolvers tried in order by the guard; the first that returns a tenant lookup key wins.
   * @default [new HostTenantResolver()]
   */
  resolvers?: TenantResolver[];
  /** Concurrency of tenant migration runs started by the library. @default 4 */
  migrationConcurrency?: number;
  /**
   * A direct (not pooled) PostgreSQL URL, for the `LISTEN` session that lets this process follow
   * registry changes made by other processes at once. Without it (for example behind PgBouncer in
   * transaction mode), other processes' changes are seen after `cache.ttl` and
   * `knownHosts.refreshInterval`.
   */
  directDatabaseUrl?: string;
  /**
   * Schemas besides `public` that every tenant may use (extensions, reference data kept by the app).
   * Any other schema than the bound tenant's, the shared ones and PostgreSQL's own is refused by the
   * SQL check.
   * @default []
   */
  extraSharedSchemas?: string[];
  /**
   * How long a deleted tenant is kept, in ms: `deleteTenant()` (and `tenant:delete` without
   * `--drop-schema`) renames its schema aside and keeps its registry row, so that
   * `restoreTenant()` gives it back; `purgeDeletedTenants()` (`tenancy purge`) drops those older.
   * @default 2592000000 (30 days)
   */
  deletedRetention?: number;
}

/** Options after defaults were applied. */
export interface ResolvedTenancyOptions {
  /** The shared schema (`public`): the registry and every shared entity live there. */
  sharedSchema: string;
  migrations: {
    shared?: MigrationSetOptions;
    tenant?: MigrationSetOptions;
    tableName: string;
  };
  cache: { max: number; ttl: number; negativeTtl: number };
  knownHosts: { enabled: boolean; refreshInterval: number };
  trustProxy: boolean;
  sharedPaths: (string | RegExp)[];
  suspendedStatus: number;
  resolvers?: TenantResolver[];
  migrationConcurrency: number;
  directDatabaseUrl?: string;
  extraSharedSchemas: string[];
  deletedRetention: number;
}
