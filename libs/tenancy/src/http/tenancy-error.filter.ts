import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  DomainNotFoundError,
  DomainTakenError,
  InvalidTenantInputError,
  TenancyError,
  TenantAlreadyExistsError,
  TenantNotActiveError,
  TenantNotFoundError,
} from '../tenancy.errors.js';
import { httpErrorName } from './http-error-name.js';

/** HTTP status for each error the library throws at callers' input. */
export function tenancyErrorStatus(error: TenancyError): number {
  if (error instanceof TenantAlreadyExistsError || error instanceof DomainTakenError) {
    return HttpStatus.CONFLICT;
  }
  if (error instanceof TenantNotFoundError || error instanceof DomainNotFoundError) {
    return HttpStatus.NOT_FOUND;
  }
  if (error instanceof InvalidTenantInputError) {
    return HttpStatus.BAD_REQUEST;
  }
  if (error instanceof TenantNotActiveError) {
    return HttpStatus.FORBIDDEN;
  }
  return HttpStatus.INTERNAL_SERVER_ERROR;
}

/**
 * Answers the library's errors as JSON `{ statusCode, error, message }`: 400 for invalid input,
 * 404 for an unknown tenant or domain, 409 for a taken schema or domain. Anything else (a
 * fail-closed refusal, a failed provisioning) is a 500 whose detail goes to the log only.
 *
 * @example app.useGlobalFilters(new TenancyErrorFilter(app.get(HttpAdapterHost)));
 */
@Catch(TenancyError)
export class TenancyErrorFilter implements ExceptionFilter<TenancyError> {
  private readonly logger = new Logger(TenancyErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: TenancyError, host: ArgumentsHost): void {
    const status = tenancyErrorStatus(error);
    const internal = status >= 500;
    if (internal) {
      this.logger.error(`${error.name}: ${error.message}`);
    }
    const { httpAdapter } = this.adapterHost;
    httpAdapter.reply(
      host.switchToHttp().getResponse(),
      {
        statusCode: status,
        error: httpErrorName(status),
        message: internal ? 'Internal server error' : error.message,
      },
      status,
    );
  }
}
