import type { TenancyService } from '../tenancy.service.js';
import { TenantNotFoundError } from '../tenancy.errors.js';

/**
 * The tenant schemas a command works on: those named with `--schema` (each must be a tenant), or
 * every tenant in the registry, ordered by schema.
 */
export async function selectTenantSchemas(tenancy: TenancyService, wanted?: string[]): Promise<string[]> {
  const all = (await tenancy.listTenants()).map((tenant) => tenant.schema);
  if (!wanted) {
    return all;
  }
  const known = new Set(all);
  const missing = wanted.filter((schema) => !known.has(schema));
  if (missing.length > 0) {
    throw TenantNotFoundError.forSchemas(missing);
  }
  return [...new Set(wanted)];
}
