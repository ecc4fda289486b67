import { type EntityManager, MikroORM, RequestContext } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { TenantContext } from './context/tenant-context.js';
import type { TenantRecord } from './context/tenant-record.js';
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
import { NoTenantBoundError, TenantNotActiveError, TenantNotFoundError } from './tenancy.errors.js';
import { TENANCY_ORM } from './tenancy-orm.provider.js';

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
        `Tenant "${record.schema}" is ${record.status}; pass { allowSuspended: true } to run code for a suspended tenant.`,
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

  /** Removes a tenant and its domains; drops the schema only with `dropSchema: true`. */
  async deleteTenant(schema: string, options: { dropSchema?: boolean } = {}): Promise<void> {
    const { id } = await this.provisioner.details(schema);
    await this.provisioner.delete(schema, options);
    await this.events.emit(TENANCY_EVENTS.tenantDeleted, { tenantId: id, schema, schemaDropped: options.dropSchema === true });
  }

  /** Suspends a tenant: its hosts answer 403 at once in this process. */
  async suspend(schema: string): Promise<TenantDetails> {
    const tenant = await this.provisioner.setStatus(schema, 'suspended');
    await this.events.emit(TENANCY_EVENTS.tenantSuspended, { tenant });
    return tenant;
  }

  /** Makes a suspended tenant active again. */
  async resume(schema: string): Promise<TenantDetails> {
    const tenant = await this.provisioner.setStatus(schema, 'active');
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

  /** Every tenant with its domains. */
  listTenants(): Promise<TenantDetails[]> {
    return this.provisioner.list();
  }
}
