import { Inject, Logger } from '@nestjs/common';
import type { TenantRecord } from '../context/tenant-record.js';
import { TenancyConfigError } from '../tenancy.errors.js';
import { TenancyService } from '../tenancy.service.js';
import type { ForEachTenantOptions, ForEachTenantReport } from './for-each-tenant.js';

/** The property the decorator injects `TenancyService` into. */
const TENANCY = Symbol('nestjs-tenancy:for-each-tenant');

/**
 * Makes a provider's method run once per tenant, bound to it, through
 * `TenancyService.forEachTenant()`: the method receives the tenant (then the EntityManager, then
 * the arguments of the call) and the call returns the report. Failures are logged (one line per
 * tenant) and do not stop the other tenants. Made for `@nestjs/schedule` (`@Cron`, `@Interval`),
 * whose metadata it keeps, in either decorator order; any caller works.
 *
 * @example
 * \@Cron(CronExpression.EVERY_HOUR)
 * \@ForEachTenant({ concurrency: 4 })
 * async purgeExpiredSessions(tenant: TenantRecord) { await this.sessions.purgeExpired(); }
 */
export function ForEachTenant(options: ForEachTenantOptions = {}): MethodDecorator {
  return (target, key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    if (typeof original !== 'function') {
      throw new TenancyConfigError(`@ForEachTenant() decorates methods; ${String(key)} is not one.`);
    }
    Inject(TenancyService)(target, TENANCY);
    const name = `${target.constructor.name}.${String(key)}`;
    const logger = new Logger(target.constructor.name);
    const wrapper = async function (this: Record<symbol, TenancyService | undefined>, ...args: unknown[]) {
      const tenancy = this[TENANCY];
      if (!tenancy) {
        throw new TenancyConfigError(
          `@ForEachTenant(): ${name} was called on an instance Nest did not create (TenancyService is injected into providers only).`,
        );
      }
      const report: ForEachTenantReport<unknown> = await tenancy.forEachTenant(
        (tenant: TenantRecord, em) => original.call(this, tenant, em, ...args),
        options,
      );
      for (const result of report.results) {
        if (result.status === 'rejected') {
          const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
          logger.error(`${name} failed for tenant "${result.schema}": ${reason}`);
        }
      }
      return report;
    };
    // metadata set by decorators applied before this one (@Cron below @ForEachTenant) moves over
    for (const metadataKey of Reflect.getMetadataKeys(original)) {
      Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, original), wrapper);
    }
    Object.defineProperty(wrapper, 'name', { value: original.name });
    descriptor.value = wrapper;
    return descriptor;
  };
}
