import { defineEntity, p } from '@mikro-orm/core';
import { Tenant } from './tenant.entity.js';

/**
 * A host name that resolves to a tenant (shared schema, table `domain`). Stored lower case with no
 * port; exactly one domain of a tenant is primary.
 */
export const DomainSchema = defineEntity({
  name: 'Domain',
  tableName: 'domain',
  schema: 'public',
  indexes: [{ name: 'domain_tenant_id_index', properties: ['tenant'] }],
  uniques: [
    {
      name: 'domain_primary_unique',
      expression: 'create unique index "domain_primary_unique" on "domain" ("tenant_id") where "is_primary"',
    },
  ],
  properties: {
    id: p.integer().primary(),
    host: p.string().length(253).unique(),
    tenant: () => p.manyToOne(Tenant).deleteRule('cascade'),
    isPrimary: p.boolean().default(false),
    createdAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date()),
  },
});

/** A domain of a tenant. */
export class Domain extends DomainSchema.class {}
DomainSchema.setClass(Domain);
