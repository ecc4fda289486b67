import { rename, rm } from 'node:fs/promises';
import { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { TENANT_RECORD_COLUMNS, type TenantRecord, type TenantRecordRow, tenantRecordOf } from '../context/tenant-record.js';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.js';
import { errorMessage, SchemaMigrator } from '../migrations/schema-migrator.js';
import { parseDomain } from '../resolution/host.js';
import { RegistryTables } from '../registry/registry-tables.js';
import { TenantChangeNotifier } from '../registry/tenant-change.notifier.js';
import { assertTenantSchemaName, quoteIdentifier } from '../postgres/schema-name.js';
import { lockSchemaForTransaction } from '../postgres/advisory-lock.js';
import { pgArray } from '../postgres/pg-array.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { cloneSchema } from './schema.cloner.js';
import { readRestoreScript, runClientTool, stepStatements } from './tenant-archive.js';
import {
  DomainTakenError,
  InvalidSchemaNameError,
  InvalidTenantInputError,
  MigrationError,
  ProvisioningError,
  RegistryNotMigratedError,
  TenancyError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
} from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';

/** What `createTenant` needs. */
export interface CreateTenantInput {
  /** PostgreSQL schema of the tenant (validated: `^[a-z_][a-z0-9_]{0,62}$`). */
  schema: string;
  /** Display name (1-200 characters). Defaults to the schema. */
  name?: string;
  /** Host names; the first is primary. */
  domains?: string[];
  /**
   * Schema of a template tenant to copy instead of running the migrations: its tables, indexes,
   * constraints, sequences, defaults, views and migrations table (so the clone's migration state is
   * the template's; pending migrations are then applied, as for a new tenant).
   */
  from?: string;
  /** With `from`: copy the template's rows and sequence values too. @default false */
  withData?: boolean;
}

/** A tenant with its domains, as the registry holds it. */
export interface TenantDetails extends TenantRecord {
  domains: { host: string; isPrimary: boolean }[];
  createdAt: Date;
  updatedAt: Date;
  /** Tenant migrations applied when the tenant was created (only from `createTenant`). */
  migrations?: string[];
}

interface TenantRow extends TenantRecordRow {
  created_at: Date;
  updated_at: Date;
}

/** Longest suspension reason kept. */
const MAX_REASON_LENGTH = 500;

/**
 * Creates, changes and removes tenants. Creation is all or nothing: the registry row, the
 * domains, the schema and every tenant migration are written in one transaction (PostgreSQL DDL is
 * transactional), under the schema's advisory lock, so a failure leaves nothing behind.
 */
@Injectable()
export class TenantProvisioner {
  private readonly logger = new Logger(TenantProvisioner.name);
  private readonly tables: RegistryTables;

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly migrator: SchemaMigrator,
    private readonly notifier: TenantChangeNotifier,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    this.tables = new RegistryTables(orm, options.sharedSchema);
  }

  /** Creates a tenant, its schema (migrated to the latest tenant migration) and its domains. */
  async create(input: CreateTenantInput): Promise<TenantDetails> {
    this.validate(input);
    const template = input.from;
    if (template !== undefined) {
      assertTenantSchemaName(template, this.options.sharedSchema);
      if (template === input.schema) {
        throw new InvalidTenantInputError(`A tenant cannot be a copy of itself ("${input.schema}").`);
      }
    } else if (input.withData) {
      throw new InvalidTenantInputError("withData copies a template tenant's rows: pass the template as from.");
    }
    return this.provision(input, template === undefined ? '' : ` as a copy of "${template}"`, async (em, schema) => {
      if (template !== undefined) {
        const [found] = await em.execute(`select 1 from ${this.tables.tenant} where schema = ?`, [template]);
        if (!found) {
          throw TenantNotFoundError.forSchema(template);
        }
        // no migration runs on the template while it is copied
        await lockSchemaForTransaction(em, 'migration', template);
      }
      await em.execute(`create schema ${quoteIdentifier(schema)}`);
      if (template !== undefined) {
        await cloneSchema(em, template, schema, {
          withData: input.withData === true,
          migrationsTable: this.options.migrations.tableName,
        });
      }
    });
  }

  /**
   * Exports a tenant's schema (tables, data, its migrations table) to `file` with `pg_dump`'s
   * custom format; needs `pg_dump` on PATH.
   */
  async exportTenant(schema: string, file: string): Promise<{ schema: string; file: string }> {
    await this.details(schema);
    // written beside the target and renamed once complete: a failed dump leaves no file, and does
    // not clobber one that was there
    const partial = `${file}.${process.pid}.partial`;
    try {
      await runClientTool(
        'pg_dump',
        ['--format=custom', `--schema=${schema}`, '--no-owner', '--no-privileges', `--file=${partial}`],
        this.orm.config.getAll(),
      );
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { schema, file };
  }

  /**
   * Creates a tenant from a file of {@link exportTenant} under a new schema name, all or nothing
   * like `create`: the file's schema, rows and migration state, then the app's pending tenant
   * migrations. Refuses a file with tenant migrations this app does not have (it is ahead of the
   * app). Needs `pg_restore` on PATH.
   */
  async importTenant(file: string, input: Omit<CreateTenantInput, 'from' | 'withData'>): Promise<TenantDetails> {
    this.validate(input);
    const table = this.options.migrations.tableName;
    const script = await runClientTool(
      'pg_restore',
      ['--no-owner', '--no-privileges', '--file=-', file],
      this.orm.config.getAll(),
    );
    const restore = readRestoreScript(script, input.schema, table);
    const known = new Set(await this.migrator.migrationNames('tenant'));
    const ahead = restore.migrations.filter((name) => !known.has(name));
    if (ahead.length > 0) {
      throw new InvalidTenantInputError(
        `The file's tenant migrations are ahead of this app (${ahead.join(', ')}): deploy the code that has them, then import.`,
      );
    }
    return this.provision(input, ` from ${file} (schema "${restore.schema}")`, async (em) => {
      for (const step of restore.steps) {
        for (const statement of stepStatements(step)) {
          await em.execute(statement);
        }
      }
    });
  }

  private validate(input: CreateTenantInput): void {
    assertTenantSchemaName(input.schema, this.options.sharedSchema);
    const name = input.name ?? input.schema;
    if (typeof name !== 'string' || name.trim().length === 0 || name.length > 200) {
      throw new InvalidTenantInputError('The tenant name must be 1-200 characters.');
    }
  }

  /**
   * The creation transaction: checks, registry row and domains, then `populate` creates the
   * schema, then the pending tenant migrations run; all or nothing, under the tenant's lock.
   */
  private async provision(
    input: CreateTenantInput,
    origin: string,
    populate: (em: SqlEntityManager, schema: string) => Promise<void>,
  ): Promise<TenantDetails> {
    const schema = input.schema;
    const name = input.name ?? schema;
    const domains = [...new Set((input.domains ?? []).map((domain) => parseDomain(domain)))];
    const orm = await this.migrator.migrationOrm('tenant');
    const started = performance.now();
    let migrations: string[];
    try {
      migrations = await orm.em.fork().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        await lockSchemaForTransaction(em, 'tenant', schema);
        await this.assertSchemaNameFree(em, schema);
        if (domains.length > 0) {
          const used = await em.execute<{ host: string }[]>(
            `select host from ${this.tables.domain} where host = any(?::text[])`,
            [pgArray(domains)],
          );
          if (used.length > 0) {
            throw DomainTakenError.forHost(used[0].host);
          }
        }
        const [row] = await em.execute<{ id: number }[]>(
          `insert into ${this.tables.tenant} (schema, name, status, created_at, updated_at) values (?, ?, 'active', now(), now()) returning id`,
          [schema, name],
        );
        const tenantId = Number(row.id);
        for (const [index, host] of domains.entries()) {
          await em.execute(
            `insert into ${this.tables.domain} (host, tenant_id, is_primary, created_at) values (?, ?, ?, now())`,
            [host, tenantId, index === 0],
          );
        }
        await populate(em, schema);
        return (await this.migrator.migrateTenant(schema, { em })).migrations;
      });
    } catch (error) {
      throw this.translateCreateError(error, schema);
    }
    await this.notifier.changed({ schema, hosts: domains });
    this.logger.log(`Created tenant "${schema}"${origin} in ${Math.round(performance.now() - started)} ms.`);
    return { ...(await this.details(schema)), migrations };
  }

  /**
   * Renames a tenant's schema: the schema and the registry row change in one transaction, under
   * the advisory locks of both names (tenant and migration locks, so that no provisioning or
   * migration run of either name interleaves). `newSchema` follows the rules of creation. Other
   * processes drop their cached entries when the change is announced; a request still holding the
   * old name fails as for a deleted tenant (404), it never sees a half-renamed tenant.
   */
  async rename(schema: string, newSchema: string): Promise<TenantDetails> {
    assertTenantSchemaName(newSchema, this.options.sharedSchema);
    if (newSchema === schema) {
      throw new InvalidTenantInputError(`Tenant "${schema}" already has this schema name.`);
    }
    const orm = await this.migrator.migrationOrm('tenant');
    let tenantId: number;
    try {
      tenantId = await orm.em.fork().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        // both names, in one order for every caller, so that two renames never wait on each other
        for (const purpose of ['tenant', 'migration'] as const) {
          for (const name of [schema, newSchema].sort()) {
            await lockSchemaForTransaction(em, purpose, name);
          }
        }
        const [tenant] = await em.execute<{ id: number }[]>(
          `select id from ${this.tables.tenant} where schema = ? and status <> 'deleted' for update`,
          [schema],
        );
        if (!tenant) {
          throw TenantNotFoundError.forSchema(schema);
        }
        await this.assertSchemaNameFree(em, newSchema);
        await em.execute(`alter schema ${quoteIdentifier(schema)} rename to ${quoteIdentifier(newSchema)}`);
        await em.execute(`update ${this.tables.tenant} set schema = ?, updated_at = now() where id = ?`, [newSchema, tenant.id]);
        return Number(tenant.id);
      });
    } catch (error) {
      throw this.translateRenameError(error, schema, newSchema);
    }
    await this.notifier.changed({ tenantId, schema: newSchema });
    this.logger.log(`Renamed tenant "${schema}" to "${newSchema}".`);
    return this.details(newSchema);
  }

  /** Throws when `schema` cannot be given to a tenant: a tenant, a database role or a schema has it. */
  private async assertSchemaNameFree(em: SqlEntityManager, schema: string): Promise<void> {
    // every column the library reads: a registry a shared migration behind fails here, before any change
    const [taken] = await em.execute<TenantRecordRow[]>(
      `select ${TENANT_RECORD_COLUMNS} from ${this.tables.tenant} t where t.schema = ?`,
      [schema],
    );
    if (taken) {
      throw taken.status === 'deleted'
        ? TenantAlreadyExistsError.forDeletedTenant(schema)
        : TenantAlreadyExistsError.forSchema(schema);
    }
    const [role] = await em.execute('select 1 from pg_roles where rolname = ?', [schema]);
    if (role) {
      throw InvalidSchemaNameError.forRoleName(schema);
    }
    const [exists] = await em.execute('select 1 from pg_namespace where nspname = ?', [schema]);
    if (exists) {
      throw TenantAlreadyExistsError.forLeftoverSchema(schema);
    }
  }

  /** Removes a tenant and its domains; drops its schema (and all its data) only with `dropSchema`. */
  async delete(schema: string, options: { dropSchema?: boolean } = {}): Promise<void> {
    const tenant = await this.details(schema);
    const orm = await this.migrator.migrationOrm('tenant');
    await orm.em.fork().transactional(async (txEm) => {
      const em = sqlEntityManager(txEm);
      await lockSchemaForTransaction(em, 'tenant', schema);
      await em.execute(`delete from ${this.tables.domain} where tenant_id = ?`, [tenant.id]);
      await em.execute(`delete from ${this.tables.tenant} where id = ?`, [tenant.id]);
      if (options.dropSchema) {
        await em.execute(`drop schema if exists ${quoteIdentifier(schema)} cascade`);
      }
    });
    await this.notifier.changed({ tenantId: tenant.id });
    this.logger.log(`Deleted tenant "${schema}"${options.dropSchema ? ' and dropped its schema' : ''}.`);
  }

  /**
   * Suspends a tenant, with an optional reason (1-500 characters) stored with the suspension time.
   * Suspending a suspended tenant replaces the reason and keeps the time.
   */
  async suspend(schema: string, reason?: string): Promise<TenantDetails> {
    if (
      reason !== undefined &&
      (typeof reason !== 'string' ||
        reason.trim().length === 0 ||
        reason.length > MAX_REASON_LENGTH ||
        // eslint-disable-next-line no-control-regex
        /[\u0000-\u001f\u007f]/.test(reason))
    ) {
      throw new InvalidTenantInputError(
        `The suspension reason must be 1-${MAX_REASON_LENGTH} characters on one line (no control characters).`,
      );
    }
    const tenant = await this.details(schema);
    await this.em().execute(
      `update ${this.tables.tenant} set status = 'suspended', suspended_reason = ?, ` +
        `suspended_at = case when status = 'suspended' and suspended_at is not null then suspended_at else now() end, updated_at = now() where id = ?`,
      [reason?.trim() ?? null, tenant.id],
    );
    await this.notifier.changed({ tenantId: tenant.id });
    return this.details(schema);
  }

  /** Makes a suspended tenant active again, forgetting the suspension's reason and time. */
  async resume(schema: string): Promise<TenantDetails> {
    const tenant = await this.details(schema);
    await this.em().execute(
      `update ${this.tables.tenant} set status = 'active', suspended_reason = null, suspended_at = null, updated_at = now() where id = ?`,
      [tenant.id],
    );
    await this.notifier.changed({ tenantId: tenant.id });
    return this.details(schema);
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
    try {
      return await this.read(schemas);
    } catch (error) {
      throw this.tables.explain(error);
    }
  }

  private async read(schemas?: string[]): Promise<TenantDetails[]> {
    const em = this.em();
    const tenants = await em.execute<TenantRow[]>(
      `select ${TENANT_RECORD_COLUMNS}, t.created_at, t.updated_at from ${this.tables.tenant} t where t.status <> 'deleted'${schemas ? ' and t.schema = any(?::text[])' : ''} order by t.schema`,
      schemas ? [pgArray(schemas)] : [],
    );
    if (tenants.length === 0) {
      return [];
    }
    const domains = await em.execute<{ tenant_id: number; host: string; is_primary: boolean }[]>(
      `select tenant_id, host, is_primary from ${this.tables.domain} where tenant_id = any(?::int[]) order by is_primary desc, host`,
      [pgArray(tenants.map((tenant) => tenant.id))],
    );
    // grouped in one pass, in the query's order (primary first, then by host): filtering the whole
    // list per tenant took about 30 s for 10,000 tenants with 100,000 domains (tenant:list, issue 11)
    const byTenant = new Map<number, { host: string; isPrimary: boolean }[]>();
    for (const domain of domains) {
      const id = Number(domain.tenant_id);
      let list = byTenant.get(id);
      if (!list) {
        list = [];
        byTenant.set(id, list);
      }
      list.push({ host: domain.host, isPrimary: domain.is_primary });
    }
    return tenants.map((row) => ({
      ...tenantRecordOf(row),
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
      domains: byTenant.get(Number(row.id)) ?? [],
    }));
  }

  private em() {
    return sqlEntityManager(this.orm.em.fork());
  }

  /** Turns an error of `rename` into the library's error for it. */
  private translateRenameError(error: unknown, schema: string, newSchema: string): Error {
    const explained = this.tables.explain(error);
    if (explained instanceof RegistryNotMigratedError) {
      return explained;
    }
    if (error instanceof TenancyError || isDatabaseUnavailable(error)) {
      return error as Error;
    }
    const code = (error as { code?: string }).code;
    if (code === '23505' || code === '42P06') {
      return new TenantAlreadyExistsError(`A tenant or schema named "${newSchema}" already exists.`);
    }
    return new ProvisioningError(
      `Renaming tenant "${schema}" to "${newSchema}" failed and was rolled back: ${errorMessage(error)}`,
      { cause: error },
    );
  }

  /** Turns an error of `create` into the library's error for it. */
  private translateCreateError(error: unknown, schema: string): Error {
    const explained = this.tables.explain(error);
    if (explained instanceof RegistryNotMigratedError) {
      return explained;
    }
    if ((error instanceof TenancyError && !(error instanceof MigrationError)) || isDatabaseUnavailable(error)) {
      return error as Error;
    }
    const code = (error as { code?: string }).code;
    const constraint = String((error as { constraint?: string }).constraint ?? (error as Error).message ?? '');
    if (code === '23505' && /host/.test(constraint)) {
      return DomainTakenError.forHost(undefined);
    }
    if (code === '23505' || code === '42P06') {
      return new TenantAlreadyExistsError(`A tenant or schema named "${schema}" already exists.`);
    }
    return new ProvisioningError(`Creating tenant "${schema}" failed and was rolled back: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
