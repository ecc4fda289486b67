import { DriverException } from '@mikro-orm/core';
import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, from, mergeMap, type Observable, throwError } from 'rxjs';
import { TenantContext } from '../context/tenant-context.js';
import { TenantRegistry } from '../registry/tenant.registry.js';
import { TenancyError, TenantNotFoundError } from '../tenancy.errors.js';
import { tenancyHttpException } from './tenancy-http-exception.js';

/** PostgreSQL's codes for a relation or schema that does not exist. */
const MISSING_RELATION = new Set(['42P01', '3F000']);

/**
 * Registered globally by the module: in HTTP handlers (and their pipes and interceptors), turns
 * the library's input errors into `HttpException`s (400, 403, 404, 409; 503 before the shared
 * migrations ran) with a `{ statusCode, error, message }` body and the original error as `cause`.
 * An exception rather than a filter, so that any filter of the app, catch-alls included, still
 * decides the response, and an app with no filter of its own answers them right. Internal errors
 * (fail-closed refusals, failed provisioning) pass unchanged: the app's filters, or Nest's, answer
 * them 500. Other contexts (GraphQL, microservices) get the errors unchanged.
 *
 * A tenant deleted by another process (this one's cache still knows it) makes its queries fail
 * with "relation does not exist": the tenant is looked up again, and a 404 answered if it is gone.
 */
@Injectable()
export class TenancyErrorInterceptor implements NestInterceptor {
  constructor(
    private readonly context: TenantContext,
    private readonly registry: TenantRegistry,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    return next
      .handle()
      .pipe(
        catchError((error: unknown) => from(this.translate(error)).pipe(mergeMap((translated) => throwError(() => translated)))),
      );
  }

  private async translate(error: unknown): Promise<unknown> {
    if (error instanceof TenancyError) {
      return tenancyHttpException(error) ?? error;
    }
    const bound = this.context.current();
    if (bound && error instanceof DriverException && MISSING_RELATION.has(String(error.code))) {
      this.registry.apply({ tenantId: bound.id, schema: bound.schema });
      const current = await this.registry.bySchema(bound.schema).catch(() => bound);
      if (current === undefined) {
        return tenancyHttpException(new TenantNotFoundError('No tenant is served at this host any more.')) ?? error;
      }
    }
    return error;
  }
}
