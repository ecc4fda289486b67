import type { SqlEntityManager } from '@mikro-orm/postgresql';
import { quoteIdentifier } from '../postgres/schema-name.js';
import { InvalidTenantInputError } from '../tenancy.errors.js';

/** Options of {@link cloneSchema}. */
export interface CloneSchemaOptions {
  /** Copy every table's rows and every sequence's value (otherwise only the migrations table's). */
  withData: boolean;
  /** The migrations table, whose rows are always copied (the clone's migration state). */
  migrationsTable: string;
}

interface SequenceRow {
  name: string;
  type: string;
  increment: string;
  min: string;
  max: string;
  start: string;
  cache: string;
  cycle: boolean;
  owner_table: string | null;
  owner_column: string | null;
  identity: boolean;
}

interface ColumnRow {
  table_name: string;
  name: string;
  type: string;
  collation: string | null;
  not_null: boolean;
  default_sql: string | null;
  identity: string;
  generated: boolean;
}

interface DefinitionRow {
  table_name: string;
  name: string;
  definition: string;
}

/**
 * Copies the schema `template` into the new, empty schema `target`, in the caller's transaction:
 * sequences, tables (columns, types, collations, not null, defaults, identity, generated columns),
 * constraints and foreign keys with their names, indexes, views, triggers, sequence ownership,
 * the migrations table with its rows, and with `withData` every row and sequence value.
 *
 * The DDL is generated from the catalog, never by `create table … (like …)` (which shares the
 * template's sequences, renames indexes and constraints and drops foreign keys): the template's
 * definitions are read with `search_path` set to the template, so PostgreSQL prints the template's
 * own objects unqualified, and replayed with `search_path` set to the target, where the same names
 * resolve to the copies; objects of other schemas (shared tables, extension types) stay
 * qualified. Objects it cannot copy faithfully (functions, types, partitioned, inherited or
 * foreign tables, materialized views, row-level security policies) are refused before anything
 * is written. Ends with `search_path` back to the session's default.
 */
export async function cloneSchema(
  em: SqlEntityManager,
  template: string,
  target: string,
  options: CloneSchemaOptions,
): Promise<void> {
  const [row] = await em.execute<{ oid: string | null }[]>('select oid::text as oid from pg_namespace where nspname = ?', [
    template,
  ]);
  if (!row?.oid) {
    throw new InvalidTenantInputError(`The template tenant's schema "${template}" does not exist.`);
  }
  const oid = Number(row.oid);
  const unsupported = await em.execute<{ what: string }[]>(UNSUPPORTED_SQL, [oid, oid, oid, oid, oid, oid]);
  if (unsupported.length > 0) {
    throw new InvalidTenantInputError(
      `The template schema "${template}" holds objects a clone cannot copy (${unsupported.map((u) => u.what).join(', ')}): ` +
        'create the tenant with migrations instead, or copy it with pg_dump.',
    );
  }
  await em.execute(`set local search_path to ${quoteIdentifier(template)}`);
  // one round trip for the whole catalog (seven queries took seven, and most of a clone's time)
  const part = (sql: string) => `(select coalesce(json_agg(x), '[]'::json) from (${sql}) x)`;
  const [catalog] = await em.execute<
    {
      sequences: SequenceRow[];
      columns: ColumnRow[];
      constraints: DefinitionRow[];
      indexes: DefinitionRow[];
      views: DefinitionRow[];
      triggers: DefinitionRow[];
    }[]
  >(
    `select ${part(SEQUENCES_SQL)} as sequences, ${part(COLUMNS_SQL)} as columns, ${part(CONSTRAINTS_SQL)} as constraints, ` +
      `${part(INDEXES_SQL)} as indexes, ${part(VIEWS_SQL)} as views, ${part(TRIGGERS_SQL)} as triggers`,
    [oid, oid, oid, oid, oid, oid],
  );
  const { sequences, columns, constraints, indexes, views, triggers } = catalog;
  const values =
    sequences.length === 0
      ? []
      : await em.execute<{ name: string; last_value: string; is_called: boolean }[]>(
          sequences
            .map(
              (s) =>
                `select ${literal(s.name)} as name, last_value::text, is_called from ${quoteIdentifier(template)}.${quoteIdentifier(s.name)}`,
            )
            .join(' union all '),
        );

  const q = quoteIdentifier;
  const source = (table: string) => `${q(template)}.${q(table)}`;
  const ddl: string[] = [`set local search_path to ${q(target)}`];
  for (const s of sequences.filter((sequence) => !sequence.identity)) {
    ddl.push(`create sequence ${q(s.name)} ${sequenceOptions(s)}`);
  }
  const tables = [...new Set(columns.map((column) => column.table_name))];
  for (const table of tables) {
    const definitions = columns
      .filter((column) => column.table_name === table)
      .map((column) => {
        let definition = `${q(column.name)} ${column.type}`;
        if (column.collation) {
          definition += ` collate ${column.collation}`;
        }
        if (column.generated) {
          definition += ` generated always as (${column.default_sql}) stored`;
        } else if (column.default_sql !== null) {
          definition += ` default ${column.default_sql}`;
        }
        if (column.not_null) {
          definition += ' not null';
        }
        if (column.identity) {
          const sequence = sequences.find((s) => s.identity && s.owner_table === table && s.owner_column === column.name);
          const kind = column.identity === 'a' ? 'always' : 'by default';
          definition += ` generated ${kind} as identity${sequence ? ` (sequence name ${q(target)}.${q(sequence.name)} ${sequenceOptions(sequence)})` : ''}`;
        }
        return definition;
      });
    ddl.push(`create table ${q(table)} (${definitions.join(', ')})`);
  }
  for (const table of tables) {
    if (options.withData || table === options.migrationsTable) {
      const names = columns
        .filter((column) => column.table_name === table && !column.generated)
        .map((column) => q(column.name))
        .join(', ');
      ddl.push(`insert into ${q(table)} (${names}) overriding system value select ${names} from ${source(table)}`);
    }
  }
  for (const s of sequences) {
    if (s.owner_table && s.owner_column && !s.identity) {
      ddl.push(`alter sequence ${q(s.name)} owned by ${q(s.owner_table)}.${q(s.owner_column)}`);
    }
    const value = values.find((v) => v.name === s.name);
    if (value && (options.withData || s.owner_table === options.migrationsTable)) {
      ddl.push(`select setval(${literal(`${q(target)}.${q(s.name)}`)}, ${value.last_value}, ${value.is_called})`);
    }
  }
  for (const constraint of constraints) {
    ddl.push(`alter table ${q(constraint.table_name)} add constraint ${q(constraint.name)} ${constraint.definition}`);
  }
  for (const index of indexes) {
    ddl.push(index.definition);
  }
  for (const view of views) {
    ddl.push(`create view ${q(view.name)} as ${view.definition.replace(/;\s*$/, '')}`);
  }
  for (const trigger of triggers) {
    ddl.push(trigger.definition);
  }
  ddl.push('set local search_path to default');
  // one round trip: no parameters, so the statements go as one simple query
  await em.execute(ddl.join(';\n'));
}

/** Options of `create sequence` (an identity column's sequence takes its type from the column). */
function sequenceOptions(s: SequenceRow): string {
  return (
    `${s.identity ? '' : `as ${s.type} `}increment by ${s.increment} minvalue ${s.min} maxvalue ${s.max} start with ${s.start} cache ${s.cache}` +
    (s.cycle ? ' cycle' : ' no cycle')
  );
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

// definitions are read "pretty" (flag true): only then does PostgreSQL leave the template's own
// table names unqualified in index and trigger definitions

/** What a clone refuses: every object of the schema it would not copy faithfully. */
const UNSUPPORTED_SQL = `
select case c.relkind when 'p' then 'partitioned table ' when 'm' then 'materialized view ' when 'f' then 'foreign table '
         when 'c' then 'type ' else 'relation ' end || c.relname as what
  from pg_class c where c.relnamespace = ? and c.relkind not in ('r', 'S', 'i', 'v', 't')
union all
select 'function ' || p.proname from pg_proc p where p.pronamespace = ?
union all
select 'type ' || t.typname from pg_type t where t.typnamespace = ? and t.typtype in ('e', 'd', 'r', 'm')
union all
select 'inherited table ' || c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where c.relnamespace = ?
union all
select 'policy ' || pol.polname from pg_policy pol join pg_class c on c.oid = pol.polrelid where c.relnamespace = ?
union all
select 'rule ' || r.rulename from pg_rewrite r join pg_class c on c.oid = r.ev_class
 where c.relnamespace = ? and r.rulename <> '_RETURN'`;

const SEQUENCES_SQL = `
select s.relname as name, format_type(q.seqtypid, null) as type, q.seqincrement::text as increment, q.seqmin::text as min,
       q.seqmax::text as max, q.seqstart::text as start, q.seqcache::text as cache, q.seqcycle as cycle,
       ot.relname as owner_table, oa.attname as owner_column, coalesce(dep.deptype = 'i', false) as identity
  from pg_class s join pg_sequence q on q.seqrelid = s.oid
  left join pg_depend dep on dep.classid = 'pg_class'::regclass and dep.objid = s.oid
       and dep.refclassid = 'pg_class'::regclass and dep.deptype in ('a', 'i')
  left join pg_class ot on ot.oid = dep.refobjid
  left join pg_attribute oa on oa.attrelid = dep.refobjid and oa.attnum = dep.refobjsubid
 where s.relnamespace = ? and s.relkind = 'S'
 order by s.oid`;

const COLUMNS_SQL = `
select c.relname as table_name, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
       case when a.attcollation <> t.typcollation then quote_ident(cn.nspname) || '.' || quote_ident(co.collname) end as collation,
       a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_sql, a.attidentity as identity,
       a.attgenerated = 's' as generated
  from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  join pg_type t on t.oid = a.atttypid
  left join pg_collation co on co.oid = a.attcollation left join pg_namespace cn on cn.oid = co.collnamespace
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where c.relnamespace = ? and c.relkind = 'r'
 order by c.oid, a.attnum`;

// primary keys and unique constraints first (foreign keys need them), foreign keys last
const CONSTRAINTS_SQL = `
select c.relname as table_name, k.conname as name, pg_get_constraintdef(k.oid) as definition
  from pg_constraint k join pg_class c on c.oid = k.conrelid
 where c.relnamespace = ? and c.relkind = 'r' and k.contype in ('p', 'u', 'c', 'x', 'f') and k.conislocal
 order by case k.contype when 'p' then 0 when 'u' then 1 when 'x' then 2 when 'c' then 3 else 4 end, c.oid, k.oid`;

const INDEXES_SQL = `
select c.relname as table_name, ic.relname as name, pg_get_indexdef(i.indexrelid, 0, true) as definition
  from pg_index i join pg_class c on c.oid = i.indrelid join pg_class ic on ic.oid = i.indexrelid
 where c.relnamespace = ? and c.relkind = 'r'
   and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u', 'x'))
 order by ic.oid`;

const VIEWS_SQL = `
select c.relname as table_name, c.relname as name, pg_get_viewdef(c.oid) as definition
  from pg_class c where c.relnamespace = ? and c.relkind = 'v' order by c.oid`;

const TRIGGERS_SQL = `
select c.relname as table_name, tg.tgname as name, pg_get_triggerdef(tg.oid, true) as definition
  from pg_trigger tg join pg_class c on c.oid = tg.tgrelid
 where c.relnamespace = ? and not tg.tgisinternal order by tg.oid`;
