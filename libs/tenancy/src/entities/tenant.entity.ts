import { defineEntity, p } from '@mikro-orm/core';

/**
 * Life cycle of a tenant: `provisioning` while being created, then `active` or `suspended`;
 * `deleted` while its schema is kept aside for the deletion retention (never served).
 */
export const TENANT_STATUSES = ['active', 'suspended', 'provisioning', 'deleted'] as const;

/** Status of a {@link Tenant}. */
export type TenantStatus = (typeof TENANT_STATUSES)[number];

/**
 * The tenant registry row (shared schema, table `tenant`). `schema` is the PostgreSQL schema that
 * holds the tenant's copy of every tenant entity.
 */
export const TenantSchema = defineEntity({
  name: 'Tenant',
  tableName: 'tenant',
  schema: 'public',
  properties: {
    id: p.integer().primary(),
    schema: p.string().length(63).unique(),
    name: p.string().length(200),
    status: p.enum(() => TENANT_STATUSES).default('active'),
    /** Why the tenant is suspended (shown in the 403 answer); null when it is not. */
    suspendedReason: p.text().nullable(),
    /** When the tenant was suspended; null when it is not. */
    suspendedAt: p.datetime().nullable(),
    /** When the tenant was deleted (status `deleted`); null otherwise. */
    deletedAt: p.datetime().nullable(),
    /** The name its schema was renamed to when it was deleted (`_deleted_<id>_<schema>`); null otherwise. */
    deletedSchema: p.string().length(63).nullable(),
    /** Its domains when it was deleted, the primary first, given back by a restore when still free. */
    deletedDomains: p.array().nullable(),
    createdAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .defaultRaw('current_timestamp')
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});

/** A tenant, as loaded from the registry. */
export class Tenant extends TenantSchema.class {}
TenantSchema.setClass(Tenant);
