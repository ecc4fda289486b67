import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { catchError, type Observable, throwError } from 'rxjs';
import { TenancyError } from '../tenancy.errors.js';
import { tenancyHttpException } from './tenancy-http-exception.js';

/**
 * Registered globally by the module: in HTTP handlers (and their pipes and interceptors), turns
 * the library's input errors into `HttpException`s (400, 403, 404, 409; 503 before the shared
 * migrations ran) with a `{ statusCode, error, message }` body and the original error as `cause`.
 * An exception rather than a filter, so that any filter of the app, catch-alls included, still
 * decides the response, and an app with no filter of its own answers them right. Internal errors
 * (fail-closed refusals, failed provisioning) pass unchanged: the app's filters, or Nest's, answer
 * them 500. Other contexts (GraphQL, microservices) get the errors unchanged.
 */
@Injectable()
export class TenancyErrorInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') {
      return next.handle();
    }
    return next
      .handle()
      .pipe(
        catchError((error: unknown) =>
          throwError(() => (error instanceof TenancyError ? (tenancyHttpException(error) ?? error) : error)),
        ),
      );
  }
}
