import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { TENANT_RECORD_COLUMNS, type TenantRecord, type TenantRecordRow, tenantRecordOf } from '../context/tenant-record.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { RegistryNotMigratedError } from '../tenancy.errors.js';
import { KnownHostsFilter } from './known-hosts.filter.js';
import { RegistryTables } from './registry-tables.js';
import type { TenantLookup } from '../resolution/tenant.resolver.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';

/**
 * How a tenant schema is kept in the known-hosts filter, next to the hosts: no host starts with it
 * (hosts are letters, digits, `-`, `_`, `.`, or a bracketed IPv6 literal).
 */
const SCHEMA_ENTRY = 'schema:';

/** Cache value for a key that resolved to no tenant. */
const NOT_FOUND = Object.freeze({ notFound: true as const });
type CacheValue = TenantRecord | typeof NOT_FOUND;

/** A change to the tenant registry: what cached entries it makes stale. */
export interface TenantChange {
  /** The tenant whose cached entries are stale. */
  tenantId?: number;
  /** Hosts that were registered. */
  hosts?: string[];
  /** A schema that now has a tenant. */
  schema?: string;
}

/**
 * Resolves hosts and schema names to tenants through a maintained LRU cache with a TTL, negative
 * entries included, and a Bloom filter of every registered domain, so that unknown hosts cost no
 * query. The cache-hit path is synchronous. Changes made through the library are applied to the
 * cache at once; changes made by other processes are seen after the TTL (and, for new domains,
 * after the filter's next refresh).
 */
@Injectable()
export class TenantRegistry implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantRegistry.name);
  private readonly cache: LRUCache<string, CacheValue>;
  private readonly inflight = new Map<string, Promise<TenantRecord | undefined>>();
  /** Bumped by every change, so that a lookup that started before it does not cache its answer. */
  private generation = 0;
  private filter?: KnownHostsFilter;
  private filterLoading?: Promise<void>;
  private filterAttemptAt = 0;
  private addedWhileLoading: string[] = [];
  private timer?: NodeJS.Timeout;
  private readonly tables: RegistryTables;

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {
    this.cache = new LRUCache<string, CacheValue>({ max: options.cache.max, ttl: options.cache.ttl });
    this.tables = new RegistryTables(orm, options.sharedSchema);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.warnIfNotMigrated();
    if (!this.options.knownHosts.enabled) {
      return;
    }
    await this.refreshKnownHosts();
    this.timer = setInterval(() => void this.refreshKnownHosts(), this.options.knownHosts.refreshInterval);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Says once, at boot, that tenant requests cannot be served before the shared migrations ran. */
  private async warnIfNotMigrated(): Promise<void> {
    let exist: boolean;
    try {
      exist = await this.tables.exist(sqlEntityManager(this.orm.em.fork()));
    } catch (error) {
      // the database is not reachable: the first lookups will say so
      this.logger.debug(`Could not check the registry tables: ${String(error)}`);
      return;
    }
    if (!exist) {
      this.logger.warn(
        `${RegistryNotMigratedError.inSchema(this.options.sharedSchema).message} Until then, tenant requests answer 503.`,
      );
    }
  }

  /**
   * The tenant for a lookup: synchronous on a cache hit (or a host the filter knows is not
   * registered), a promise otherwise. `undefined` when there is none.
   */
  lookup(lookup: TenantLookup, options: { filter?: boolean } = {}): TenantRecord | undefined | Promise<TenantRecord | undefined> {
    const key = 'host' in lookup ? `h:${lookup.host}` : `s:${lookup.schema}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      return cached === NOT_FOUND ? undefined : (cached as TenantRecord);
    }
    // the filter answers requests (a flood of made-up hosts or subdomains costs no query); code
    // that names a tenant itself (run(), jobs) reads the registry, so that a tenant another process
    // just created is found before the filter's next refresh
    if (this.options.knownHosts.enabled && options.filter !== false) {
      if (this.filter) {
        if (!this.filter.mightContain('host' in lookup ? lookup.host : `${SCHEMA_ENTRY}${lookup.schema}`)) {
          return undefined;
        }
      } else {
        void this.loadFilterSoon();
      }
    }
    let pending = this.inflight.get(key);
    if (!pending) {
      const loading = this.load(key, lookup).finally(() => {
        if (this.inflight.get(key) === loading) {
          this.inflight.delete(key);
        }
      });
      pending = loading;
      this.inflight.set(key, loading);
    }
    return pending;
  }

  /** The tenant with this schema, from the cache or the database. */
  async bySchema(schema: string): Promise<TenantRecord | undefined> {
    return this.lookup({ schema }, { filter: false });
  }

  /** Drops what a change made stale: the tenant's entries, negative entries of new hosts and schema. */
  apply(change: TenantChange): void {
    this.generation++;
    this.inflight.clear();
    if (change.tenantId !== undefined) {
      this.forgetTenant(change.tenantId);
    }
    if (change.hosts) {
      this.hostsAdded(change.hosts);
    }
    if (change.schema !== undefined) {
      this.cache.delete(`s:${change.schema}`);
      this.entriesAdded([`${SCHEMA_ENTRY}${change.schema}`]);
    }
  }

  /** Forgets everything cached about a tenant (after suspend, resume, delete, domain changes). */
  private forgetTenant(tenantId: number): void {
    for (const [key, value] of this.cache.entries()) {
      if (value !== NOT_FOUND && (value as TenantRecord).id === tenantId) {
        this.cache.delete(key);
      }
    }
  }

  /** Forgets every cached lookup. */
  forgetAll(): void {
    this.generation++;
    this.inflight.clear();
    this.cache.clear();
  }

  /** Records hosts that were just registered: drops their negative entries and adds them to the filter. */
  private hostsAdded(hosts: string[]): void {
    for (const host of hosts) {
      this.cache.delete(`h:${host}`);
    }
    this.entriesAdded(hosts);
  }

  /** Adds entries (hosts, `schema:` entries) to the filter, and to the one being loaded. */
  private entriesAdded(entries: string[]): void {
    for (const entry of entries) {
      this.filter?.add(entry);
    }
    if (this.filterLoading) {
      this.addedWhileLoading.push(...entries);
    }
  }

  /** Rebuilds the known-hosts filter from the domain table. */
  /**
   * Forgets every cached lookup and reloads the known-hosts filter: for registry rows changed
   * outside the library (SQL, another tool) in a process that does not LISTEN.
   */
  async reload(): Promise<void> {
    this.generation++;
    this.cache.clear();
    if (this.options.knownHosts.enabled) {
      await this.refreshKnownHosts();
    }
  }

  /** Schema of every tenant in the registry (any status but `deleted`), in order. */
  async tenantSchemas(): Promise<string[]> {
    try {
      const rows = await sqlEntityManager(this.orm.em.fork()).execute<{ schema: string }[]>(
        `select schema from ${this.tables.tenant} where status <> 'deleted' order by schema`,
      );
      return rows.map((row) => row.schema);
    } catch (error) {
      throw this.tables.explain(error);
    }
  }

  async refreshKnownHosts(): Promise<void> {
    if (this.filterLoading) {
      return this.filterLoading;
    }
    this.filterAttemptAt = Date.now();
    this.addedWhileLoading = [];
    this.filterLoading = (async () => {
      try {
        const rows = await sqlEntityManager(this.orm.em.fork()).execute<{ host: string }[]>(
          `select host from ${this.tables.domain} union all select '${SCHEMA_ENTRY}' || schema from ${this.tables.tenant}`,
        );
        const filter = KnownHostsFilter.of(
          rows.map((row) => row.host),
          rows.length,
        );
        for (const host of this.addedWhileLoading) {
          filter.add(host);
        }
        this.filter = filter;
      } catch (error) {
        this.filter = undefined;
        this.logger.debug(`Known-hosts filter not loaded (is the shared schema migrated?): ${String(error)}`);
      } finally {
        this.filterLoading = undefined;
        this.addedWhileLoading = [];
      }
    })();
    return this.filterLoading;
  }

  private loadFilterSoon(): Promise<void> | undefined {
    if (this.filterLoading || Date.now() - this.filterAttemptAt < 1000) {
      return undefined;
    }
    return this.refreshKnownHosts();
  }

  private async load(key: string, lookup: TenantLookup): Promise<TenantRecord | undefined> {
    const generation = this.generation;
    const byHost = 'host' in lookup;
    const sql = byHost
      ? `select ${TENANT_RECORD_COLUMNS} from ${this.tables.domain} d join ${this.tables.tenant} t on t.id = d.tenant_id where d.host = ? and t.status <> 'deleted'`
      : `select ${TENANT_RECORD_COLUMNS} from ${this.tables.tenant} t where t.schema = ? and t.status <> 'deleted'`;
    let row: TenantRecordRow | undefined;
    try {
      [row] = await sqlEntityManager(this.orm.em.fork()).execute<TenantRecordRow[]>(sql, [byHost ? lookup.host : lookup.schema]);
    } catch (error) {
      throw this.tables.explain(error);
    }
    const current = generation === this.generation;
    if (!row) {
      if (current) {
        this.cache.set(key, NOT_FOUND, { ttl: this.options.cache.negativeTtl });
      }
      return undefined;
    }
    const tenant = tenantRecordOf(row);
    if (current) {
      this.cache.set(key, tenant);
    }
    return tenant;
  }
}
