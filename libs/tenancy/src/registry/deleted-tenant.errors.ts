import { DriverException, MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { TenantContext } from '../context/tenant-context.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';
import { TenancyError, TenantNotFoundError } from '../tenancy.errors.js';
import { TenantRegistry } from './tenant.registry.js';

/** PostgreSQL's codes for a relation or schema that does not exist. */
const MISSING_RELATION = new Set(['42P01', '3F000']);

/** What the driver gets from this class; `rethrow` is MikroORM's (protected) error path of every ORM query. */
interface DriverErrorPath {
  convertException(error: Error): DriverException;
  rethrow<T>(promise: Promise<T>): Promise<T>;
  [INSTALLED]?: true;
}

const INSTALLED = Symbol.for('nestjs-tenancy:deleted-tenant-errors');

/**
 * A tenant deleted by another process stays in this process's cache until the change notification
 * arrives (at once, through LISTEN/NOTIFY) or the cache entry expires (`cache.ttl`, when
 * notifications cannot arrive). A query of such a tenant fails with "relation does not exist";
 * this turns that error into a {@link TenantNotFoundError} (a 404 over HTTP, the job's failure
 * reason elsewhere) once the registry, read again, says the tenant is gone, and drops the tenant
 * from the cache. It sits on the ORM's error path only (MikroORM's `rethrow`), so a query that
 * succeeds costs nothing more, and no interceptor runs on every request.
 */
@Injectable()
export class DeletedTenantErrors implements OnModuleInit {
  /** Errors already looked at (the driver's error path nests: one query, several `rethrow`s). */
  private readonly seen = new WeakSet<object>();

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly context: TenantContext,
    private readonly registry: TenantRegistry,
  ) {}

  onModuleInit(): void {
    const driver = this.orm.em.getDriver() as unknown as DriverErrorPath;
    if (driver[INSTALLED]) {
      return;
    }
    const convert = driver.convertException.bind(driver);
    const rethrow = driver.rethrow.bind(driver);
    // the library's errors pass unchanged through the driver's outer error handlers
    driver.convertException = (error) => (error instanceof TenancyError ? (error as DriverException) : convert(error));
    driver.rethrow = <T>(promise: Promise<T>) => rethrow(promise).catch((error: unknown) => this.translate(error));
    driver[INSTALLED] = true;
  }

  private async translate(error: unknown): Promise<never> {
    const bound = this.context.current();
    if (!bound || !(error instanceof DriverException) || !MISSING_RELATION.has(String(error.code)) || this.seen.has(error)) {
      throw error;
    }
    this.seen.add(error);
    this.registry.apply({ tenantId: bound.id, schema: bound.schema });
    const current = await this.registry.bySchema(bound.schema).catch(() => bound);
    if (current === undefined) {
      throw new TenantNotFoundError(`Tenant "${bound.schema}" no longer exists.`, { cause: error });
    }
    throw error;
  }
}
