import { ConsoleLogger } from '@nestjs/common';
import { boundTenant } from '../context/tenant-context.js';

type JsonLogOptions = Parameters<ConsoleLogger['printAsJson']>[1];

/**
 * Nest's `ConsoleLogger`, with the bound tenant's schema on every line written while a tenant is
 * bound (a tenant request, `run()`, `forEachTenant()`, a job): `[Projects] [tenant acme] listing`
 * in text mode, a `tenant` field in JSON mode (`json: true`). Lines written with no tenant bound are
 * Nest's own. Install it as the app's logger; every `new Logger(...)` writes through it.
 *
 * @example
 * const app = await NestFactory.create(AppModule, adapter, { logger: new TenantConsoleLogger({ json: true }) });
 */
export class TenantConsoleLogger extends ConsoleLogger {
  protected override formatContext(context: string): string {
    const formatted = super.formatContext(context);
    const tenant = boundTenant();
    return tenant ? `${formatted}${super.formatContext(`tenant ${tenant.schema}`)}` : formatted;
  }

  protected override getJsonLogObject(
    message: unknown,
    options: JsonLogOptions,
  ): ReturnType<ConsoleLogger['getJsonLogObject']> & { tenant?: string } {
    const logObject: ReturnType<ConsoleLogger['getJsonLogObject']> & { tenant?: string } = super.getJsonLogObject(
      message,
      options,
    );
    const tenant = boundTenant();
    if (tenant) {
      logObject.tenant = tenant.schema;
    }
    return logObject;
  }
}
