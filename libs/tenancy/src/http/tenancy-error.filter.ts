import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TenancyError } from '../tenancy.errors.js';

/**
 * Answers the library's errors as JSON `{ statusCode, error, message }`: 400 for invalid input,
 * 403 for a suspended tenant, 404 for an unknown tenant or domain, 409 for a taken schema or
 * domain, 503 before the shared migrations ran. Anything else (a fail-closed refusal, a failed
 * provisioning) is a 500 whose detail goes to the log only. Nest and the app's own filters already
 * answer the input errors this way (they are `HttpException`s); register this filter to answer the
 * internal ones with the same JSON shape and a log line of their own.
 *
 * @example app.useGlobalFilters(new TenancyErrorFilter(app.get(HttpAdapterHost)));
 */
@Catch(TenancyError)
export class TenancyErrorFilter implements ExceptionFilter<TenancyError> {
  private readonly logger = new Logger(TenancyErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: TenancyError, host: ArgumentsHost): void {
    const exception = error instanceof HttpException ? error : undefined;
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
