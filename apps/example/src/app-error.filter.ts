import { STATUS_CODES } from 'node:http';
import { NotFoundError } from '@mikro-orm/core';
import { type ArgumentsHost, Catch, HttpException, Logger } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { isDatabaseUnavailable } from 'nestjs-tenancy';

/**
 * Every error as JSON `{ statusCode, error, message }`: HTTP exceptions as Nest answers them
 * (the tenancy library's input errors among them: they are HTTP exceptions), 503
 * while the database cannot be reached, 404 for MikroORM's not-found, and 500 for anything else
 * (detail in the log only).
 */
@Catch()
export class AppErrorFilter extends BaseExceptionFilter {
  private readonly logger = new Logger(AppErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {
    super(adapterHost.httpAdapter);
  }

  override catch(error: unknown, host: ArgumentsHost): unknown {
    if (host.getType<string>() !== 'http') {
      // GraphQL (and other transports) answer errors themselves: hand it back, as Nest's GraphQL docs ask
      return error;
    }
    if (error instanceof HttpException) {
      const body = error.getResponse();
      if (typeof body === 'object' && body !== null && 'error' in body) {
        return super.catch(error, host);
      }
      // exceptions made from a string (Fastify's body errors, mapped by Nest): the same JSON shape
      const statusCode = error.getStatus();
      const message = typeof body === 'string' ? body : error.message;
      this.adapterHost.httpAdapter.reply(
        host.switchToHttp().getResponse(),
        { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message },
        statusCode,
      );
      return;
    }
    const [statusCode, name, message] =
      error instanceof NotFoundError
        ? [404, 'Not Found', 'Not found.']
        : isDatabaseUnavailable(error)
          ? [503, 'Service Unavailable', 'The database is unavailable; try again shortly.']
          : [500, 'Internal Server Error', 'Internal server error'];
    if (statusCode >= 500) {
      this.logger.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { statusCode, error: name, message }, statusCode);
  }
}
