import { randomBytes } from 'node:crypto';
import type { Transaction } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable } from '@nestjs/common';
import { EntityDiff } from '../migrations/entity-diff.js';
import type { MigrationSetName } from '../migrations/migration-orm.factory.js';
import { SchemaMigrator } from '../migrations/schema-migrator.js';
import { SetMigrator } from '../migrations/set-migrator.js';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { sqlEntityManager } from '../postgres/sql-entity-manager.js';
import { TENANCY_OPTIONS } from '../tenancy.module-definition.js';
import type { ResolvedTenancyOptions } from '../tenancy.options.js';
import { readSchemaCatalogs, type SchemaCatalog } from './schema-catalog.js';
import type { SchemaDrift, TenancyCheckReport, TenantCheck } from './tenancy-check.report.js';

/** Options of {@link TenancyChecker.check}. */
export interface TenancyCheckOptions {
  /** Only these tenants (each must be one); orphan schemas are then not looked for. Default: every tenant. */
  schemas?: string[];
  /**
   * Count foreign keys from tenant tables to shared tables as problems (Citus schema-based
   * sharding refuses them). @default true when the `citus` extension is installed
   */
  citus?: boolean;
  /** Schemas that are neither tenants nor orphans (an app's own schemas, an extension's). */
  ignoreSchemas?: string[];
  /**
   * Also compare each migration set's entities with what its migrations build, as
   * `migration:create` does: entities changed with no migration written for them are a problem.
   * Off by default: MikroORM reads the reference schemas through `information_schema`, whose cost
   * grows with the whole catalog (2.5 s more at 1,000 tenants, over 2 minutes at 10,000).
   * @default false
   */
  entities?: boolean;
}

/** Prefix of the reference schemas (never a valid tenant schema name, never committed). */
const REFERENCE_PREFIX = '__tenancy_check_';

/** Schemas read per catalog query. */
const CATALOG_CHUNK = 500;

const CITUS_ADVICE =
  'Citus schema-based sharding only allows foreign keys from a distributed schema to reference tables: ' +
  "make each referenced shared table a reference table (select create_reference_table('public.<table>')), " +
  'or drop the foreign key and check the reference in the app.';

/**
 * Checks that what runs matches what the migrations say, for a deploy pipeline: per tenant, the
 * schema is there, no tenant migration is pending or unknown (applied but not in the app's set),
 * and the schema has not drifted from what its applied migrations build; schemas with no tenant
 * (orphans); foreign keys from tenant tables to shared tables (refused by Citus schema-based
 * sharding). Read-only: the reference schemas are built in a transaction that is rolled back.
 *
 * Drift is found by comparing catalogs: one reference schema per distinct migration state
 * (usually one), built by MikroORM's Migrator with the tenant set, then every tenant's catalog
 * read in a few queries (500 schemas each) and compared in memory.
 *
 * @example
 * const report = await app.get(TenancyChecker).check();
 * if (!report.ok) console.error(report.problems, report.tenants.filter((t) => t.status !== 'ok'));
 */
@Injectable()
export class TenancyChecker {
  constructor(
    private readonly migrator: SchemaMigrator,
    private readonly entityDiff: EntityDiff,
    @Inject(TENANCY_OPTIONS) private readonly options: ResolvedTenancyOptions,
  ) {}

  /** Runs every check; never changes the database. */
  async check(options: TenancyCheckOptions = {}): Promise<TenancyCheckReport> {
    const started = performance.now();
    const orm = await this.migrator.migrationOrm('tenant');
    const em = sqlEntityManager(orm.em.fork());
    const shared = this.options.sharedSchema;
    const table = this.options.migrations.tableName;
    const [tenantSchemas, names, namespaces, citusInstalled, sharedStates] = await settled([
      this.migrator.selectTenantSchemas(options.schemas),
      this.migrator.migrationNames('tenant'),
      this.namespaces(em),
      this.citusInstalled(em),
      this.migrator.states('shared', [shared]),
    ]);
    const citus = options.citus ?? citusInstalled;
    const present = tenantSchemas.filter((schema) => namespaces.has(schema));
    const sharedState = sharedStates.get(shared);
    const known = new Set(names);

    // one reference per migration state, built once, on demand (usually only the latest)
    const references = new Map<string, Promise<SchemaCatalog | undefined>>();
    const reference = (migrations: string[]): Promise<SchemaCatalog | undefined> => {
      let built = references.get(key(migrations));
      if (!built) {
        built = this.buildReference(em, migrations);
        references.set(key(migrations), built);
      }
      return built;
    };
    const latest = await reference(names);

    const tenants: TenantCheck[] = [];
    for (const schema of tenantSchemas) {
      if (!namespaces.has(schema)) {
        tenants.push({
          schema,
          status: 'needs-action',
          schemaPresent: false,
          migrations: { applied: 0, pending: names, unknown: [] },
          drift: [],
          foreignKeysToShared: [],
          problems: [
            `The schema "${schema}" is missing: restore it from a backup, or remove the tenant (tenant:delete ${schema}).`,
          ],
        });
      }
    }
    const chunks: string[][] = [];
    for (let i = 0; i < present.length; i += CATALOG_CHUNK) {
      chunks.push(present.slice(i, i + CATALOG_CHUNK));
    }
    // chunks two at a time, each reading migration states and catalogs at once: reading a
    // thousand schemas' tables is PostgreSQL's work (planning and opening each table), not ours
    const checkChunk = async (chunk: string[]): Promise<void> => {
      const [states, catalogs] = await settled([
        this.migrator.states('tenant', chunk, orm),
        readSchemaCatalogs(sqlEntityManager(orm.em.fork()), chunk, table),
      ]);
      for (const schema of chunk) {
        const state = states.get(schema);
        const applied = state?.applied ?? [];
        const unknown = applied.filter((name) => !known.has(name));
        const pending = state?.pending ?? [];
        const catalog = catalogs.get(schema);
        const expected = await reference(names.filter((name) => applied.includes(name)));
        const drift = expected && catalog ? compareCatalogs(expected, catalog) : [];
        const foreignKeysToShared = catalog?.foreignKeysOut ?? [];
        const problems: string[] = [];
        if (pending.length > 0) {
          problems.push(`${pending.length} pending tenant migration(s) (${pending.join(', ')}): run migrate --schema ${schema}.`);
        }
        if (unknown.length > 0) {
          problems.push(
            `Applied migration(s) not in the app's tenant set (${unknown.join(', ')}): deploy the code that has them, or revert them.`,
          );
        }
        if (drift.length > 0) {
          problems.push(
            `The schema differs from what its migrations build (${drift.map(describeDrift).join('; ')}): write a migration for the change, or undo it by hand.`,
          );
        }
        if (citus && foreignKeysToShared.length > 0) {
          problems.push(
            `Foreign key(s) to shared tables (${foreignKeysToShared.map((fk) => `${fk.name} -> ${fk.references}`).join(', ')}): ${CITUS_ADVICE}`,
          );
        }
        tenants.push({
          schema,
          status: problems.length > 0 ? 'needs-action' : 'ok',
          schemaPresent: true,
          migrations: { applied: applied.length, pending, unknown },
          drift,
          foreignKeysToShared,
          problems,
        });
      }
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < chunks.length) {
        await checkChunk(chunks[next++]);
      }
    };
    await settled([worker(), worker()]);
    tenants.sort((a, b) => (a.schema < b.schema ? -1 : a.schema > b.schema ? 1 : 0));

    const ignored = new Set(options.ignoreSchemas ?? []);
    const tenantSet = new Set(tenantSchemas);
    const orphanSchemas = options.schemas
      ? []
      : [...namespaces].filter(
          // `_deleted_*`: schemas of deleted tenants kept for restore (a reserved prefix; `purge` drops them)
          (schema) =>
            !tenantSet.has(schema) &&
            schema !== shared &&
            !ignored.has(schema) &&
            !schema.startsWith('__tenancy') &&
            !schema.startsWith('_deleted_'),
        );
    orphanSchemas.sort();

    const problems: string[] = [];
    const sharedNames = new Set(await this.migrator.migrationNames('shared'));
    const sharedUnknown = (sharedState?.applied ?? []).filter((name) => !sharedNames.has(name));
    const sharedPending = sharedState?.pending ?? [];
    if (sharedPending.length > 0) {
      problems.push(`${sharedPending.length} pending shared migration(s) (${sharedPending.join(', ')}): run migrate --shared.`);
    }
    if (sharedUnknown.length > 0) {
      problems.push(
        `Applied shared migration(s) not in the app's shared set (${sharedUnknown.join(', ')}): deploy the code that has them, or revert them.`,
      );
    }
    if (orphanSchemas.length > 0) {
      problems.push(
        `Schema(s) with no tenant (${orphanSchemas.join(', ')}): drop them (drop schema … cascade) once you know they are not needed, ` +
          `re-register them as tenants, or pass them as ignored schemas.`,
      );
    }
    const inMigrations = latest?.foreignKeysOut ?? [];
    if (citus && inMigrations.length > 0) {
      problems.push(
        `The tenant migrations create foreign key(s) to shared tables (${inMigrations.map((fk) => `${fk.name} -> ${fk.references}`).join(', ')}): ${CITUS_ADVICE}`,
      );
    }
    const entities = {
      tenant: options.entities === true ? await this.entityChanges('tenant') : null,
      // compared with the shared schema itself: only once its migrations have all run
      shared: options.entities === true && sharedPending.length === 0 ? await this.entityChanges('shared') : null,
    };
    for (const set of ['tenant', 'shared'] as const) {
      const changes = entities[set];
      if (changes && changes.length > 0) {
        problems.push(
          `The ${set} entities differ from what the ${set} migrations build (${changes.length} statement(s): ${preview(changes)}): ` +
            `write a migration for the change (migration:create --${set}), then deploy and run it.`,
        );
      }
    }
    const anyForeignKey = inMigrations.length > 0 || tenants.some((tenant) => tenant.foreignKeysToShared.length > 0);
    const okCount = tenants.filter((tenant) => tenant.status === 'ok').length;
    return {
      ok: problems.length === 0 && okCount === tenants.length,
      summary: {
        tenants: tenants.length,
        ok: okCount,
        needsAction: tenants.length - okCount,
        orphanSchemas: orphanSchemas.length,
        durationMs: Math.round(performance.now() - started),
      },
      shared: { schema: shared, pending: sharedPending, unknown: sharedUnknown },
      tenants,
      orphanSchemas,
      foreignKeysToShared: { citus, inMigrations, ...(anyForeignKey ? { advice: CITUS_ADVICE } : {}) },
      entities,
      problems,
    };
  }

  /**
   * The statements a new migration of the set would hold (none when its entities match its
   * migrations); tables no entity maps are not counted (the shared schema may hold an app's own).
   */
  private async entityChanges(set: MigrationSetName): Promise<string[]> {
    const { up } = await this.entityDiff.diff(set, { onlyMapped: true });
    return up.filter((statement) => statement !== '');
  }

  /**
   * The catalog of a scratch schema migrated with exactly `migrations` (in its own transaction,
   * always rolled back: nothing is left, even when the process dies).
   */
  private async buildReference(em: SqlEntityManager, migrations: string[]): Promise<SchemaCatalog | undefined> {
    const fork = sqlEntityManager(em.fork());
    const schema = `${REFERENCE_PREFIX}${randomBytes(6).toString('hex')}`;
    await fork.begin();
    try {
      await fork.execute(`create schema ${quoteIdentifier(schema)}`);
      if (migrations.length > 0) {
        const transaction = fork.getTransactionContext<Transaction>();
        await new SetMigrator(fork).up({ schema, transaction, migrations });
      }
      return (await readSchemaCatalogs(fork, [schema], this.options.migrations.tableName)).get(schema);
    } finally {
      await fork.rollback();
    }
  }

  /** Every schema of the database but PostgreSQL's own and those an extension owns. */
  private async namespaces(em: SqlEntityManager): Promise<Set<string>> {
    const rows = await em.execute<{ nspname: string }[]>(
      `select n.nspname from pg_namespace n
        where n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
          and not exists (select 1 from pg_depend d where d.classid = 'pg_namespace'::regclass and d.objid = n.oid and d.deptype = 'e')`,
    );
    return new Set(rows.map((row) => row.nspname));
  }

  private async citusInstalled(em: SqlEntityManager): Promise<boolean> {
    const [row] = await em.execute<{ found: boolean }[]>(
      `select exists (select 1 from pg_extension where extname = 'citus') as found`,
    );
    return row?.found === true;
  }
}

/** The first statements of a diff, for a one-line finding. */
function preview(statements: string[]): string {
  const shown = statements.slice(0, 3).join(' ');
  return (shown.length > 300 ? `${shown.slice(0, 297)}...` : shown) + (statements.length > 3 ? ' ...' : '');
}

/**
 * `Promise.all` that waits for every promise before it rejects: nothing of a failed check may
 * still be querying when the app closes (a query after close would reopen the pool).
 */
async function settled<T extends readonly unknown[]>(promises: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    throw failure.reason;
  }
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

function key(migrations: string[]): string {
  return migrations.join('\n');
}

/** What differs between a reference catalog and a tenant's, sorted by kind and name. */
function compareCatalogs(reference: SchemaCatalog, actual: SchemaCatalog): SchemaDrift[] {
  const drift: SchemaDrift[] = [];
  for (const [id, expected] of reference.objects) {
    const found = actual.objects.get(id);
    if (!found) {
      drift.push({ problem: 'missing', kind: expected.kind, name: expected.name, expected: expected.definition });
    } else if (found.definition !== expected.definition) {
      drift.push({
        problem: 'changed',
        kind: expected.kind,
        name: expected.name,
        expected: expected.definition,
        actual: found.definition,
      });
    }
  }
  for (const [id, found] of actual.objects) {
    if (!reference.objects.has(id)) {
      drift.push({ problem: 'extra', kind: found.kind, name: found.name, actual: found.definition });
    }
  }
  return drift;
}

function describeDrift(drift: SchemaDrift): string {
  return `${drift.problem} ${drift.kind} ${drift.name}`;
}
