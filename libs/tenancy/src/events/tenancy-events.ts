import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { TenantDetails } from '../provisioning/tenant.provisioner.js';

/**
 * Names of the lifecycle events the library emits through `@nestjs/event-emitter` when the app
 * imports `EventEmitterModule` (listen with `@OnEvent(TENANCY_EVENTS.tenantCreated)`).
 */
export const TENANCY_EVENTS = {
  /** {@link TenantCreatedEvent}: after the creation committed. */
  tenantCreated: 'tenancy.tenant.created',
  /** {@link TenantMigratedEvent}: a tenant schema got new migrations (`SchemaMigrator.migrateAll()`). */
  tenantMigrated: 'tenancy.tenant.migrated',
  /** {@link TenantStatusEvent} */
  tenantSuspended: 'tenancy.tenant.suspended',
  /** {@link TenantStatusEvent} */
  tenantResumed: 'tenancy.tenant.resumed',
  /** {@link TenantDeletedEvent} */
  tenantDeleted: 'tenancy.tenant.deleted',
  /** {@link DomainAddedEvent} */
  domainAdded: 'tenancy.domain.added',
  /** {@link DomainRemovedEvent} */
  domainRemoved: 'tenancy.domain.removed',
} as const;

/** A tenant was created (its schema migrated, its domains attached); the transaction committed. */
export interface TenantCreatedEvent {
  tenant: TenantDetails;
}

/** Migrations were applied to a tenant schema. */
export interface TenantMigratedEvent {
  schema: string;
  migrations: string[];
}

/** A tenant was suspended or resumed. */
export interface TenantStatusEvent {
  tenant: TenantDetails;
}

/** A tenant was deleted (its schema dropped or kept). */
export interface TenantDeletedEvent {
  tenantId: number;
  schema: string;
  schemaDropped: boolean;
}

/** A domain was attached to a tenant. */
export interface DomainAddedEvent {
  schema: string;
  host: string;
  primary: boolean;
}

/** A domain was detached from its tenant. */
export interface DomainRemovedEvent {
  host: string;
}

interface Emitter {
  listeners(event: string): ((...values: unknown[]) => unknown)[];
}

/** The optional peer, loaded only when present. */
const EVENT_EMITTER_PACKAGE = '@nestjs/event-emitter';

/**
 * Emits the lifecycle events when the app has `EventEmitterModule`, and does nothing otherwise.
 * Events are emitted after the change committed, and every listener awaited: a listener sees the
 * change in the database, and the call (`createTenant()` …) returns after its listeners ran. A
 * failing listener is logged and never undoes or fails the change. For seed data that must exist
 * with the tenant or not at all, write a tenant migration: migrations run in the creation's
 * transaction.
 */
@Injectable()
export class TenancyEvents implements OnModuleInit {
  private readonly logger = new Logger('TenancyEvents');
  private emitter?: Emitter;

  constructor(private readonly moduleRef: ModuleRef) {}

  async onModuleInit(): Promise<void> {
    let token: unknown;
    try {
      ({ EventEmitter2: token } = (await import(EVENT_EMITTER_PACKAGE)) as { EventEmitter2: unknown });
    } catch {
      return; // not installed
    }
    try {
      this.emitter = this.moduleRef.get(token as never, { strict: false });
    } catch {
      // installed, but EventEmitterModule is not imported by the app
    }
  }

  /** Emits `name` with `payload` and waits for its listeners; a listener's failure is logged. */
  async emit(name: (typeof TENANCY_EVENTS)[keyof typeof TENANCY_EVENTS], payload: object): Promise<void> {
    if (!this.emitter) {
      return;
    }
    // every listener (wildcard ones included) is awaited, even when another one fails
    const results = await Promise.allSettled(
      this.emitter.listeners(name).map(async (listener) => listener.call(this.emitter, payload)),
    );
    for (const result of results) {
      if (result.status === 'rejected') {
        const error: unknown = result.reason;
        this.logger.error(
          `A listener of ${name} failed (the change stands): ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}
