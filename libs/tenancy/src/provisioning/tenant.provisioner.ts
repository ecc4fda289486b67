import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TenantRecord } from '../context/tenant-record.js';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.js';
import { Domain } from '../entities/domain.entity.js';
import { Tenant, type TenantStatus } from '../entities/tenant.entity.js';
import { errorMessage, SchemaMigrator } from '../migrations/schema-migrator.js';
import { parseDomain } from '../resolution/host.js';
import { TenantChangeNotifier } from '../registry/tenant-change.notifier.js';
import { assertTenantSchemaName, quoteIdentifier } from '../postgres/schema-name.js';
import { lockSchemaForTransaction } from '../postgres/advisory-lock.js';
import { pgArray } from '../postgres/pg-array.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import {
  DomainNotFoundError,
  DomainTakenError,
  InvalidSchemaNameError,
  InvalidTenantInputError,
  MigrationError,
  PrimaryDomainError,
  ProvisioningError,
  TenancyError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
} from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';

/** What `createTenant` needs. */
export interface CreateTenantInput {
  /** PostgreSQL schema of the tenant (validated: `^[a-z_][a-z0-9_]{0,62}$`). */
  schema: string;
  /** Display name (1-200 characters). Defaults to the schema. */
  name?: string;
  /** Host names; the first is primary. */
  domains?: string[];
}

/** A tenant with its domains, as the registry holds it. */
export interface TenantDetails extends TenantRecord {
  domains: { host: string; isPrimary: boolean }[];
  createdAt: Date;
  updatedAt: Date;
  /** Tenant migrations applied when the tenant was created (only from `createTenant`). */
  migrations?: string[];
}

interface TenantRow {
  id: number;
  schema: string;
  name: string;
  status: TenantStatus;
  created_at: Date;
  updated_at: Date;
}

/**
 * Creates, changes and removes tenants. Creation is all or nothing: the registry row, the
 * domains, the schema and every tenant migration are written in one transaction (PostgreSQL DDL is
 * transactional), under the schema's advisory lock, so a failure leaves nothing behind.
 */
@Injectable()
export class TenantProvisioner {
  private readonly logger = new Logger(TenantProvisioner.name);
  private readonly tenantTable: string;
  private readonly domainTable: string;

  constructor(
    private readonly orm: MikroORM,
    private readonly migrator: SchemaMigrator,
    private readonly notifier: TenantChangeNotifier,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    const shared = quoteIdentifier(options.sharedSchema);
    this.tenantTable = `${shared}.${quoteIdentifier(orm.getMetadata(Tenant).tableName)}`;
    this.domainTable = `${shared}.${quoteIdentifier(orm.getMetadata(Domain).tableName)}`;
  }

  /** Creates a tenant, its schema (migrated to the latest tenant migration) and its domains. */
  async create(input: CreateTenantInput): Promise<TenantDetails> {
    const schema = input.schema;
    assertTenantSchemaName(schema, this.options.sharedSchema);
    const name = input.name ?? schema;
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
      throw new InvalidTenantInputError('The tenant name must be 1-200 characters.');
    }
    const domains = [...new Set((input.domains ?? []).map((domain) => parseDomain(domain)))];
    const orm = await this.migrator.migrationOrm('tenant');
    const started = performance.now();
    let migrations: string[];
    try {
      migrations = await orm.em.fork().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        await lockSchemaForTransaction(em, 'tenant', schema);
        const [taken] = await em.execute(`select 1 from ${this.tenantTable} where schema = ?`, [schema]);
        if (taken) {
          throw new TenantAlreadyExistsError(`A tenant with schema "${schema}" already exists.`);
        }
        const [role] = await em.execute('select 1 from pg_roles where rolname = ?', [schema]);
        if (role) {
          throw InvalidSchemaNameError.forRoleName(schema);
        }
        const [exists] = await em.execute('select 1 from pg_namespace where nspname = ?', [schema]);
        if (exists) {
          throw new TenantAlreadyExistsError(
            `Schema "${schema}" already exists in the database (kept from a deleted tenant?): drop it or choose another name.`,
          );
        }
        if (domains.length > 0) {
          const used = await em.execute<{ host: string }[]>(`select host from ${this.domainTable} where host = any(?::text[])`, [
            pgArray(domains),
          ]);
          if (used.length > 0) {
            throw new DomainTakenError(`Domain "${used[0].host}" is already used by another tenant.`);
          }
        }
        const [row] = await em.execute<{ id: number }[]>(
          `insert into ${this.tenantTable} (schema, name, status, created_at, updated_at) values (?, ?, 'active', now(), now()) returning id`,
          [schema, name],
        );
        const tenantId = Number(row.id);
        for (const [index, host] of domains.entries()) {
          await em.execute(`insert into ${this.domainTable} (host, tenant_id, is_primary, created_at) values (?, ?, ?, now())`, [
            host,
            tenantId,
            index === 0,
          ]);
        }
        await em.execute(`create schema ${quoteIdentifier(schema)}`);
        return (await this.migrator.migrateTenant(schema, { em })).migrations;
      });
    } catch (error) {
      throw translate(error, schema);
    }
    await this.notifier.changed({ schema, hosts: domains });
    this.logger.log(`Created tenant "${schema}" in ${Math.round(performance.now() - started)} ms.`);
    return { ...(await this.details(schema)), migrations };
  }

  /** Removes a tenant and its domains; drops its schema (and all its data) only with `dropSchema`. */
  async delete(schema: string, options: { dropSchema?: boolean } = {}): Promise<void> {
    const tenant = await this.details(schema);
    const orm = await this.migrator.migrationOrm('tenant');
    await orm.em.fork().transactional(async (txEm) => {
      const em = sqlEntityManager(txEm);
      await lockSchemaForTransaction(em, 'tenant', schema);
      await em.execute(`delete from ${this.domainTable} where tenant_id = ?`, [tenant.id]);
      await em.execute(`delete from ${this.tenantTable} where id = ?`, [tenant.id]);
      if (options.dropSchema) {
        await em.execute(`drop schema if exists ${quoteIdentifier(schema)} cascade`);
      }
    });
    await this.notifier.changed({ tenantId: tenant.id });
    this.logger.log(`Deleted tenant "${schema}"${options.dropSchema ? ' and dropped its schema' : ''}.`);
  }

  /** Sets a tenant's status (`active` or `suspended`). */
  async setStatus(schema: string, status: Exclude<TenantStatus, 'provisioning'>): Promise<TenantDetails> {
    const tenant = await this.details(schema);
    await this.em().execute(`update ${this.tenantTable} set status = ?, updated_at = now() where id = ?`, [status, tenant.id]);
    await this.notifier.changed({ tenantId: tenant.id });
    return this.details(schema);
  }

  /** Attaches a domain to a tenant; `primary` (or being its first domain) makes it the primary one. */
  async addDomain(schema: string, domain: string, options: { primary?: boolean } = {}): Promise<TenantDetails> {
    const host = parseDomain(domain);
    let tenantId: number;
    try {
      tenantId = await this.em().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        // the tenant row's lock serialises domain changes of one tenant (one primary at a time)
        const [tenant] = await em.execute<{ id: number }[]>(`select id from ${this.tenantTable} where schema = ? for update`, [
          schema,
        ]);
        if (!tenant) {
          throw TenantNotFoundError.forSchema(schema);
        }
        const [{ count }] = await em.execute<{ count: string }[]>(
          `select count(*) as count from ${this.domainTable} where tenant_id = ?`,
          [tenant.id],
        );
        const primary = options.primary === true || Number(count) === 0;
        if (primary) {
          await em.execute(`update ${this.domainTable} set is_primary = false where tenant_id = ?`, [tenant.id]);
        }
        await em.execute(`insert into ${this.domainTable} (host, tenant_id, is_primary, created_at) values (?, ?, ?, now())`, [
          host,
          tenant.id,
          primary,
        ]);
        return Number(tenant.id);
      });
    } catch (error) {
      throw translate(error, schema, host);
    }
    await this.notifier.changed({ tenantId, hosts: [host] });
    return this.details(schema);
  }

  /** Detaches a domain. The primary domain can only go when it is the tenant's last one. */
  async removeDomain(domain: string): Promise<void> {
    const host = parseDomain(domain);
    const [row] = await this.em().execute<{ tenant_id: number; is_primary: boolean; count: string }[]>(
      `select d.tenant_id, d.is_primary, (select count(*) from ${this.domainTable} o where o.tenant_id = d.tenant_id) as count from ${this.domainTable} d where d.host = ?`,
      [host],
    );
    if (!row) {
      throw new DomainNotFoundError(`Domain "${host}" is not attached to any tenant.`);
    }
    if (row.is_primary && Number(row.count) > 1) {
      throw new PrimaryDomainError(`Domain "${host}" is the tenant's primary domain: make another domain primary first.`);
    }
    await this.em().execute(`delete from ${this.domainTable} where host = ?`, [host]);
    await this.notifier.changed({ tenantId: Number(row.tenant_id) });
  }

  /** Makes a domain its tenant's primary domain. */
  async makePrimary(domain: string): Promise<void> {
    const host = parseDomain(domain);
    await this.em().transactional(async (txEm) => {
      const em = sqlEntityManager(txEm);
      const [row] = await em.execute<{ tenant_id: number }[]>(
        `select tenant_id from ${this.domainTable} where host = ? for update`,
        [host],
      );
      if (!row) {
        throw new DomainNotFoundError(`Domain "${host}" is not attached to any tenant.`);
      }
      await em.execute(`update ${this.domainTable} set is_primary = (host = ?) where tenant_id = ?`, [host, row.tenant_id]);
    });
  }

  /** A tenant with its domains; throws {@link TenantNotFoundError}. */
  async details(schema: string): Promise<TenantDetails> {
    const [tenant] = await this.list([schema]);
    if (!tenant) {
      throw TenantNotFoundError.forSchema(schema);
    }
    return tenant;
  }

  /** Every tenant (or those with these schemas), with domains, ordered by schema. */
  async list(schemas?: string[]): Promise<TenantDetails[]> {
    const em = this.em();
    const tenants = await em.execute<TenantRow[]>(
      `select id, schema, name, status, created_at, updated_at from ${this.tenantTable}${schemas ? ' where schema = any(?::text[])' : ''} order by schema`,
      schemas ? [pgArray(schemas)] : [],
    );
    if (tenants.length === 0) {
      return [];
    }
    const domains = await em.execute<{ tenant_id: number; host: string; is_primary: boolean }[]>(
      `select tenant_id, host, is_primary from ${this.domainTable} where tenant_id = any(?::int[]) order by is_primary desc, host`,
      [pgArray(tenants.map((tenant) => tenant.id))],
    );
    return tenants.map((row) => ({
      id: Number(row.id),
      schema: row.schema,
      name: row.name,
      status: row.status,
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      domains: domains
        .filter((domain) => Number(domain.tenant_id) === Number(row.id))
        .map((domain) => ({ host: domain.host, isPrimary: domain.is_primary })),
    }));
  }

  private em() {
    return sqlEntityManager(this.orm.em.fork());
  }
}

/** Turns a database error into the library's error for it. */
function translate(error: unknown, schema: string, host?: string): Error {
  if ((error instanceof TenancyError && !(error instanceof MigrationError)) || isDatabaseUnavailable(error)) {
    return error as Error;
  }
  const code = (error as { code?: string }).code;
  const constraint = String((error as { constraint?: string }).constraint ?? (error as Error).message ?? '');
  if (code === '23505' && /primary/.test(constraint)) {
    return new PrimaryDomainError("The tenant's primary domain changed at the same time; try again.");
  }
  if (code === '23505' && /host/.test(constraint)) {
    return new DomainTakenError(`Domain ${host ? `"${host}" ` : ''}is already used by another tenant.`);
  }
  if (code === '23505' || code === '42P06') {
    return new TenantAlreadyExistsError(`A tenant or schema named "${schema}" already exists.`);
  }
  return new ProvisioningError(`Creating tenant "${schema}" failed and was rolled back: ${errorMessage(error)}`, {
    cause: error,
  });
}
