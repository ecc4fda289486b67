import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { TenantIsolationError } from '../tenancy.errors.js';
import { loadSqlParser } from './sql-statement.reader.js';
import { TenantSqlGuard } from './tenant-sql.guard.js';

beforeAll(() => loadSqlParser());

const guard = new TenantSqlGuard({
  tenantTables: new Map([
    ['project', 'Project'],
    ['task', 'Task'],
  ]),
  sharedSchemas: ['public'],
  boundSchema: () => 'acme',
});

/** A name as SQL may spell it: bare, quoted, or in capitals (folded to lower case). */
const spelled = (name: string) => fc.constantFrom(name, `"${name}"`, name.toUpperCase());
const qualified = (schema: string, table: string) =>
  fc.tuple(spelled(schema), spelled(table), fc.constantFrom('.', ' . ', '/* c */.')).map(([s, t, dot]) => `${s}${dot}${t}`);
const gap = fc.constantFrom(' ', '  ', ' /* x */ ', ' --c\n ', '\n', '\t', ' --c\r ');

/** FROM items a tenant may use. */
const ownItem = fc.oneof(
  qualified('acme', 'project'),
  qualified('acme', 'task'),
  qualified('public', 'tenant'),
  qualified('pg_catalog', 'pg_class'),
  fc.constant('(select 1 as x)'),
  fc.constant('generate_series(1, 2)'),
  fc.constant('(values (1))'),
  qualified('acme', 'task').map((t) => `lateral (select * from ${t})`),
);
/** The other tenant's table, as an item of its own or hidden in a subquery. */
const otherItem = fc.oneof(
  qualified('globex', 'project'),
  qualified('globex', 'task'),
  qualified('globex', 'project').map((t) => `(select * from ${t})`),
  qualified('globex', 'task').map((t) => `lateral (select * from ${t})`),
  qualified('globex', 'project').map((t) => `(select * from ${qualifiedOwn} where exists (select 1 from ${t}))`),
);
const qualifiedOwn = '"acme"."project"';
const joiner = fc.constantFrom(', ', ' join ', ' left join ', ' cross join ', ' full join ');

function statement(items: string[], joiners: string[], gaps: string[]): string {
  let from = `${items[0]} as a0`;
  items.slice(1).forEach((item, i) => {
    const join = joiners[i % joiners.length];
    const on = join.includes('join') && join !== ' cross join ' ? ' on true' : '';
    from += `${gaps[i % gaps.length]}${join}${item} as a${i + 1}${on}`;
  });
  return `select 1${gaps[0]}from${gaps[gaps.length - 1]}${from}`;
}

describe('TenantSqlGuard (property)', () => {
  it('passes any FROM list of the tenant own, shared and system relations', () => {
    fc.assert(
      fc.property(
        fc.array(ownItem, { minLength: 1, maxLength: 6 }),
        fc.array(joiner, { minLength: 1, maxLength: 5 }),
        fc.array(gap, { minLength: 1, maxLength: 5 }),
        (items, joiners, gaps) => {
          const sql = statement(items, joiners, gaps);
          expect(() => guard.check(sql), sql).not.toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses any such FROM list once another tenant relation is anywhere in it', () => {
    fc.assert(
      fc.property(
        fc.array(ownItem, { minLength: 0, maxLength: 5 }),
        otherItem,
        fc.nat(),
        fc.array(joiner, { minLength: 1, maxLength: 5 }),
        fc.array(gap, { minLength: 1, maxLength: 5 }),
        (items, other, at, joiners, gaps) => {
          const all = [...items];
          all.splice(at % (items.length + 1), 0, other);
          const sql = statement(all, joiners, gaps);
          expect(() => guard.check(sql), sql).toThrow(TenantIsolationError);
        },
      ),
      { numRuns: 300 },
    );
  });
});
