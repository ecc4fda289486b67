import { ConnectionException, DriverException, NotFoundError } from '@mikro-orm/core';
import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

/**
 * Database errors as JSON: 503 while the database cannot be reached, 404 for MikroORM's
 * not-found, 500 (detail in the log only) for anything else.
 */
@Catch(DriverException, NotFoundError)
export class DatabaseErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(DatabaseErrorFilter.name);

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  catch(error: Error, host: ArgumentsHost): void {
    const [statusCode, name, message] =
      error instanceof NotFoundError
        ? [404, 'Not Found', 'Not found.']
        : isUnavailable(error)
          ? [503, 'Service Unavailable', 'The database is unavailable; try again shortly.']
          : [500, 'Internal Server Error', 'Internal server error'];
    if (statusCode >= 500) {
      this.logger.error(`${error.name}: ${error.message}`);
    }
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { statusCode, error: name, message }, statusCode);
  }
}

function isUnavailable(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return error instanceof ConnectionException || code.startsWith('08') || code === '57P01' || code === '57P03';
}
