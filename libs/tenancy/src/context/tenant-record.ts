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
}
