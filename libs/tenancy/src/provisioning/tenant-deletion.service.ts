import { MikroORM } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { errorMessage, SchemaMigrator } from '../migrations/schema-migrator.js';
import { lockSchemaForTransaction } from '../postgres/advisory-lock.js';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.js';
import { pgArray } from '../postgres/pg-array.js';
import { DELETED_SCHEMA_PREFIX, quoteIdentifier } from '../postgres/schema-name.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { RegistryTables } from '../registry/registry-tables.js';
import { TenantChangeNotifier } from '../registry/tenant-change.notifier.js';
import {
  InvalidTenantInputError,
  ProvisioningError,
  RegistryNotMigratedError,
  TenancyError,
  TenantAlreadyExistsError,
  TenantNotFoundError,
} from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';
import { type TenantDetails, TenantProvisioner } from './tenant.provisioner.js';

/** A deleted tenant, kept for the retention: its schema renamed aside, its domains remembered. */
export interface DeletedTenant {
  id: number;
  /** The schema it had (kept reserved until it is purged). */
  schema: string;
  name: string;
  /** Where its schema is kept (`_deleted_<id>_<schema>`); null when it had no schema. */
  deletedSchema: string | null;
  /** Its domains when it was deleted, the primary first. */
  domains: string[];
  deletedAt: Date;
  /** When `tenancy purge` may drop it: `deletedAt` + the `deletedRetention` option. */
  purgeAfter: Date;
}

/** What `restoreTenant` did. */
export interface RestoredTenant extends TenantDetails {
  /** Domains it had that another tenant took meanwhile: not given back. */
  domainsNotRestored: string[];
}

/** Options of `purgeDeletedTenants`. */
export interface PurgeOptions {
  /** Only these deleted tenants (by the schema they had). */
  schemas?: string[];
  /** Purge those deleted longer ago than this many ms, instead of the `deletedRetention` option. */
  olderThan?: number;
  /** Purge every deleted tenant, whatever its age. */
  all?: boolean;
  /** Only list what would be purged. */
  dryRun?: boolean;
}

/** One deleted tenant's outcome in a purge. */
export interface PurgeResult {
  schema: string;
  deletedSchema: string | null;
  deletedAt: Date;
  /** `planned` in a dry run. */
  status: 'purged' | 'planned' | 'failed';
  error?: string;
}

interface DeletedRow {
  id: number;
  schema: string;
  name: string;
  status: string;
  suspended_at: Date | null;
  deleted_at: Date;
  deleted_schema: string | null;
  deleted_domains: string[] | null;
}

/**
 * The soft deletion of tenants: a deleted tenant's schema is renamed aside and its registry row
 * kept (status `deleted`, never served or resolved, its name reserved) for the `deletedRetention`
 * option, so that `restore` gives it back; `purge` drops what is older. Each change is one
 * transaction under the tenant's advisory locks, like provisioning.
 */
@Injectable()
export class TenantDeletionService {
  private readonly logger = new Logger(TenantDeletionService.name);
  private readonly tables: RegistryTables;

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly migrator: SchemaMigrator,
    private readonly provisioner: TenantProvisioner,
    private readonly notifier: TenantChangeNotifier,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    this.tables = new RegistryTables(orm, options.sharedSchema);
  }

  /** Deletes a tenant softly: schema renamed aside, domains released and remembered, row kept. */
  async delete(schema: string): Promise<DeletedTenant> {
    let tenantId: number;
    try {
      tenantId = await this.transaction(schema, async (em) => {
        const [tenant] = await em.execute<{ id: number }[]>(
          `select id from ${this.tables.tenant} where schema = ? and status <> 'deleted' for update`,
          [schema],
        );
        if (!tenant) {
          throw TenantNotFoundError.forSchema(schema);
        }
        const id = Number(tenant.id);
        const domains = await em.execute<{ host: string }[]>(
          `select host from ${this.tables.domain} where tenant_id = ? order by is_primary desc, created_at, host`,
          [id],
        );
        const [exists] = await em.execute('select 1 from pg_namespace where nspname = ?', [schema]);
        const aside = exists ? deletedSchemaName(id, schema) : null;
        if (aside) {
          const [occupied] = await em.execute('select 1 from pg_namespace where nspname = ?', [aside]);
          if (occupied) {
            throw new TenantAlreadyExistsError(
              `Schema "${aside}", where tenant "${schema}" would be kept, already exists: drop or rename it, then delete again.`,
            );
          }
          await em.execute(`alter schema ${quoteIdentifier(schema)} rename to ${quoteIdentifier(aside)}`);
        }
        await em.execute(`delete from ${this.tables.domain} where tenant_id = ?`, [id]);
        await em.execute(
          `update ${this.tables.tenant} set status = 'deleted', deleted_at = now(), deleted_schema = ?, deleted_domains = ?::text[], updated_at = now() where id = ?`,
          [aside, pgArray(domains.map((domain) => domain.host)), id],
        );
        return id;
      });
    } catch (error) {
      throw this.translate(error, `Deleting tenant "${schema}"`);
    }
    await this.notifier.changed({ tenantId });
    this.logger.log(`Deleted tenant "${schema}"; its schema is kept for ${this.options.deletedRetention} ms.`);
    const [deleted] = await this.list([schema]);
    return deleted;
  }

  /**
   * Restores a deleted tenant: its schema back under its name, its status from before (suspended
   * stays suspended), and those of its domains that no other tenant took meanwhile.
   */
  async restore(schema: string): Promise<RestoredTenant> {
    let restored: { id: number; hosts: string[]; notRestored: string[] };
    try {
      restored = await this.transaction(schema, async (em) => {
        const [row] = await em.execute<DeletedRow[]>(
          `select id, schema, name, status, suspended_at, deleted_at, deleted_schema, deleted_domains from ${this.tables.tenant} where schema = ? for update`,
          [schema],
        );
        if (!row || row.status !== 'deleted') {
          throw row
            ? new InvalidTenantInputError(`Tenant "${schema}" is not deleted: there is nothing to restore.`)
            : TenantNotFoundError.forDeletedSchema(schema);
        }
        const [taken] = await em.execute('select 1 from pg_namespace where nspname = ?', [schema]);
        if (taken) {
          throw TenantAlreadyExistsError.forLeftoverSchema(schema);
        }
        if (row.deleted_schema) {
          const [kept] = await em.execute('select 1 from pg_namespace where nspname = ?', [row.deleted_schema]);
          if (!kept) {
            throw new TenantNotFoundError(
              `The schema of deleted tenant "${schema}" ("${row.deleted_schema}") no longer exists, so it cannot be restored; purge it (tenancy purge --schema ${schema} --all).`,
            );
          }
          await em.execute(`alter schema ${quoteIdentifier(row.deleted_schema)} rename to ${quoteIdentifier(schema)}`);
        }
        const hosts: string[] = [];
        for (const host of row.deleted_domains ?? []) {
          const inserted = await em.execute<{ host: string }[]>(
            `insert into ${this.tables.domain} (host, tenant_id, is_primary, created_at) values (?, ?, ?, now()) on conflict (host) do nothing returning host`,
            [host, row.id, hosts.length === 0],
          );
          hosts.push(...inserted.map((insert) => insert.host));
        }
        await em.execute(
          `update ${this.tables.tenant} set status = ?, deleted_at = null, deleted_schema = null, deleted_domains = null, updated_at = now() where id = ?`,
          [row.suspended_at ? 'suspended' : 'active', row.id],
        );
        return {
          id: Number(row.id),
          hosts,
          notRestored: (row.deleted_domains ?? []).filter((host) => !hosts.includes(host)),
        };
      });
    } catch (error) {
      throw this.translate(error, `Restoring tenant "${schema}"`);
    }
    await this.notifier.changed({ tenantId: restored.id, hosts: restored.hosts, schema });
    this.logger.log(`Restored tenant "${schema}".`);
    return { ...(await this.provisioner.details(schema)), domainsNotRestored: restored.notRestored };
  }

  /**
   * Drops the schemas of deleted tenants, and their registry rows: those deleted longer ago than
   * the `deletedRetention` option (or `olderThan`), or all of them with `all`. One transaction per
   * tenant; a failure is reported and the others go on.
   */
  async purge(options: PurgeOptions = {}): Promise<PurgeResult[]> {
    const age = options.all ? 0 : (options.olderThan ?? this.options.deletedRetention);
    const deleted = await this.list(options.schemas);
    if (options.schemas) {
      const found = new Set(deleted.map((tenant) => tenant.schema));
      const missing = options.schemas.filter((schema) => !found.has(schema));
      if (missing.length > 0) {
        throw TenantNotFoundError.forDeletedSchema(missing[0]);
      }
    }
    const now = await this.databaseNow();
    const due = deleted.filter((tenant) => now - tenant.deletedAt.getTime() >= age);
    const results: PurgeResult[] = [];
    for (const tenant of due) {
      const base = { schema: tenant.schema, deletedSchema: tenant.deletedSchema, deletedAt: tenant.deletedAt };
      if (options.dryRun) {
        results.push({ ...base, status: 'planned' });
        continue;
      }
      try {
        await this.transaction(tenant.schema, async (em) => {
          const [row] = await em.execute<{ deleted_schema: string | null }[]>(
            `select deleted_schema from ${this.tables.tenant} where id = ? and status = 'deleted' for update`,
            [tenant.id],
          );
          if (!row) {
            throw TenantNotFoundError.forDeletedSchema(tenant.schema);
          }
          if (row.deleted_schema) {
            await em.execute(`drop schema if exists ${quoteIdentifier(row.deleted_schema)} cascade`);
          }
          await em.execute(`delete from ${this.tables.tenant} where id = ?`, [tenant.id]);
        });
        results.push({ ...base, status: 'purged' });
        this.logger.log(`Purged deleted tenant "${tenant.schema}".`);
      } catch (error) {
        results.push({
          ...base,
          status: 'failed',
          error: errorMessage(this.translate(error, `Purging tenant "${tenant.schema}"`)),
        });
      }
    }
    return results;
  }

  /** Deleted tenants (or those that had these schemas), ordered by schema. */
  async list(schemas?: string[]): Promise<DeletedTenant[]> {
    let rows: DeletedRow[];
    try {
      rows = await sqlEntityManager(this.orm.em.fork()).execute<DeletedRow[]>(
        `select id, schema, name, status, suspended_at, deleted_at, deleted_schema, deleted_domains from ${this.tables.tenant} where status = 'deleted'${schemas ? ' and schema = any(?::text[])' : ''} order by schema`,
        schemas ? [pgArray(schemas)] : [],
      );
    } catch (error) {
      throw this.tables.explain(error);
    }
    return rows.map((row) => {
      const deletedAt = new Date(row.deleted_at);
      return {
        id: Number(row.id),
        schema: row.schema,
        name: row.name,
        deletedSchema: row.deleted_schema,
        domains: row.deleted_domains ?? [],
        deletedAt,
        purgeAfter: new Date(deletedAt.getTime() + this.options.deletedRetention),
      };
    });
  }

  /** The database's clock, which wrote `deleted_at`. */
  private async databaseNow(): Promise<number> {
    const [row] = await sqlEntityManager(this.orm.em.fork()).execute<{ now: Date }[]>('select now() as now');
    return new Date(row.now).getTime();
  }

  /** `fn` in a transaction holding the tenant and migration locks of `schema`. */
  private async transaction<T>(schema: string, fn: (em: SqlEntityManager) => Promise<T>): Promise<T> {
    const orm = await this.migrator.migrationOrm('tenant');
    return orm.em.fork().transactional(async (txEm) => {
      const em = sqlEntityManager(txEm);
      await lockSchemaForTransaction(em, 'tenant', schema);
      await lockSchemaForTransaction(em, 'migration', schema);
      return fn(em);
    });
  }

  private translate(error: unknown, doing: string): Error {
    const explained = this.tables.explain(error);
    if (explained instanceof RegistryNotMigratedError) {
      return explained;
    }
    if (error instanceof TenancyError || isDatabaseUnavailable(error)) {
      return error as Error;
    }
    return new ProvisioningError(`${doing} failed and was rolled back: ${errorMessage(error)}`, { cause: error });
  }
}

/** `_deleted_<id>_<schema>`, cut to PostgreSQL's 63 bytes (the id keeps it unique). */
export function deletedSchemaName(id: number, schema: string): string {
  return `${DELETED_SCHEMA_PREFIX}${id}_${schema}`.slice(0, 63);
}
