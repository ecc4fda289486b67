// The public API of `nestjs-tenancy`. Every name here is a semver promise: the list is checked
// against api-report.md (libs/tenancy/src/public-api.spec.ts). The CLI is in `nestjs-tenancy/cli`,
// the test helpers in `nestjs-tenancy/testing`; nothing here loads either.
export { TenancyModule } from './tenancy.module.js';
export type { TenancyModuleOptions, MigrationSetOptions } from './tenancy.options.js';
export { TenancyService } from './tenancy.service.js';
export { CurrentTenant } from './context/current-tenant.decorator.js';
export { SharedRoute } from './context/shared-route.decorator.js';
export type { TenantRecord, TenantSuspension } from './context/tenant-record.js';
export type { ForEachTenantOptions, TenantRunResult } from './operations/for-each-tenant.js';
export type { DeletedTenant, PurgeOptions, PurgeResult, RestoredTenant } from './provisioning/tenant-deletion.service.js';
export { Tenant, TenantSchema, TENANT_STATUSES, type TenantStatus } from './entities/tenant.entity.js';
export { Domain, DomainSchema } from './entities/domain.entity.js';
export type { TenantResolver, TenantLookup, TenancyRequest } from './resolution/tenant.resolver.js';
export { HostTenantResolver } from './resolution/host-tenant.resolver.js';
export { HeaderTenantResolver } from './resolution/header-tenant.resolver.js';
export {
  SchemaMigrator,
  type SchemaRunOptions,
  type TenantsRunOptions,
  type MigrateAllOptions,
  type MigrateAllReport,
} from './migrations/schema-migrator.js';
export type { SchemaMigrationResult, SchemaMigrationState, SchemaMigrationStatus } from './migrations/migration-result.js';
export type { MigrationSetName } from './migrations/migration-orm.factory.js';
export type { CreateTenantInput, TenantDetails } from './provisioning/tenant.provisioner.js';
export { TenancyErrorFilter } from './http/tenancy-error.filter.js';
export { isDatabaseUnavailable } from './postgres/database-unavailable.js';
export {
  TenancyError,
  TenancyHttpError,
  TenancyConfigError,
  EntityKindError,
  InvalidTenantInputError,
  InvalidSchemaNameError,
  InvalidHostError,
  TenantNotFoundError,
  TenantAlreadyExistsError,
  DomainTakenError,
  DomainNotFoundError,
  PrimaryDomainError,
  TenantNotActiveError,
  TenantIsolationError,
  NoTenantBoundError,
  CrossTenantAccessError,
  UncheckedSqlError,
  ProvisioningError,
  RegistryNotMigratedError,
  MigrationError,
} from './tenancy.errors.js';
