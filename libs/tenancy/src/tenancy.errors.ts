import { DriverException } from '@mikro-orm/core';
import { HttpException, HttpStatus } from '@nestjs/common';
import { errorExtensions, type TenancyErrorExtensions } from './http/error-extensions.js';
import { httpErrorName } from './http/http-error-name.js';

/** Brand of the library's errors that must extend MikroORM's `DriverException` (see below). */
const TENANCY_ERROR = Symbol.for('nestjs-tenancy:error');

/** Base class of every error the library throws; `name` is the subclass name. */
export class TenancyError extends Error {
  override name = this.constructor.name;

  /**
   * Also true for the isolation errors, which extend MikroORM's `DriverException`, and for the input
   * errors, which extend Nest's `HttpException` ({@link TenancyHttpError}).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) {
      return true;
    }
    return this === TenancyError && typeof value === 'object' && value !== null && TENANCY_ERROR in value;
  }
}

/**
 * Base of the errors thrown from the SQL guard. They extend MikroORM's `DriverException` so that
 * MikroORM rethrows them as they are (it wraps any other error thrown while flushing), and they
 * still pass `instanceof TenancyError`.
 */
export class TenantIsolationError extends DriverException {
  readonly [TENANCY_ERROR] = true;

  constructor(message: string) {
    super(new Error(message));
    this.name = this.constructor.name;
  }
}

/**
 * Base of the errors that say what is wrong with the caller's input or the tenant asked for. They
 * are Nest `HttpException`s with a `{ statusCode, error, message }` response (400, 403, 404, 409,
 * 503; the status is the class's), so Nest, any exception filter of the app and other transports
 * (GraphQL) answer them as they answer their own, with no interceptor of the library on the request
 * path. They still pass `instanceof TenancyError`.
 */
export abstract class TenancyHttpError extends HttpException {
  readonly [TENANCY_ERROR] = true;
  /** The HTTP status this class of error answers. */
  static readonly status: number = HttpStatus.BAD_REQUEST;
  /** Reported by GraphQL (graphql-js copies it into the GraphQL error): `{ code: 'NOT_FOUND', statusCode: 404 }`. */
  readonly extensions: TenancyErrorExtensions;

  constructor(message: string, options?: ErrorOptions) {
    const status = (new.target as unknown as typeof TenancyHttpError).status;
    super({ statusCode: status, error: httpErrorName(status), message }, status, options);
    this.name = new.target.name;
    this.extensions = errorExtensions(status);
  }
}

/** Input given to the library (a tenant name, a domain ...) is invalid: 400. */
export class InvalidTenantInputError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.BAD_REQUEST;
}

/** A module option is missing or invalid; thrown at bootstrap. */
export class TenancyConfigError extends TenancyError {}

/** Entity metadata does not say clearly whether an entity is shared or per tenant. */
export class EntityKindError extends TenancyError {}

/** A schema name fails validation (`^[a-z_][a-z0-9_]{0,62}$`, not reserved, not `pg_*`). */
export class InvalidSchemaNameError extends InvalidTenantInputError {
  /** The name is a database role's: PostgreSQL's default `search_path` ("$user", public) would find it. */
  static forRoleName(schema: string): InvalidSchemaNameError {
    return new InvalidSchemaNameError(
      `Invalid schema name "${schema}": a database role has this name, and PostgreSQL's default search_path ` +
        `("$user", public) would put this tenant's schema on the path of that role's sessions, where unqualified SQL ` +
        'would reach it. Choose another name.',
    );
  }
}

/** A host name (domain) fails validation. */
export class InvalidHostError extends InvalidTenantInputError {}

/** No tenant has this schema (or id): 404. */
export class TenantNotFoundError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.NOT_FOUND;

  /** `No tenant has schema "acme".` */
  static forSchema(schema: unknown): TenantNotFoundError {
    return new TenantNotFoundError(`No tenant has schema ${JSON.stringify(schema)}.`);
  }

  /** No deleted tenant had this schema (restore, purge). */
  static forDeletedSchema(schema: unknown): TenantNotFoundError {
    return new TenantNotFoundError(`No deleted tenant had schema ${JSON.stringify(schema)}.`);
  }

  /** `No tenant has schema "a", "b".` */
  static forSchemas(schemas: readonly string[]): TenantNotFoundError {
    return new TenantNotFoundError(`No tenant has schema ${schemas.map((schema) => JSON.stringify(schema)).join(', ')}.`);
  }
}

/** A tenant with this schema already exists: 409. */
export class TenantAlreadyExistsError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.CONFLICT;

  /** `A tenant with schema "acme" already exists.` */
  static forSchema(schema: string): TenantAlreadyExistsError {
    return new TenantAlreadyExistsError(`A tenant with schema ${JSON.stringify(schema)} already exists.`);
  }

  /** A deleted tenant, kept for the retention, holds the name. */
  static forDeletedTenant(schema: string): TenantAlreadyExistsError {
    return new TenantAlreadyExistsError(
      `Schema ${JSON.stringify(schema)} belongs to a deleted tenant kept for the retention: restore it (tenancy tenant:restore ${schema}) ` +
        `or purge it first (tenancy purge --schema ${schema} --all).`,
    );
  }

  /** The schema exists in the database with no tenant (kept from a deleted tenant?). */
  static forLeftoverSchema(schema: string): TenantAlreadyExistsError {
    return new TenantAlreadyExistsError(
      `Schema ${JSON.stringify(schema)} already exists in the database (kept from a deleted tenant?): drop it or choose another name.`,
    );
  }
}

/** The domain is already attached to a tenant: 409. */
export class DomainTakenError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.CONFLICT;

  /** `Domain "acme.example.com" is already used by another tenant.` */
  static forHost(host: string | undefined): DomainTakenError {
    return new DomainTakenError(`Domain ${host ? `${JSON.stringify(host)} ` : ''}is already used by another tenant.`);
  }
}

/** The domain is not attached to any tenant: 404. */
export class DomainNotFoundError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.NOT_FOUND;

  /** `Domain "old.acme.example" is not attached to any tenant.` */
  static forHost(host: string): DomainNotFoundError {
    return new DomainNotFoundError(`Domain ${JSON.stringify(host)} is not attached to any tenant.`);
  }
}

/** A domain operation would leave a tenant with no primary domain. */
export class PrimaryDomainError extends InvalidTenantInputError {}

/** The tenant is suspended (or still being provisioned) and cannot be bound: 403. */
export class TenantNotActiveError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.FORBIDDEN;
}

/**
 * A tenant entity was queried with no tenant bound. The library refuses the SQL instead of letting
 * it reach the shared schema.
 */
export class NoTenantBoundError extends TenantIsolationError {
  /** A tenant table named with no tenant bound, or unqualified while one is. */
  static forTable(entity: string, table: string, bound: string | undefined): NoTenantBoundError {
    return new NoTenantBoundError(
      `${entity} is a tenant entity, but ${bound === undefined ? 'no tenant is bound here' : `the query names table "${table}" without the tenant's schema`}, so the query was refused. ` +
        'Bind a tenant: serve the route on a tenant host (not a @SharedRoute()), or wrap the code in ' +
        'TenancyService.run(tenant, fn). Hand-written SQL must qualify tenant tables with the bound schema.',
    );
  }

  /** A schema that is neither shared nor a system schema, named with no tenant bound. */
  static forSchema(schema: string): NoTenantBoundError {
    return new NoTenantBoundError(
      `The query names schema "${schema}", which is not a shared schema, and no tenant is bound here, so it was refused. ` +
        'Bind a tenant (TenancyService.run(tenant, fn)), or declare the schema in the extraSharedSchemas option if it is shared.',
    );
  }
}

/** SQL names a tenant table in a schema other than the tenant bound in the current context. */
export class CrossTenantAccessError extends TenantIsolationError {
  /** `subject` (an entity, or "table x") named in `schema` while `bound` is bound. */
  static forSchema(subject: string, schema: string, bound: string): CrossTenantAccessError {
    return new CrossTenantAccessError(
      `The query names ${subject} in schema "${schema}" while tenant schema "${bound}" is bound; it was refused. ` +
        'Entities must not cross tenants: load them again inside the right tenant context. A schema shared by all ' +
        'tenants goes in the extraSharedSchemas option.',
    );
  }
}

/**
 * SQL the check cannot verify (SQL run from text, a setting that changes how SQL is read, a
 * statement kind it does not follow, text PostgreSQL's parser cannot read), refused while tenant
 * entities exist.
 */
export class UncheckedSqlError extends TenantIsolationError {
  static because(reason: string): UncheckedSqlError {
    return new UncheckedSqlError(
      `The query was refused because the tenant SQL check cannot verify it: ${reason}. Send such SQL through a ` +
        'connection of your own that the tenancy module does not watch (for example a separate MikroORM or pg pool ' +
        'for maintenance), where database privileges keep tenants apart.',
    );
  }
}

/** Provisioning a tenant failed; nothing of the tenant was kept. */
export class ProvisioningError extends TenancyError {}

/**
 * The tenant registry's tables do not exist: the shared migrations have not run on this database.
 * 503, with the message.
 */
export class RegistryNotMigratedError extends TenancyHttpError {
  static override readonly status: number = HttpStatus.SERVICE_UNAVAILABLE;

  /** Says which schema lacks the registry and how to create it. */
  static inSchema(sharedSchema: string, options?: ErrorOptions): RegistryNotMigratedError {
    return new RegistryNotMigratedError(
      `The tenant registry does not exist: the shared migrations have not run on schema ${JSON.stringify(sharedSchema)}. ` +
        'Run them first: npx tenancy migrate --shared (or SchemaMigrator.migrateAll() in code).',
      options,
    );
  }

  /** The registry lacks columns this version of the library uses: a shared migration is pending. */
  static outdated(sharedSchema: string, options?: ErrorOptions): RegistryNotMigratedError {
    return new RegistryNotMigratedError(
      `The tenant registry in schema ${JSON.stringify(sharedSchema)} lacks columns this version of nestjs-tenancy uses: ` +
        'run the pending shared migrations (npx tenancy migrate --shared); if your app writes its own shared migrations, ' +
        'write the missing one first (npx tenancy migration:create --shared --name tenancy_registry).',
      options,
    );
  }
}

/** Running a migration set failed. */
export class MigrationError extends TenancyError {}
