import type { EntityManager } from '@mikro-orm/core';
import type { TenantRecord } from '../context/tenant-record.js';
import { InvalidTenantInputError } from '../tenancy.errors.js';

/** Options of `TenancyService.forEachTenant()`. */
export interface ForEachTenantOptions {
  /** How many tenants run at once (default 1). */
  concurrency?: number;
  /** Tenants in these statuses run (default `['active']`; add `'suspended'` for maintenance). */
  statuses?: readonly ('active' | 'suspended')[];
  /** Only these tenant schemas (default: every tenant). */
  schemas?: readonly string[];
}

/** What `fn` did for one tenant: like `Promise.allSettled`'s entries, with the tenant's schema. */
export type ForEachTenantResult<T> =
  { schema: string; status: 'fulfilled'; value: T } | { schema: string; status: 'rejected'; reason: unknown };

/** The report of `TenancyService.forEachTenant()`: one result per tenant, in schema order. */
export interface ForEachTenantReport<T> {
  results: ForEachTenantResult<T>[];
  /** Schemas whose run resolved. */
  succeeded: string[];
  /** Schemas whose run threw (the reasons are in `results`). */
  failed: string[];
}

/** The function `forEachTenant()` runs: bound to `tenant`, with its EntityManager. */
export type ForEachTenantFn<T> = (tenant: TenantRecord, em: EntityManager) => Promise<T> | T;

/** Checks the options and fills in the defaults. */
export function forEachTenantOptions(
  options: ForEachTenantOptions,
): Required<ForEachTenantOptions> & { schemas?: readonly string[] } {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new InvalidTenantInputError(`forEachTenant: concurrency must be a positive integer, got ${String(concurrency)}.`);
  }
  const statuses = options.statuses ?? ['active'];
  for (const status of statuses) {
    if (status !== 'active' && status !== 'suspended') {
      throw new InvalidTenantInputError(
        `forEachTenant: statuses may hold "active" and "suspended", got ${JSON.stringify(status)}.`,
      );
    }
  }
  return { concurrency, statuses, schemas: options.schemas } as Required<ForEachTenantOptions>;
}

/**
 * Runs `run(tenant)` for every tenant with at most `concurrency` at once; a failure is recorded and
 * the others go on. Results come back in the order of `tenants`.
 */
export async function settleEach<T>(
  tenants: readonly TenantRecord[],
  concurrency: number,
  run: (tenant: TenantRecord) => Promise<T>,
): Promise<ForEachTenantReport<T>> {
  const results: ForEachTenantResult<T>[] = new Array(tenants.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tenants.length) {
      const index = next++;
      const tenant = tenants[index];
      try {
        results[index] = { schema: tenant.schema, status: 'fulfilled', value: await run(tenant) };
      } catch (reason) {
        results[index] = { schema: tenant.schema, status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tenants.length) }, worker));
  return {
    results,
    succeeded: results.filter((result) => result.status === 'fulfilled').map((result) => result.schema),
    failed: results.filter((result) => result.status === 'rejected').map((result) => result.schema),
  };
}
