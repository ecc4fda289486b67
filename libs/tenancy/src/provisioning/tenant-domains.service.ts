import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { errorMessage } from '../migrations/schema-migrator.js';
import { isDatabaseUnavailable } from '../postgres/database-unavailable.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { RegistryTables } from '../registry/registry-tables.js';
import { TenantChangeNotifier } from '../registry/tenant-change.notifier.js';
import { parseDomain } from '../resolution/host.js';
import {
  DomainNotFoundError,
  DomainTakenError,
  PrimaryDomainError,
  RegistryNotMigratedError,
  TenancyError,
  TenantNotFoundError,
} from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';
import { type TenantDetails, TenantProvisioner } from './tenant.provisioner.js';

/**
 * Attaches, detaches and promotes a tenant's domains. Every tenant keeps exactly one primary
 * domain while it has any: changes to one tenant's domains are serialised by a lock on its row.
 */
@Injectable()
export class TenantDomainsService {
  private readonly tables: RegistryTables;

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly provisioner: TenantProvisioner,
    private readonly notifier: TenantChangeNotifier,
    @Inject(TENANCY_OPTIONS) options: ResolvedTenancyOptions,
  ) {
    this.tables = new RegistryTables(orm, options.sharedSchema);
  }

  /** Attaches a domain to a tenant; `primary` (or being its first domain) makes it the primary one. */
  async add(schema: string, domain: string, options: { primary?: boolean } = {}): Promise<TenantDetails> {
    const host = parseDomain(domain);
    let tenantId: number;
    try {
      tenantId = await this.em().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        // the tenant row's lock serialises domain changes of one tenant (one primary at a time)
        const [tenant] = await em.execute<{ id: number }[]>(
          `select id from ${this.tables.tenant} where schema = ? and status <> 'deleted' for update`,
          [schema],
        );
        if (!tenant) {
          throw TenantNotFoundError.forSchema(schema);
        }
        const [{ count }] = await em.execute<{ count: string }[]>(
          `select count(*) as count from ${this.tables.domain} where tenant_id = ?`,
          [tenant.id],
        );
        const primary = options.primary === true || Number(count) === 0;
        if (primary) {
          await em.execute(`update ${this.tables.domain} set is_primary = false where tenant_id = ?`, [tenant.id]);
        }
        await em.execute(`insert into ${this.tables.domain} (host, tenant_id, is_primary, created_at) values (?, ?, ?, now())`, [
          host,
          tenant.id,
          primary,
        ]);
        return Number(tenant.id);
      });
    } catch (error) {
      throw this.translate(error, `Adding domain "${host}" to tenant "${schema}" failed`, host);
    }
    await this.notifier.changed({ tenantId, hosts: [host] });
    return this.provisioner.details(schema);
  }

  /** Detaches a domain. The primary domain can only go when it is the tenant's last one. */
  async remove(domain: string): Promise<void> {
    const host = parseDomain(domain);
    let tenantId: number;
    try {
      tenantId = await this.em().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        const [row] = await em.execute<{ tenant_id: number; is_primary: boolean }[]>(
          `select tenant_id, is_primary from ${this.tables.domain} where host = ?`,
          [host],
        );
        if (!row) {
          throw DomainNotFoundError.forHost(host);
        }
        await em.execute(`select 1 from ${this.tables.tenant} where id = ? for update`, [row.tenant_id]);
        const [{ count }] = await em.execute<{ count: string }[]>(
          `select count(*) as count from ${this.tables.domain} where tenant_id = ?`,
          [row.tenant_id],
        );
        if (row.is_primary && Number(count) > 1) {
          throw new PrimaryDomainError(`Domain "${host}" is the tenant's primary domain: make another domain primary first.`);
        }
        await em.execute(`delete from ${this.tables.domain} where host = ?`, [host]);
        return Number(row.tenant_id);
      });
    } catch (error) {
      throw this.translate(error, `Removing domain "${host}" failed`, host);
    }
    await this.notifier.changed({ tenantId });
  }

  /** Makes a domain its tenant's primary domain. */
  async makePrimary(domain: string): Promise<void> {
    const host = parseDomain(domain);
    try {
      await this.em().transactional(async (txEm) => {
        const em = sqlEntityManager(txEm);
        const [row] = await em.execute<{ tenant_id: number }[]>(
          `select tenant_id from ${this.tables.domain} where host = ? for update`,
          [host],
        );
        if (!row) {
          throw DomainNotFoundError.forHost(host);
        }
        // two statements: the unique index on a tenant's primary domain is checked row by row
        await em.execute(`update ${this.tables.domain} set is_primary = false where tenant_id = ? and host <> ?`, [
          row.tenant_id,
          host,
        ]);
        await em.execute(`update ${this.tables.domain} set is_primary = true where host = ?`, [host]);
      });
    } catch (error) {
      throw this.translate(error, `Making domain "${host}" primary failed`, host);
    }
  }

  private em() {
    return sqlEntityManager(this.orm.em.fork());
  }

  /** Turns an error of a domain change into the library's error for it; `failure` says what failed. */
  private translate(error: unknown, failure: string, host: string): Error {
    const explained = this.tables.explain(error);
    if (explained instanceof RegistryNotMigratedError) {
      return explained;
    }
    if (error instanceof TenancyError || isDatabaseUnavailable(error)) {
      return error as Error;
    }
    const code = (error as { code?: string }).code;
    const constraint = String((error as { constraint?: string }).constraint ?? (error as Error).message ?? '');
    if (code === '23505' && /primary/.test(constraint)) {
      return new PrimaryDomainError("The tenant's primary domain changed at the same time; try again.");
    }
    if (code === '23505' && /host/.test(constraint)) {
      return DomainTakenError.forHost(host);
    }
    return new TenancyError(`${failure}; nothing was changed: ${errorMessage(error)}`, { cause: error });
  }
}
