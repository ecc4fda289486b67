// The public API of `nestjs-tenancy`. Every name here is a semver promise: the list is checked
// against api-report.md (libs/tenancy/src/public-api.spec.ts). The CLI is in `nestjs-tenancy/cli`,
// the test helpers in `nestjs-tenancy/testing`; nothing here loads either.
export { TenancyModule } from './tenancy.module.js';
export type { TenancyModuleOptions, MigrationSetOptions } from './tenancy.options.js';
export { TenancyService } from './tenancy.service.js';
export { ForEachTenant } from './tasks/for-each-tenant.decorator.js';
export type { ForEachTenantFn, ForEachTenantOptions, ForEachTenantReport, ForEachTenantResult } from './tasks/for-each-tenant.js';
export { CurrentTenant } from './context/current-tenant.decorator.js';
export { boundTenant } from './context/tenant-context.js';
export { tenantCacheKey } from './context/tenant-cache-key.js';
export { TenantConsoleLogger } from './logging/tenant-console.logger.js';
export { SharedRoute } from './context/shared-route.decorator.js';
export { ResolveTenantWith } from './context/resolve-tenant-with.decorator.js';
export type { TenantRecord, TenantSuspension } from './context/tenant-record.js';
export {
  TENANCY_EVENTS,
  type TenantCreatedEvent,
  type TenantMigratedEvent,
  type TenantStatusEvent,
  type TenantDeletedEvent,
  type DomainAddedEvent,
  type DomainRemovedEvent,
} from './events/tenancy-events.js';
export type { DeletedTenant, PurgeOptions, PurgeResult, RestoredTenant } from './provisioning/tenant-deletion.service.js';
export { Tenant, TenantSchema, TENANT_STATUSES, type TenantStatus } from './entities/tenant.entity.js';
export { Domain, DomainSchema } from './entities/domain.entity.js';
export type { TenantResolver, TenantLookup, TenancyRequest } from './resolution/tenant.resolver.js';
export { HostTenantResolver } from './resolution/host-tenant.resolver.js';
export { HeaderTenantResolver } from './resolution/header-tenant.resolver.js';
export { PathTenantResolver, tenantPathMiddleware, tenantPathRewrite } from './resolution/path-tenant.resolver.js';
export { SubdomainTenantResolver, type SubdomainTenantResolverOptions } from './resolution/subdomain-tenant.resolver.js';
export {
  SchemaMigrator,
  type SchemaRunOptions,
  type TenantsRunOptions,
  type MigrateAllOptions,
  type MigrateAllReport,
} from './migrations/schema-migrator.js';
export type { SchemaMigrationResult, SchemaMigrationState, SchemaMigrationStatus } from './migrations/migration-result.js';
export type { MigrationSetName } from './migrations/migration-orm.factory.js';
export { TenancyChecker, type TenancyCheckOptions } from './check/tenancy.checker.js';
export type { TenancyCheckReport, TenantCheck, SchemaDrift } from './check/tenancy-check.report.js';
export type { CatalogObjectKind, CrossSchemaForeignKey } from './check/schema-catalog.js';
export type { CreateTenantInput, TenantDetails } from './provisioning/tenant.provisioner.js';
export { TenancyErrorFilter } from './http/tenancy-error.filter.js';
export type { TenancyErrorExtensions } from './http/error-extensions.js';
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
