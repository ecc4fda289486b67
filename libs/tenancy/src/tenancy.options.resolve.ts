import { TenancyConfigError } from './tenancy.errors.js';
import type { MigrationSetOptions, ResolvedTenancyOptions, TenancyModuleOptions } from './tenancy.options.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Merges the user's options over the documented defaults and validates them; throws
 * {@link TenancyConfigError} saying what to change.
 */
export function resolveTenancyOptions(options: TenancyModuleOptions = {}): ResolvedTenancyOptions {
  // the registry entities are declared in `public`, so the shared schema is `public`
  const sharedSchema = 'public';
  const tableName = options.migrations?.tableName ?? 'mikro_orm_migrations';
  if (!IDENTIFIER.test(tableName)) {
    throw new TenancyConfigError(`migrations.tableName "${tableName}" is not a valid table name.`);
  }
  for (const set of ['shared', 'tenant'] as const) {
    checkSet(set, options.migrations?.[set]);
  }
  const resolved: ResolvedTenancyOptions = {
    sharedSchema,
    migrations: { shared: options.migrations?.shared, tenant: options.migrations?.tenant, tableName },
    cache: {
      max: positiveInteger('cache.max', options.cache?.max ?? 10_000),
      ttl: positiveInteger('cache.ttl', options.cache?.ttl ?? 60_000),
      negativeTtl: positiveInteger('cache.negativeTtl', options.cache?.negativeTtl ?? 10_000),
    },
    knownHosts: {
      enabled: options.knownHosts?.enabled ?? true,
      refreshInterval: positiveInteger('knownHosts.refreshInterval', options.knownHosts?.refreshInterval ?? 10_000),
    },
    trustProxy: options.trustProxy ?? false,
    sharedPaths: checkSharedPaths(options.sharedPaths ?? []),
    suspendedStatus: options.suspendedStatus ?? 403,
    resolvers: options.resolvers,
    migrationConcurrency: positiveInteger('migrationConcurrency', options.migrationConcurrency ?? 4),
    deletedRetention: nonNegativeInteger('deletedRetention', options.deletedRetention ?? 30 * 24 * 60 * 60 * 1000),
    directDatabaseUrl: options.directDatabaseUrl || undefined,
    extraSharedSchemas: extraSharedSchemas(options.extraSharedSchemas),
  };
  if (!Number.isInteger(resolved.suspendedStatus) || resolved.suspendedStatus < 400 || resolved.suspendedStatus > 599) {
    throw new TenancyConfigError(`suspendedStatus must be an HTTP error status (400-599), got ${resolved.suspendedStatus}.`);
  }
  if (typeof resolved.trustProxy !== 'boolean') {
    throw new TenancyConfigError('trustProxy must be true or false.');
  }
  if (resolved.resolvers !== undefined) {
    checkResolvers(resolved.resolvers, resolved.trustProxy);
  }
  return resolved;
}

function extraSharedSchemas(value: unknown): string[] {
  if (value === undefined) {
    return [];
  }
  if (!Array.isArray(value) || !value.every((schema) => typeof schema === 'string' && schema.length > 0 && schema.length < 64)) {
    throw new TenancyConfigError("extraSharedSchemas must be a list of schema names, e.g. ['extensions'].");
  }
  return value as string[];
}

function nonNegativeInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TenancyConfigError(`${name} must be a number of milliseconds (0 or more), got ${JSON.stringify(value)}.`);
  }
  return value;
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TenancyConfigError(`${name} must be a positive integer, got ${JSON.stringify(value)}.`);
  }
  return value;
}

function checkSet(set: string, options: MigrationSetOptions | undefined): void {
  if (options === undefined) {
    return;
  }
  if (!options.migrationsList && !options.path) {
    throw new TenancyConfigError(`migrations.${set} needs a path (folder of migration files) or a migrationsList.`);
  }
}

function checkResolvers(resolvers: unknown, trustProxy: boolean): void {
  if (!Array.isArray(resolvers) || resolvers.length === 0) {
    throw new TenancyConfigError('resolvers must be a non-empty array of resolvers, e.g. [new HostTenantResolver()].');
  }
  for (const resolver of resolvers) {
    if (typeof (resolver as { resolve?: unknown } | null)?.resolve !== 'function') {
      throw new TenancyConfigError('Each of resolvers must have a resolve(request) method (see TenantResolver).');
    }
  }
  if (trustProxy) {
    // resolvers replace the default host resolver, which is all that trustProxy configures
    throw new TenancyConfigError(
      'trustProxy only configures the default resolver, which resolvers replaces: remove trustProxy and construct the host resolver with it, e.g. resolvers: [new HeaderTenantResolver(), new HostTenantResolver(true)].',
    );
  }
}

function checkSharedPaths(paths: unknown): (string | RegExp)[] {
  if (!Array.isArray(paths)) {
    throw new TenancyConfigError("sharedPaths must be an array of paths ('/health') or RegExps.");
  }
  for (const path of paths) {
    if (path instanceof RegExp) {
      if (path.global || path.sticky) {
        throw new TenancyConfigError(
          `sharedPaths: ${String(path)} has the g or y flag, which makes test() stateful: remove the flag.`,
        );
      }
    } else if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TenancyConfigError(
        `sharedPaths: ${JSON.stringify(path)} is not a path: give a string starting with / or a RegExp.`,
      );
    }
  }
  return paths as (string | RegExp)[];
}
