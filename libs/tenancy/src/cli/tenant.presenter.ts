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
  return `${tenant.schema} (id ${tenant.id}, ${tenant.status}) ${JSON.stringify(tenant.name)}: ${describeDomains(tenant)}`;
}
