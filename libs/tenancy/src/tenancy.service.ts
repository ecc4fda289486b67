import { type EntityManager, MikroORM, RequestContext } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { TenantContext } from './context/tenant-context.js';
import { tenantDatabaseUrl } from './postgres/tenant-database-url.js';
import type { TenantRecord } from './context/tenant-record.js';
import {
  type DeletedTenant,
  type PurgeOptions,
  type PurgeResult,
  type RestoredTenant,
  TenantDeletionService,
} from './provisioning/tenant-deletion.service.js';
import { TenantDomainsService } from './provisioning/tenant-domains.service.js';
import { type CreateTenantInput, type TenantDetails, TenantProvisioner } from './provisioning/tenant.provisioner.js';
import { TENANCY_EVENTS, TenancyEvents } from './events/tenancy-events.js';
import { TenantRegistry } from './registry/tenant.registry.js';
import { parseDomain } from './resolution/host.js';
import {
  type ForEachTenantFn,
  type ForEachTenantOptions,
  type ForEachTenantReport,
  forEachTenantOptions,
  settleEach,
} from './tasks/for-each-tenant.js';
import { assertTenantSchemaName } from './postgres/schema-name.js';
import { NoTenantBoundError, TenantNotActiveError, TenantNotFoundError } from './tenancy.errors.js';
import { TENANCY_ORM } from './tenancy-orm.provider.js';
import { TENANCY_OPTIONS } from './tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from './tenancy.options.js';

/**
 * The library's API for application code: the current tenant, running code as a tenant outside
 * HTTP, and managing tenants and their domains (the CLI calls the same methods).
 *
 * @example
 * await tenancy.run('acme', async (em) => em.find(Project, {}));
 */
@Injectable()
export class TenancyService {
  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly context: TenantContext,
    private readonly registry: TenantRegistry,
    private readonly provisioner: TenantProvisioner,
    private readonly domains: TenantDomainsService,
    private readonly events: TenancyEvents,
    private readonly deletion: TenantDeletionService,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  /** The tenant bound to the current request or `run()` scope, if any. */
  current(): TenantRecord | undefined {
    return this.context.current();
  }

  /** The bound tenant; throws {@link NoTenantBoundError} when there is none. */
  currentOrThrow(): TenantRecord {
    const tenant = this.context.current();
    if (!tenant) {
      throw new NoTenantBoundError('No tenant is bound here: serve this on a tenant host, or wrap it in TenancyService.run().');
    }
    return tenant;
  }

  /**
   * Runs `fn` with a tenant bound (for jobs, cron, scripts), like django-tenants' `tenant_context`:
   * in a fresh MikroORM request context whose EntityManager is bound to the tenant's schema. The
   * EntityManager passed to `fn` (and the injected one, inside `fn`) work on that tenant only.
   * The tenant is always looked up in the registry (cached); a suspended tenant is refused unless
   * `allowSuspended` is set.
   */
  async run<T>(
    tenant: string | TenantRecord,
    fn: (em: EntityManager) => Promise<T> | T,
    options: { allowSuspended?: boolean } = {},
  ): Promise<T> {
    const schema = typeof tenant === 'string' ? tenant : tenant.schema;
    const record = typeof schema === 'string' ? await this.registry.bySchema(schema) : undefined;
    if (!record) {
      throw TenantNotFoundError.forSchema(schema);
    }
    if (record.status !== 'active' && !(record.status === 'suspended' && options.allowSuspended)) {
      throw new TenantNotActiveError(
        `Tenant "${record.schema}" is ${record.status}${record.suspension?.reason ? ` (${record.suspension.reason})` : ''}; pass { allowSuspended: true } to run code for a suspended tenant.`,
      );
    }
    return RequestContext.create(
      this.orm.em,
      async () => {
        this.context.bind(record);
        return fn(this.orm.em.getContext());
      },
      { schema: record.schema },
    );
  }

  /**
   * Runs `fn` once for every tenant (cron jobs, maintenance, backfills), each call bound to its
   * tenant exactly like {@link run}, at most `concurrency` at once (default 1). Only active tenants
   * by default (`statuses: ['active', 'suspended']` for maintenance). A failing tenant does not stop
   * the others: its error is in the report, which lists every tenant in schema order. A tenant
   * suspended or deleted after the list was read is reported as failed with the reason.
   *
   * @example
   * const report = await tenancy.forEachTenant((tenant, em) => em.nativeDelete(Session, { expired: true }), { concurrency: 4 });
   * if (report.failed.length > 0) logger.warn(`cleanup failed for ${report.failed.join(', ')}`);
   */
  async forEachTenant<T>(fn: ForEachTenantFn<T>, options: ForEachTenantOptions = {}): Promise<ForEachTenantReport<T>> {
    const { concurrency, statuses, schemas } = forEachTenantOptions(options);
    const tenants = (await this.provisioner.list(schemas ? [...schemas] : undefined)).filter((tenant) =>
      (statuses as readonly string[]).includes(tenant.status),
    );
    const allowSuspended = statuses.includes('suspended');
    return settleEach(
      tenants.map(({ id, schema, name, status }) => ({ id, schema, name, status })),
      concurrency,
      (tenant) => this.run(tenant.schema, (em) => fn(this.context.current() ?? tenant, em), { allowSuspended }),
    );
  }

  /** Creates a tenant: registry row, domains, schema and tables, all or nothing. */
  async createTenant(input: CreateTenantInput): Promise<TenantDetails> {
    const tenant = await this.provisioner.create(input);
    await this.events.emit(TENANCY_EVENTS.tenantCreated, { tenant });
    return tenant;
  }

  /**
   * Writes a tenant's schema (tables, rows, migration state) to `file` with `pg_dump` (custom
   * format). Needs the PostgreSQL client tools on PATH.
   */
  exportTenant(schema: string, file: string): Promise<{ schema: string; file: string }> {
    return this.provisioner.exportTenant(schema, file);
  }

  /**
   * Creates a tenant from a file written by {@link exportTenant}, under `input.schema`: the file's
   * tables, rows and migration state, then this app's pending tenant migrations; all or nothing.
   * A file with tenant migrations this app does not have is refused. Needs `pg_restore` on PATH.
   */
  importTenant(file: string, input: Omit<CreateTenantInput, 'from' | 'withData'>): Promise<TenantDetails> {
    return this.provisioner.importTenant(file, input);
  }

  /**
   * Renames a tenant's schema (`newSchema` follows the rules of creation): the schema and the
   * registry row change in one transaction under the tenant's advisory lock, and every instance's
   * cache follows. A failure changes nothing.
   *
   * @example await tenancy.renameTenant('acme', 'acme_corp');
   */
  renameTenant(schema: string, newSchema: string): Promise<TenantDetails> {
    return this.provisioner.rename(schema, newSchema);
  }

  /**
   * Deletes a tenant: it is no longer served or resolvable, its domains are released. By default
   * its schema is renamed aside (`_deleted_<id>_<schema>`) and its registry row kept, with status
   * `deleted`, for the `deletedRetention` option: {@link restoreTenant} gives it back, and
   * {@link purgeDeletedTenants} drops it after that. With `dropSchema: true` the row, the domains
   * and the schema (with all its data) go at once. Returns the deleted tenant as kept (nothing with
   * `dropSchema`).
   */
  async deleteTenant(schema: string, options: { dropSchema?: boolean } = {}): Promise<DeletedTenant | undefined> {
    const { id } = await this.provisioner.details(schema);
    let deleted: DeletedTenant | undefined;
    if (options.dropSchema) {
      await this.provisioner.delete(schema, { dropSchema: true });
    } else {
      deleted = await this.deletion.delete(schema);
    }
    await this.events.emit(TENANCY_EVENTS.tenantDeleted, { tenantId: id, schema, schemaDropped: options.dropSchema === true });
    return deleted;
  }

  /**
   * Gives a deleted tenant back: its schema under its name, its status from before, and those of
   * its domains no other tenant took meanwhile (the others are listed in `domainsNotRestored`).
   *
   * @example const { domainsNotRestored } = await tenancy.restoreTenant('acme');
   */
  restoreTenant(schema: string): Promise<RestoredTenant> {
    return this.deletion.restore(schema);
  }

  /**
   * Drops the schemas and registry rows of deleted tenants older than the `deletedRetention`
   * option (or `olderThan` ms, or all with `all`); `schemas` narrows to those tenants. One
   * transaction per tenant; a failure is reported in its result and the others go on.
   */
  purgeDeletedTenants(options: PurgeOptions = {}): Promise<PurgeResult[]> {
    return this.deletion.purge(options);
  }

  /** Deleted tenants still kept, with where their schema is and when they may be purged. */
  listDeletedTenants(): Promise<DeletedTenant[]> {
    return this.deletion.list();
  }

  /**
   * Suspends a tenant: its hosts answer 403 (at once in this process, and in the others that
   * LISTEN), with the reason (1-500 characters, optional) and the suspension time in the body.
   *
   * @example await tenancy.suspend('acme', { reason: 'Invoice 2026-11 unpaid' });
   */
  async suspend(schema: string, options: { reason?: string } = {}): Promise<TenantDetails> {
    const tenant = await this.provisioner.suspend(schema, options.reason);
    await this.events.emit(TENANCY_EVENTS.tenantSuspended, { tenant });
    return tenant;
  }

  /** Makes a suspended tenant active again (its suspension reason and time are cleared). */
  async resume(schema: string): Promise<TenantDetails> {
    const tenant = await this.provisioner.resume(schema);
    await this.events.emit(TENANCY_EVENTS.tenantResumed, { tenant });
    return tenant;
  }

  /** Attaches a domain to a tenant. */
  async addDomain(schema: string, host: string, options: { primary?: boolean } = {}): Promise<TenantDetails> {
    const tenant = await this.domains.add(schema, host, options);
    const added = tenant.domains.find((domain) => domain.host === parseDomain(host));
    await this.events.emit(TENANCY_EVENTS.domainAdded, { schema, host: added?.host ?? host, primary: added?.isPrimary ?? false });
    return tenant;
  }

  /** Detaches a domain. */
  async removeDomain(host: string): Promise<void> {
    await this.domains.remove(host);
    await this.events.emit(TENANCY_EVENTS.domainRemoved, { host: parseDomain(host) });
  }

  /** Makes a domain its tenant's primary domain. */
  makePrimaryDomain(host: string): Promise<void> {
    return this.domains.makePrimary(host);
  }

  /**
   * Forgets the cached host and schema lookups and reloads the known-hosts filter. Changes made
   * through this service (or the CLI, in a process that LISTENs) need no reload; call it after
   * changing tenants or domains with SQL of your own.
   */
  reloadRegistry(): Promise<void> {
    return this.registry.reload();
  }

  /** A tenant with its domains. */
  getTenant(schema: string): Promise<TenantDetails> {
    return this.provisioner.details(schema);
  }

  /**
   * A PostgreSQL URL of the app's database whose sessions start with `search_path` set to the
   * tenant's schema, then the shared schema (`?options=-c search_path=...`), for a process or tool
   * of its own (psql, a script). It sets session state: give it to a direct connection, not to
   * PgBouncer in transaction mode.
   */
  tenantDatabaseUrl(tenant: string | TenantRecord): Promise<string> {
    const schema = typeof tenant === 'string' ? tenant : tenant.schema;
    assertTenantSchemaName(schema, this.options.sharedSchema);
    return tenantDatabaseUrl(this.orm, schema, this.options.sharedSchema);
  }

  /** Every tenant with its domains. */
  listTenants(): Promise<TenantDetails[]> {
    return this.provisioner.list();
  }
}
