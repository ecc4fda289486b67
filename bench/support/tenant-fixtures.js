import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

/** DDL of MikroORM 7.2.1's migrations table, as its Migrator creates it in every tenant schema. */
const MIGRATIONS_TABLE = (schema) =>
  `create table "${schema}"."mikro_orm_migrations" ("id" serial primary key, "name" varchar(255) not null, ` +
  `"executed_at" timestamptz(6) not null default current_timestamp(6))`;

/** The rows every tenant (and the baseline schema) serves: `rows` projects, newest first by id. */
const PROJECT_ROWS = (schema, rows) =>
  `insert into "${schema}"."project" ("name", "description", "created_at") ` +
  `select 'Project ' || g, 'Seeded by the benchmark', timestamptz '2026-01-01 00:00:00+00' + g * interval '1 minute' ` +
  `from generate_series(1, ${rows}) g`;

/**
 * The tenant migration set's SQL, read from the compiled migration classes (oldest first): what
 * the Migrator runs inside `set search_path to <schema>`.
 */
export async function loadTenantMigrations(folder) {
  const files = readdirSync(folder)
    .filter((file) => file.endsWith('.js') && !file.endsWith('.d.js'))
    .sort();
  const migrations = [];
  for (const file of files) {
    const module = await import(pathToFileURL(join(folder, file)).href);
    for (const MigrationClass of Object.values(module)) {
      if (typeof MigrationClass !== 'function') {
        continue;
      }
      const migration = new MigrationClass(undefined, undefined);
      await migration.up();
      migrations.push({
        name: migration.name ?? file.replace(/\.js$/, ''),
        class: MigrationClass,
        queries: migration.getQueries().map(String),
      });
    }
  }
  return migrations;
}

/**
 * Tenants made fast for the benchmark: schema, tables and migration rows by replaying the tenant
 * migration set's SQL (the way the Migrator runs it), plus the registry row and one domain, in
 * batches of one transaction each. Tenant `i` has schema `bt00042`-style names and host
 * `<schema>.bench.localhost`. `verify()` compares one of them with a schema built by the Migrator.
 */
export class TenantFixtures {
  count = 0;

  constructor(db, migrations, { rows = 20, batchSize = 25, concurrency = 2 } = {}) {
    this.db = db;
    this.migrations = migrations;
    this.rows = rows;
    this.batchSize = batchSize;
    this.concurrency = concurrency;
  }

  schema(index) {
    return `bt${String(index).padStart(5, '0')}`;
  }

  host(index) {
    return `${this.schema(index)}.bench.localhost`;
  }

  /** The first `count` tenants' schemas (or hosts). */
  schemas(count = this.count) {
    return Array.from({ length: count }, (_, index) => this.schema(index));
  }

  hosts(count = this.count) {
    return Array.from({ length: count }, (_, index) => this.host(index));
  }

  /** Creates tenants until there are `total`; returns the seconds it took. */
  async growTo(total, log) {
    const started = performance.now();
    const batches = [];
    for (let first = this.count; first < total; first += this.batchSize) {
      batches.push([first, Math.min(total, first + this.batchSize)]);
    }
    let done = 0;
    let lastLog = started;
    const worker = async () => {
      while (batches.length > 0) {
        const [first, end] = batches.shift();
        await this.createBatch(first, end);
        done += end - first;
        if (log && performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          log(`  ... ${this.count + done} / ${total} tenants`);
        }
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));
    this.count = Math.max(this.count, total);
    return (performance.now() - started) / 1000;
  }

  async createBatch(first, end) {
    const statements = ['begin'];
    const schemas = [];
    for (let index = first; index < end; index++) {
      const schema = this.schema(index);
      schemas.push(schema);
      statements.push(`create schema "${schema}"`, MIGRATIONS_TABLE(schema), `set local search_path to "${schema}"`);
      for (const migration of this.migrations) {
        statements.push(...migration.queries.map((sql) => sql.replace(/;\s*$/, '')));
        statements.push(`insert into "${schema}"."mikro_orm_migrations" ("name") values ('${migration.name}')`);
      }
      statements.push(PROJECT_ROWS(schema, this.rows));
    }
    statements.push(
      `insert into "public"."tenant" ("schema", "name", "status") select s, 'Bench tenant ' || s, 'active' from unnest(array[${schemas.map((s) => `'${s}'`).join(',')}]) s`,
      `insert into "public"."domain" ("host", "tenant_id", "is_primary") select t."schema" || '.bench.localhost', t."id", true from "public"."tenant" t where t."schema" between '${schemas[0]}' and '${schemas.at(-1)}'`,
      'commit',
    );
    const client = await this.db.pool.connect();
    try {
      await client.query(statements.join(';\n'));
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * Throws unless tenant 0's schema is identical to `reference` (a schema built by createTenant,
   * i.e. by the Migrator): columns, types, defaults, constraints, indexes, sequences, migration rows.
   */
  async verify(reference) {
    const [ours, theirs] = await Promise.all([schemaFingerprint(this.db, this.schema(0)), schemaFingerprint(this.db, reference)]);
    const missing = theirs.filter((line) => !ours.includes(line));
    const extra = ours.filter((line) => !theirs.includes(line));
    if (missing.length > 0 || extra.length > 0) {
      throw new Error(
        `Bench tenant schemas differ from Migrator-built ones: missing ${missing.join(' | ')}; extra ${extra.join(' | ')}`,
      );
    }
    return ours.length;
  }
}

/** One schema served by the baseline app: the tenant tables, with the same rows. */
export async function createBaselineSchema(db, schema, migrations, rows) {
  const statements = ['begin', `create schema "${schema}"`, `set local search_path to "${schema}"`];
  for (const migration of migrations) {
    statements.push(...migration.queries.map((sql) => sql.replace(/;\s*$/, '')));
  }
  statements.push(PROJECT_ROWS(schema, rows), 'commit');
  await db.pool.query(statements.join(';\n'));
}

/** A schema's structure as sorted text lines, its own name replaced by `$S`. */
async function schemaFingerprint(db, schema) {
  const rows = await db.rows(
    `select 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(character_maximum_length::text, '-')
        || ' ' || coalesce(datetime_precision::text, '-') || ' ' || is_nullable || ' ' || coalesce(column_default, '-') as line
       from information_schema.columns where table_schema = $1
     union all
     select 'constraint ' || cl.relname || '.' || co.conname || ' ' || pg_get_constraintdef(co.oid)
       from pg_constraint co join pg_class cl on cl.oid = co.conrelid join pg_namespace n on n.oid = cl.relnamespace
      where n.nspname = $1
     union all
     select 'index ' || indexdef from pg_indexes where schemaname = $1
     union all
     select 'sequence ' || sequence_name || ' ' || data_type || ' ' || start_value || ' ' || increment
       from information_schema.sequences where sequence_schema = $1
     union all
     select 'sequence owner ' || s.relname || ' ' || t.relname || '.' || a.attname
       from pg_depend d join pg_class s on s.oid = d.objid and s.relkind = 'S'
       join pg_class t on t.oid = d.refobjid join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
       join pg_namespace n on n.oid = s.relnamespace
      where n.nspname = $1 and d.deptype = 'a'`,
    [schema],
  );
  const migrationRows = await db.rows(`select name from "${schema}"."mikro_orm_migrations" order by id`);
  return [...rows.map((row) => row.line), ...migrationRows.map((row) => `migration ${row.name}`)]
    .map((line) => line.replaceAll(`"${schema}"`, '$S').replaceAll(`${schema}.`, '$S.'))
    .sort();
}
