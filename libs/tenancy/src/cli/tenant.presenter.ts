import type { TenantDetails } from '../provisioning/tenant.provisioner.js';

/** A tenant's domains on one line: `acme.test (primary), www.acme.test`. */
export function describeDomains(tenant: Pick<TenantDetails, 'domains'>): string {
  if (tenant.domains.length === 0) {
    return 'no domain';
  }
  return tenant.domains.map((domain) => `${domain.host}${domain.isPrimary ? ' (primary)' : ''}`).join(', ');
}

/** A tenant on one line: `acme (id 3, active) "Acme Corporation": acme.test (primary)`. */
export function describeTenant(tenant: TenantDetails): string {
  return `${tenant.schema} (id ${tenant.id}, ${describeStatus(tenant)}) ${JSON.stringify(tenant.name)}: ${describeDomains(tenant)}`;
}

/** The status, with the suspension's time and reason: `suspended since 2026-12-03T13:00:00.000Z: unpaid`. */
export function describeStatus(tenant: Pick<TenantDetails, 'status' | 'suspension'>): string {
  if (!tenant.suspension) {
    return tenant.status;
  }
  const { since, reason } = tenant.suspension;
  return `${tenant.status} since ${since.toISOString()}${reason ? `: ${reason}` : ''}`;
}
