import { randomUUID } from 'node:crypto';
import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { TENANCY_CHANNEL } from '../tenancy.constants.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { MAX_MESSAGE_HOSTS, parseTenantChangeMessage, type TenantChangeMessage } from './tenant-change.message.js';
import { type TenantChange, TenantRegistry } from './tenant.registry.js';

/** More messages than this in one burst are applied as one full cache clear. */
const BURST = 16;
/** At most one warning about refused messages per this many ms. */
const REJECTION_LOG_INTERVAL = 60_000;

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
  private readonly received: TenantChange[] = [];
  private flushScheduled = false;
  private rejected = 0;
  private rejectionLoggedAt = 0;

  constructor(
    private readonly orm: MikroORM,
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
    const { hosts, ...rest } = change;
    const messages: TenantChangeMessage[] = [{ origin: this.origin, ...rest }];
    // long host lists in several messages (a NOTIFY payload holds under 8,000 bytes)
    for (let i = 0; hosts && i < hosts.length; i += MAX_MESSAGE_HOSTS) {
      messages.push({ origin: this.origin, hosts: hosts.slice(i, i + MAX_MESSAGE_HOSTS) });
    }
    try {
      const em = sqlEntityManager(this.orm.em.fork());
      for (const message of messages.filter((m) => m.tenantId !== undefined || m.schema !== undefined || m.hosts)) {
        await em.execute('select pg_notify(?, ?)', [TENANCY_CHANNEL, JSON.stringify(message)]);
      }
    } catch (error) {
      this.logger.warn(`Could not announce a tenant change: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.directDatabaseUrl });
    client.on('notification', (notification) => this.receive(notification.payload));
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

  /**
   * A notification from the channel. Nothing thrown here may reach the process (the pg client
   * would emit it as an uncaught error): payloads are validated, and changes are applied in a
   * batch 10 ms after the first of a burst.
   */
  private receive(payload: string | undefined): void {
    try {
      const message = parseTenantChangeMessage(payload);
      if ('rejected' in message) {
        this.reject(message.rejected);
        return;
      }
      if (message.origin === this.origin) {
        return; // applied when it was made
      }
      this.received.push({ tenantId: message.tenantId, hosts: message.hosts, schema: message.schema });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // a short window, so that a burst split over several socket reads is still one batch
        setTimeout(() => this.flush(), 10).unref();
      }
    } catch (error) {
      this.logger.warn(`Ignored a tenant change notification: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Applies the changes received since the last flush: a burst costs one cache clear. */
  private flush(): void {
    this.flushScheduled = false;
    const changes = this.received.splice(0);
    try {
      if (changes.length > BURST) {
        this.registry.forgetAll();
        void this.registry.refreshKnownHosts().catch(() => undefined);
        return;
      }
      for (const change of changes) {
        this.registry.apply(change);
      }
    } catch (error) {
      this.logger.warn(`Could not apply tenant changes: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Counts a refused notification; logs at most one warning a minute, with the count. */
  private reject(reason: string): void {
    this.rejected++;
    const now = Date.now();
    if (now - this.rejectionLoggedAt >= REJECTION_LOG_INTERVAL) {
      this.logger.warn(
        `Refused ${this.rejected} notification(s) on channel "${TENANCY_CHANNEL}" that the library did not send (last: ${reason}).`,
      );
      this.rejected = 0;
      this.rejectionLoggedAt = now;
    }
  }
}
