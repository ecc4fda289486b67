import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

// The SQL check is internal to the library: measured from its compiled module, in process.
const compiled = (file) => fileURLToPath(new URL(`../../libs/tenancy/dist/isolation/${file}`, import.meta.url));

/** A statement as MikroORM writes it for a tenant's list read. */
const TYPICAL = 'select "p0".* from "acme"."project" as "p0" where "p0"."name" like $1 order by "p0"."created_at" desc limit $2';

/** A statement of about `bytes` characters: a long FROM list of the tenant's own tables. */
function longStatement(bytes) {
  const items = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const item = `"acme"."project" as "p${i}"`;
    items.push(item);
    length += item.length + 2;
  }
  return `select 1 from ${items.join(', ')}`;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * Cost of the fail-closed SQL check: a cached reading (the same statement shape again, the
 * request path's case), an uncached reading of a typical statement, and a 64 KB statement.
 */
export async function measureSqlCheck({ cachedCalls, uncachedStatements, log }) {
  const { loadSqlParser } = await import(compiled('sql-statement.reader.js'));
  const { TenantSqlGuard } = await import(compiled('tenant-sql.guard.js'));
  await loadSqlParser();
  const guard = (cacheSize) =>
    new TenantSqlGuard({
      tenantTables: new Map([
        ['project', 'Project'],
        ['task', 'Task'],
      ]),
      sharedSchemas: ['public'],
      boundSchema: () => 'acme',
      cacheSize,
    });

  const cached = guard(5000);
  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let i = 0; i < cachedCalls; i++) {
      // a fresh string each time, as MikroORM builds one per query
      cached.check(`${TYPICAL} `.trimEnd());
    }
    rounds.push(((performance.now() - started) * 1000) / cachedCalls);
  }
  log(`sql check: cached ${median(rounds).toFixed(2)} µs per statement`);

  const uncached = guard(1);
  const parse = [];
  for (let i = 0; i < uncachedStatements; i++) {
    const sql = TYPICAL.replace('"p0"', `"p${i}"`);
    const started = performance.now();
    uncached.check(sql);
    parse.push((performance.now() - started) * 1000);
  }
  log(`sql check: uncached ${median(parse).toFixed(0)} µs per typical statement`);

  const long = longStatement(64 * 1024);
  const big = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    guard(1).check(`${long} `);
    big.push(performance.now() - started);
  }
  log(`sql check: ${Math.round(long.length / 1024)} KB statement ${median(big).toFixed(1)} ms`);

  // 10,000 CTEs and 10,000 FROM items (~250 KB): CTE scopes must stay linear
  const n = 10_000;
  const ctes = `with recursive ${Array.from({ length: n }, (_, i) => `c${i} as (select 1)`).join(', ')} select 1 from ${Array.from({ length: n }, (_, i) => `z${i}`).join(', ')}`;
  const started = performance.now();
  guard(1).check(ctes);
  const cteMs = performance.now() - started;
  log(`sql check: ${Math.round(ctes.length / 1024)} KB statement of ${n} CTEs ${cteMs.toFixed(0)} ms`);
  return {
    cachedMicros: Number(median(rounds).toFixed(2)),
    uncachedMicros: Math.round(median(parse)),
    longStatement: { kilobytes: Math.round(long.length / 1024), ms: Number(median(big).toFixed(1)) },
    manyCtes: { kilobytes: Math.round(ctes.length / 1024), ctes: n, ms: Math.round(cteMs) },
  };
}
