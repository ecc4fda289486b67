import type { TenantRecord } from '../context/tenant-record.js';

/** Options of `TenancyService.forEachTenant`. */
export interface ForEachTenantOptions<T> {
  /** Only these tenant schemas (each must be a tenant); default: every tenant, any status. */
  schemas?: string[];
  /** Tenants worked on at once. @default the module's `migrationConcurrency` (4) */
  concurrency?: number;
  /** Start no further tenant after the first failure (the rest are `skipped`). */
  failFast?: boolean;
  /** Called with the tenants once they are known, before the first one starts. */
  onStart?: (tenants: TenantRecord[]) => void;
  /** Called after each tenant. */
  onResult?: (result: TenantRunResult<T>) => void;
}

/** What `fn` did for one tenant. */
export interface TenantRunResult<T> {
  schema: string;
  /** `failed` when `fn` threw (see `error`); `skipped` after a failure with `failFast`. */
  status: 'succeeded' | 'failed' | 'skipped';
  /** What `fn` returned. */
  value?: T;
  /** What `fn` threw. */
  error?: unknown;
  durationMs: number;
}

/**
 * Calls `fn` for each tenant with at most `concurrency` at once; a tenant whose `fn` throws is
 * reported `failed` and the others go on. Results are in the order the tenants finished.
 */
export async function forEachTenant<T>(
  tenants: TenantRecord[],
  fn: (tenant: TenantRecord) => Promise<T>,
  options: { concurrency: number; failFast?: boolean; onResult?: (result: TenantRunResult<T>) => void },
): Promise<TenantRunResult<T>[]> {
  const results: TenantRunResult<T>[] = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < tenants.length && !(failed && options.failFast)) {
      const tenant = tenants[next++];
      const started = performance.now();
      let result: TenantRunResult<T>;
      try {
        const value = await fn(tenant);
        result = { schema: tenant.schema, status: 'succeeded', value, durationMs: Math.round(performance.now() - started) };
      } catch (error) {
        failed = true;
        result = { schema: tenant.schema, status: 'failed', error, durationMs: Math.round(performance.now() - started) };
      }
      results.push(result);
      options.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, options.concurrency), tenants.length) }, worker));
  for (const tenant of tenants.slice(next)) {
    const skipped: TenantRunResult<T> = { schema: tenant.schema, status: 'skipped', durationMs: 0 };
    results.push(skipped);
    options.onResult?.(skipped);
  }
  return results;
}
