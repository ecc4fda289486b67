import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RequestContextCheck } from './context/request-context.check.js';
import { TenantContext } from './context/tenant-context.js';
import { TenantIsolation } from './isolation/tenant-isolation.js';
import { SchemaMigrator } from './migrations/schema-migrator.js';
import { TenancyChecker } from './check/tenancy.checker.js';
import { EntityDiff } from './migrations/entity-diff.js';
import { TenantDeletionService } from './provisioning/tenant-deletion.service.js';
import { TenantDomainsService } from './provisioning/tenant-domains.service.js';
import { TenantProvisioner } from './provisioning/tenant.provisioner.js';
import { RequestTenantFinder } from './resolution/request-tenant.finder.js';
import { TenantResolverGuard } from './resolution/tenant-resolver.guard.js';
import { TenancyEvents } from './events/tenancy-events.js';
import { DeletedTenantErrors } from './registry/deleted-tenant.errors.js';
import { TenantChangeNotifier } from './registry/tenant-change.notifier.js';
import { TenantRegistry } from './registry/tenant.registry.js';
import { ConfigurableTenancyModule, TENANCY_MODULE_OPTIONS, TENANCY_OPTIONS } from './tenancy.module-definition.js';
import type { TenancyModuleOptions } from './tenancy.options.js';
import { resolveTenancyOptions } from './tenancy.options.resolve.js';
import { tenancyOrmProvider } from './tenancy-orm.provider.js';
import { TenancyService } from './tenancy.service.js';

/**
 * Schema-per-tenant multi-tenancy for a NestJS app on MikroORM and PostgreSQL. Global: import it
 * once, after `MikroOrmModule.forRoot()`.
 *
 * @example
 * TenancyModule.forRoot({
 *   migrations: { shared: { path: sharedDir }, tenant: { path: tenantDir } },
 * })
 */
@Module({
  providers: [
    {
      provide: TENANCY_OPTIONS,
      useFactory: (options: TenancyModuleOptions) => resolveTenancyOptions(options),
      inject: [TENANCY_MODULE_OPTIONS],
    },
    tenancyOrmProvider,
    RequestContextCheck,
    TenantContext,
    TenantIsolation,
    TenantRegistry,
    TenantChangeNotifier,
    DeletedTenantErrors,
    TenancyEvents,
    SchemaMigrator,
    EntityDiff,
    TenancyChecker,
    TenantProvisioner,
    TenantDomainsService,
    TenantDeletionService,
    TenancyService,
    RequestTenantFinder,
    TenantResolverGuard,
    { provide: APP_GUARD, useExisting: TenantResolverGuard },
  ],
  exports: [
    TENANCY_OPTIONS,
    TenantContext,
    TenantRegistry,
    TenantChangeNotifier,
    SchemaMigrator,
    EntityDiff,
    TenancyChecker,
    TenantProvisioner,
    TenancyService,
    TenantIsolation,
    RequestTenantFinder,
  ],
})
export class TenancyModule extends ConfigurableTenancyModule {}
