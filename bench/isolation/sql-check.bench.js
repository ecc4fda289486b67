import { MikroORM } from '@mikro-orm/core';
import { performance } from 'node:perf_hooks';

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
 * Cost of the fail-closed SQL check, through the hook the library installs in the app's MikroORM
 * (`onQuery`, which runs the check, then the app's own hook) with tenant `acme` bound: a cached
 * reading (the same statement again, the request path's case), a first reading of a typical
 * statement, a 64 KB statement, and a statement of 10,000 CTEs. No SQL is sent.
 */
export async function measureSqlCheck({ app, tenancy, cachedCalls, uncachedStatements, log }) {
  const onQuery = app.get(MikroORM).config.get('onQuery');
  return tenancy.run('acme', () => measure(onQuery, { cachedCalls, uncachedStatements, log }));
}

async function measure(onQuery, { cachedCalls, uncachedStatements, log }) {
  const check = (sql) => onQuery(sql, []);

  const rounds = [];
  for (let round = 0; round < 5; round++) {
    const started = performance.now();
    for (let i = 0; i < cachedCalls; i++) {
      // a fresh string each time, as MikroORM builds one per query
      check(`${TYPICAL} `.trimEnd());
    }
    rounds.push(((performance.now() - started) * 1000) / cachedCalls);
  }
  log(`sql check: cached ${median(rounds).toFixed(2)} µs per statement`);

  const parse = [];
  for (let i = 0; i < uncachedStatements; i++) {
    // a statement not read before: another alias each time
    const sql = TYPICAL.replace('"p0"', `"u${i}_${Date.now()}"`);
    const started = performance.now();
    check(sql);
    parse.push((performance.now() - started) * 1000);
  }
  log(`sql check: uncached ${median(parse).toFixed(0)} µs per typical statement`);

  const long = longStatement(64 * 1024);
  const big = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    check(`${long}${' '.repeat(i + 1)}`);
    big.push(performance.now() - started);
  }
  log(`sql check: ${Math.round(long.length / 1024)} KB statement ${median(big).toFixed(1)} ms`);

  // 10,000 CTEs and 10,000 FROM items (~250 KB): CTE scopes must stay linear
  const n = 10_000;
  const ctes = `with recursive ${Array.from({ length: n }, (_, i) => `c${i} as (select 1)`).join(', ')} select 1 from ${Array.from({ length: n }, (_, i) => `z${i}`).join(', ')}`;
  const started = performance.now();
  check(ctes);
  const cteMs = performance.now() - started;
  log(`sql check: ${Math.round(ctes.length / 1024)} KB statement of ${n} CTEs ${cteMs.toFixed(0)} ms`);
  return {
    cachedMicros: Number(median(rounds).toFixed(2)),
    uncachedMicros: Math.round(median(parse)),
    longStatement: { kilobytes: Math.round(long.length / 1024), ms: Number(median(big).toFixed(1)) },
    manyCtes: { kilobytes: Math.round(ctes.length / 1024), ctes: n, ms: Math.round(cteMs) },
  };
}
