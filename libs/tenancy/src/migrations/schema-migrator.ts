import { type EntityManager, MikroORM, type Transaction } from '@mikro-orm/core';
import { TENANCY_EVENTS, TenancyEvents } from '../events/tenancy-events.js';
import { TenantRegistry } from '../registry/tenant.registry.js';
import { lockSchemaForTransaction } from '../postgres/advisory-lock.js';
import { pgArray } from '../postgres/pg-array.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { MigrationError, RegistryNotMigratedError, TenancyConfigError, TenantNotFoundError } from '../tenancy.errors.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { MigrationSetOptions, ResolvedTenancyOptions } from '../tenancy.options.js';
import { createMigrationOrm, type MigrationSetName } from './migration-orm.factory.js';
import type { SchemaMigrationResult, SchemaMigrationState } from './migration-result.js';
import { SetMigrator } from './set-migrator.js';
import { TENANCY_ORM } from '../tenancy-orm.provider.js';

/** Options of a run over one schema. */
export interface SchemaRunOptions {
  /** Run inside this transaction (provisioning); otherwise the run opens its own. */
  em?: EntityManager;
  /** Only list what would run. */
  dryRun?: boolean;
  /** Stop at this migration (inclusive). */
  to?: string;
}

/** Options of a run over many tenant schemas. */
export interface TenantsRunOptions {
  /** Only these schemas (default: every tenant in the registry). */
  schemas?: string[];
  /** Schemas migrated at once. @default the module's `migrationConcurrency` */
  concurrency?: number;
  /** Stop starting new schemas after the first failure. */
  failFast?: boolean;
  dryRun?: boolean;
  /** Called after each schema. */
  onResult?: (result: SchemaMigrationResult) => void;
}

/** Options of {@link SchemaMigrator.migrateAll}. */
export interface MigrateAllOptions extends Omit<TenantsRunOptions, 'schemas'> {
  /** Run the shared set first. @default true */
  shared?: boolean;
  /** Run the tenant set. @default true */
  tenants?: boolean;
  /** Only these tenant schemas (each must be a tenant); default: every tenant. */
  schemas?: string[];
  /** Called with the tenant schemas once they are known, before the first one runs. */
  onTenantsStart?: (schemas: string[]) => void;
}

/** What {@link SchemaMigrator.migrateAll} did. */
export interface MigrateAllReport {
  /** The shared schema's result, when the shared set ran. */
  shared?: SchemaMigrationResult;
  /** Each tenant schema's result, in the order they finished. */
  tenants: SchemaMigrationResult[];
  /** The tenant schemas selected, in order (empty when the shared set failed). */
  schemas: string[];
  /** Every failed result (shared and tenants). */
  failed: SchemaMigrationResult[];
}

/**
 * Runs the shared and tenant migration sets with MikroORM's Migrator. Every schema is migrated
 * in its own transaction under a PostgreSQL advisory lock on that schema, so two runners never
 * migrate one schema at once (the second waits, then finds nothing left to do). Runs across
 * tenants are concurrent with a bound; a failure in one schema is reported and the others go on.
 */
@Injectable()
export class SchemaMigrator implements OnApplicationShutdown {
  private readonly logger = new Logger(SchemaMigrator.name);
  private readonly orms = new Map<string, Promise<MikroORM>>();

  constructor(
    @Inject(TENANCY_ORM) private readonly orm: MikroORM,
    private readonly registry: TenantRegistry,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
    private readonly events: TenancyEvents,
  ) {}

  /** The dedicated ORM of a set (created once, with its own small pool). */
  migrationOrm(set: MigrationSetName, poolSize = this.options.migrationConcurrency + 1): Promise<MikroORM> {
    const key = `${set}:${poolSize}`;
    let orm = this.orms.get(key);
    if (!orm) {
      orm = createMigrationOrm(this.orm.config.getAll(), {
        set,
        migrations: this.setOptions(set),
        tableName: this.options.migrations.tableName,
        poolSize,
      });
      orm.catch(() => this.orms.delete(key));
      this.orms.set(key, orm);
    }
    return orm;
  }

  /** Names of every migration of a set, oldest first. */
  async migrationNames(set: MigrationSetName): Promise<string[]> {
    const orm = await this.migrationOrm(set);
    return new SetMigrator(sqlEntityManager(orm.em.fork())).migrationNames();
  }

  /**
   * The whole run an app does at deploy (and the CLI's `migrate`): the shared set, then, unless it
   * failed, every tenant schema with bounded concurrency (a failing schema is reported and the
   * others go on). Never throws for a schema's failure: check `failed`. Afterwards the known-hosts
   * filter is reloaded (the registry may have just been created).
   *
   * @example
   * const { failed } = await app.get(SchemaMigrator).migrateAll();
   */
  async migrateAll(options: MigrateAllOptions = {}): Promise<MigrateAllReport> {
    const dryRun = options.dryRun === true;
    let shared: SchemaMigrationResult | undefined;
    if (options.shared !== false) {
      shared = await this.migrateShared({ dryRun }).catch((error: unknown): SchemaMigrationResult =>
        failedResult(this.options.sharedSchema, 'shared', error),
      );
      if (shared.status === 'planned' && shared.migrations.length === 0) {
        shared = { ...shared, status: 'up-to-date' };
      }
      options.onResult?.(shared);
    }
    if (shared?.status === 'failed' || options.tenants === false) {
      return { shared, tenants: [], schemas: [], failed: shared?.status === 'failed' ? [shared] : [] };
    }
    const schemas = await this.selectTenantSchemas(options.schemas).catch((error: unknown) => {
      // a dry run on a new database: the registry comes with a shared migration not applied yet
      if (shared?.status === 'planned' && error instanceof RegistryNotMigratedError) {
        return [];
      }
      throw error;
    });
    options.onTenantsStart?.(schemas);
    const tenants = await this.migrateTenants(schemas, { ...options, schemas: undefined, dryRun });
    if (!dryRun) {
      await this.registry.refreshKnownHosts();
    }
    const failed = [shared, ...tenants].filter((result) => result?.status === 'failed') as SchemaMigrationResult[];
    return { shared, tenants, schemas, failed };
  }

  /**
   * The tenant schemas named (each must be a tenant: {@link TenantNotFoundError} otherwise), or
   * every tenant's, in order.
   */
  async selectTenantSchemas(wanted?: string[]): Promise<string[]> {
    const all = await this.registry.tenantSchemas();
    if (!wanted) {
      return all;
    }
    const known = new Set(all);
    const missing = wanted.filter((schema) => !known.has(schema));
    if (missing.length > 0) {
      throw TenantNotFoundError.forSchemas(missing);
    }
    return [...new Set(wanted)];
  }

  /** Applies the shared set's pending migrations to the shared schema. */
  migrateShared(options: SchemaRunOptions = {}): Promise<SchemaMigrationResult> {
    return this.run('shared', this.options.sharedSchema, 'up', options);
  }

  /** Applies the tenant set's pending migrations to one tenant schema. */
  migrateTenant(schema: string, options: SchemaRunOptions = {}): Promise<SchemaMigrationResult> {
    return this.run('tenant', schema, 'up', options);
  }

  /** Reverts the last migration (or down to `to`, exclusive) of a schema. */
  revert(set: MigrationSetName, schema: string, options: SchemaRunOptions = {}): Promise<SchemaMigrationResult> {
    return this.run(set, schema, 'down', options);
  }

  /** Migrates many tenant schemas with bounded concurrency. Never throws for a schema's failure. */
  async migrateTenants(schemas: string[], options: TenantsRunOptions = {}): Promise<SchemaMigrationResult[]> {
    const concurrency = Math.max(1, options.concurrency ?? this.options.migrationConcurrency);
    const orm = await this.migrationOrm('tenant', concurrency + 1);
    const states = await this.states('tenant', schemas, orm);
    const results: SchemaMigrationResult[] = [];
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (next < schemas.length && !(failed && options.failFast)) {
        const schema = schemas[next++];
        const state = states.get(schema);
        let result: SchemaMigrationResult;
        if (state && state.pending.length === 0) {
          result = { schema, set: 'tenant', status: 'up-to-date', migrations: [], durationMs: 0 };
        } else {
          result = await this.run('tenant', schema, 'up', { dryRun: options.dryRun }, orm).catch((error: unknown) =>
            failedResult(schema, 'tenant', error),
          );
          if (result.status === 'migrated') {
            await this.events.emit(TENANCY_EVENTS.tenantMigrated, { schema, migrations: result.migrations });
          }
        }
        failed ||= result.status === 'failed';
        results.push(result);
        options.onResult?.(result);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, schemas.length) }, worker));
    for (const schema of schemas.slice(next)) {
      const skipped: SchemaMigrationResult = { schema, set: 'tenant', status: 'skipped', migrations: [], durationMs: 0 };
      results.push(skipped);
      options.onResult?.(skipped);
    }
    return results;
  }

  /**
   * Applied and pending migrations of each schema, read in one query across the schemas'
   * migration tables (a schema without the table has everything pending).
   */
  async states(set: MigrationSetName, schemas: string[], orm?: MikroORM): Promise<Map<string, SchemaMigrationState>> {
    orm ??= await this.migrationOrm(set);
    const names = await new SetMigrator(sqlEntityManager(orm.em.fork())).migrationNames();
    const table = this.options.migrations.tableName;
    const em = sqlEntityManager(orm.em.fork());
    const applied = new Map<string, string[]>(schemas.map((schema) => [schema, []]));
    const existing = await em.execute<{ table_schema: string }[]>(
      // pg_catalog, not information_schema.tables (which checks privileges row by row: 0.2 s at 1,000 schemas)
      `select n.nspname as table_schema from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relname = ? and c.relkind in ('r', 'p') and n.nspname = any(?::text[])`,
      [table, pgArray(schemas)],
    );
    const withTable = existing.map((row) => row.table_schema);
    for (let i = 0; i < withTable.length; i += STATE_CHUNK) {
      // one small query per schema, which PostgreSQL runs itself (query_to_xml, which needs no
      // libxml), instead of one `union all` over the chunk's tables: planning that union took about
      // 1.3 ms per table and it ran as a parallel plan whose workers opened every table again
      // (2,000 schemas read cold: 2.5 s against 6.2 s; issue 11)
      const rows = await em.execute<{ schema: string; rows: string }[]>(
        `select s.schema, query_to_xml(format('select name from %I.%I order by id', s.schema, ?::text), false, false, '')::text as rows
           from unnest(?::text[]) as s(schema)`,
        [table, pgArray(withTable.slice(i, i + STATE_CHUNK))],
      );
      for (const row of rows) {
        for (const [, name] of row.rows.matchAll(/<name>([^<]*)<\/name>/g)) {
          applied.get(row.schema)?.push(xmlText(name).replace(/\.[jt]s$/, ''));
        }
      }
    }
    const result = new Map<string, SchemaMigrationState>();
    for (const schema of schemas) {
      const done = applied.get(schema) ?? [];
      const doneSet = new Set(done);
      result.set(schema, { schema, set, applied: done, pending: names.filter((name) => !doneSet.has(name)) });
    }
    return result;
  }

  async onApplicationShutdown(): Promise<void> {
    const orms = [...this.orms.values()];
    this.orms.clear();
    await Promise.all(orms.map(async (orm) => (await orm.catch(() => undefined))?.close()));
  }

  private setOptions(set: MigrationSetName): MigrationSetOptions {
    const options = this.options.migrations[set];
    if (!options) {
      throw new TenancyConfigError(
        `No ${set} migration set is configured: pass migrations.${set} ({ path } or { migrationsList }) to TenancyModule.forRoot().`,
      );
    }
    return options;
  }

  private async run(
    set: MigrationSetName,
    schema: string,
    direction: 'up' | 'down',
    options: SchemaRunOptions,
    orm?: MikroORM,
  ): Promise<SchemaMigrationResult> {
    const started = performance.now();
    const owner = orm ?? (await this.migrationOrm(set));
    if (options.dryRun) {
      // read-only: MikroORM's getPending() would create the schema and its migrations table
      const state = (await this.states(set, [schema], owner)).get(schema);
      const pending = state?.pending ?? [];
      const stop = options.to ? pending.indexOf(options.to) : -1;
      const migrations =
        direction === 'up' ? (stop >= 0 ? pending.slice(0, stop + 1) : pending) : (state?.applied.slice(-1) ?? []);
      return { schema, set, status: 'planned', migrations, durationMs: Math.round(performance.now() - started) };
    }
    const body = async (em: EntityManager): Promise<SchemaMigrationResult> => {
      const waitedForLock = await lockSchemaForTransaction(em, 'migration', schema);
      const migrator = new SetMigrator(sqlEntityManager(em));
      const transaction = em.getTransactionContext<Transaction>();
      const target = { schema, transaction, ...(options.to ? { to: options.to } : {}) };
      const ran = direction === 'up' ? await migrator.up(target) : await migrator.down(target);
      const migrations = ran.map((m) => m.name);
      const status = migrations.length === 0 ? 'up-to-date' : direction === 'up' ? 'migrated' : 'reverted';
      return {
        schema,
        set,
        status,
        migrations,
        durationMs: Math.round(performance.now() - started),
        ...(waitedForLock ? { waitedForLock } : {}),
      };
    };
    try {
      return await (options.em ? body(options.em) : owner.em.fork().transactional(body));
    } catch (error) {
      this.logger.debug(`Migrating ${set} schema "${schema}" failed: ${errorMessage(error)}`);
      throw new MigrationError(`Migrating ${set} schema "${schema}" failed: ${errorMessage(error)}`, { cause: error });
    }
  }
}

function failedResult(schema: string, set: MigrationSetName, error: unknown): SchemaMigrationResult {
  return { schema, set, status: 'failed', migrations: [], durationMs: 0, error: errorMessage(error) };
}

/** Schemas whose migration tables one query reads (each holds a lock on its table until the statement ends). */
const STATE_CHUNK = 500;

/** The text of an XML element as `query_to_xml` writes it (`&`, `<`, `>` and others escaped). */
function xmlText(value: string): string {
  return value.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-f]+|#[0-9]+);/gi, (_, entity: string) => {
    const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
    if (entity[0] !== '#') {
      return named[entity.toLowerCase()];
    }
    return String.fromCodePoint(entity[1] === 'x' || entity[1] === 'X' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1)));
  });
}

/** The message of an unknown thrown value, on one line. */
export function errorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s+/g, ' ').trim();
}
