import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { TENANCY_CHANNEL } from '../tenancy.constants.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { type TenantChange, TenantRegistry } from './tenant.registry.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';

interface ChangeMessage extends TenantChange {
  origin: string;
}

/**
 * Tells the other processes of the app about registry changes, so that their caches follow at
 * once: a `NOTIFY` on a shared channel (sent through the ORM, so it works through PgBouncer too),
 * and a `LISTEN` on a dedicated session opened with `directDatabaseUrl` (LISTEN needs a real
 * session, which a transaction-mode pooler does not give). Without that URL, other processes see
 * changes after the cache TTL and the known-hosts refresh; the module says so once at boot.
 */
@Injectable()
export class TenantChangeNotifier implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TenantChangeNotifier.name);
  private readonly origin = randomUUID();
  private client?: pg.Client;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly registry: TenantRegistry,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.options.directDatabaseUrl) {
      this.logger.log(
        `No directDatabaseUrl: registry changes made by other processes are seen after ${this.options.cache.ttl / 1000} s ` +
          `(cache.ttl) and new domains after ${this.options.knownHosts.refreshInterval / 1000} s (knownHosts.refreshInterval). ` +
          'Give a direct (not pooled) URL to follow them at once.',
      );
      return;
    }
    await this.listen();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.client?.end().catch(() => undefined);
  }

  /** Applies a change to this process's cache at once, then announces it to the others. */
  async changed(change: TenantChange): Promise<void> {
    this.registry.apply(change);
    const message: ChangeMessage = { origin: this.origin, ...change };
    try {
      await sqlEntityManager(this.orm.em.fork()).execute('select pg_notify(?, ?)', [TENANCY_CHANNEL, JSON.stringify(message)]);
    } catch (error) {
      this.logger.warn(`Could not announce a tenant change: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Whether this process is listening for other processes' changes. */
  isListening(): boolean {
    return this.client !== undefined;
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.directDatabaseUrl });
    client.on('notification', (notification) => this.apply(notification.payload));
    client.on('error', (error) => this.logger.warn(`Tenant change listener failed: ${error.message}`));
    client.on('end', () => {
      if (this.client === client) {
        this.client = undefined;
        this.scheduleReconnect();
      }
    });
    try {
      await client.connect();
      await client.query(`listen ${TENANCY_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      // anything may have changed while we were not listening
      void this.registry.refreshKnownHosts();
      this.registry.forgetAll();
    } catch (error) {
      this.logger.warn(`Tenant change listener could not connect: ${error instanceof Error ? error.message : String(error)}`);
      await client.end().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.stopped) {
      return;
    }
    this.retry = setTimeout(() => void this.listen(), 2_000);
    this.retry.unref();
  }

  private apply(payload: string | undefined): void {
    let message: ChangeMessage;
    try {
      message = JSON.parse(payload ?? '') as ChangeMessage;
    } catch {
      return;
    }
    if (message.origin !== this.origin) {
      this.registry.apply({
        tenantId: typeof message.tenantId === 'number' ? message.tenantId : undefined,
        hosts: Array.isArray(message.hosts)
          ? message.hosts.filter((host): host is string => typeof host === 'string')
          : undefined,
        schema: typeof message.schema === 'string' ? message.schema : undefined,
      });
    }
  }
}
