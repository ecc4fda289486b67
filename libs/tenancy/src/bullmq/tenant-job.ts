import type { TenantContext } from '../context/tenant-context.js';
import { TenancyConfigError } from '../tenancy.errors.js';

/**
 * Key of a job's data that carries its tenant's schema. Set by the library only (see
 * {@link tenantJobData}): a value the app put there itself is replaced, or removed when no tenant
 * is bound, so request input spread into job data cannot choose the tenant a job runs as.
 */
export const TENANT_JOB_KEY = '__tenant';

/** The schema a job was added for, or `undefined` for a job added with no tenant bound. */
export function tenantOfJob(job: { data?: unknown }): string | undefined {
  const data = job.data;
  if (typeof data !== 'object' || data === null) {
    return undefined;
  }
  const schema = (data as Record<string, unknown>)[TENANT_JOB_KEY];
  return typeof schema === 'string' ? schema : undefined;
}

/** `data` as the job must carry it: stamped with the bound tenant, or without any tenant key. */
export function tenantJobData(context: TenantContext, data: unknown, queueName: string): unknown {
  const schema = context.current()?.schema;
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  if (schema === undefined) {
    if (isObject && TENANT_JOB_KEY in data) {
      const rest = { ...(data as Record<string, unknown>) };
      delete rest[TENANT_JOB_KEY];
      return rest;
    }
    return data;
  }
  if (!isObject && data !== undefined) {
    throw new TenancyConfigError(
      `A job added to queue "${queueName}" while tenant "${schema}" is bound must have an object as its data ` +
        `(the tenant travels in data.${TENANT_JOB_KEY}); got ${Array.isArray(data) ? 'an array' : typeof data}.`,
    );
  }
  return { ...(data as Record<string, unknown> | undefined), [TENANT_JOB_KEY]: schema };
}
