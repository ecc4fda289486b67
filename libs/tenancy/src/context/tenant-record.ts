import type { TenantStatus } from '../entities/tenant.entity.js';

/**
 * A tenant as the request path sees it: a plain, frozen snapshot of the registry row (never a
 * managed entity, so it can be cached and shared between requests safely).
 */
export interface TenantRecord {
  readonly id: number;
  readonly schema: string;
  readonly name: string;
  readonly status: TenantStatus;
  /** Why and since when the tenant is suspended; absent while it is not. */
  readonly suspension?: TenantSuspension;
}

/** A suspended tenant's reason and suspension time, as `tenant:suspend --reason` stored them. */
export interface TenantSuspension {
  /** The reason given, if any (shown in the 403 answer). */
  readonly reason: string | null;
  /** When the tenant was suspended. */
  readonly since: Date;
}

/** The registry columns a {@link TenantRecord} is read from. */
export interface TenantRecordRow {
  id: number;
  schema: string;
  name: string;
  status: TenantStatus;
  suspended_reason: string | null;
  suspended_at: Date | string | null;
}

/** The registry's columns of a {@link TenantRecordRow}, for a select list (`t` is the tenant table's alias). */
export const TENANT_RECORD_COLUMNS = 't.id, t.schema, t.name, t.status, t.suspended_reason, t.suspended_at';

/** A frozen {@link TenantRecord} of a registry row. */
export function tenantRecordOf(row: TenantRecordRow): TenantRecord {
  const suspension =
    row.status === 'suspended' && row.suspended_at !== null
      ? Object.freeze({ reason: row.suspended_reason, since: new Date(row.suspended_at) })
      : undefined;
  return Object.freeze({
    id: Number(row.id),
    schema: row.schema,
    name: row.name,
    status: row.status,
    ...(suspension ? { suspension } : {}),
  });
}
