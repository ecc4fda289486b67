import { type ArgumentsHost, Catch, type ExceptionFilter, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TenancyError } from '../tenancy.errors.js';
import { tenancyHttpException } from './tenancy-http-exception.js';

/**
 * Answers the library's errors as JSON `{ statusCode, error, message }`: 400 for invalid input,
 * 404 for an unknown tenant or domain, 409 for a taken schema or domain, 503 before the shared
 * migrations ran. Anything else (a fail-closed refusal, a failed provisioning) is a 500 whose
 * detail goes to the log only. The module already answers errors thrown in route handlers this
 * way; register the filter for those thrown elsewhere (your own guards or middleware).
 *
 * @example app.useGlobalFilters(new TenancyErrorFilter(app.get(HttpAdapterHost)));
 */
@Catch(TenancyError)
export class TenancyErrorFilter implements ExceptionFilter<TenancyError> {
  private readonly logger = new Logger(TenancyErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: TenancyError, host: ArgumentsHost): void {
    const exception = tenancyHttpException(error);
    if (!exception) {
      this.logger.error(`${error.name}: ${error.message}`);
    }
    const status = exception?.getStatus() ?? HttpStatus.INTERNAL_SERVER_ERROR;
    const body = exception?.getResponse() ?? {
      statusCode: status,
      error: 'Internal Server Error',
      message: 'Internal server error',
    };
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), body, status);
  }
}
