import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { spread } from '../support/statistics.js';

/**
 * PostgreSQL alone, without Node frameworks: the SQL the route sends (as MikroORM formats it), in
 * batches of concurrent queries over two pools of `poolSize` connections, one rotating over the
 * tenant schemas and one reading the baseline schema, alternating batch by batch. Shows what a
 * different schema per query costs the database itself, which no tenancy layer can remove.
 */
export async function measureSqlRotation({
  databaseUrl,
  poolSize,
  schemas,
  baselineSchema,
  rows,
  warmup,
  rounds,
  requestsPerRound,
  batch,
  log,
}) {
  const sql = (schema) =>
    `select "p0".* from "${schema}"."project" as "p0" order by "p0"."created_at" desc, "p0"."id" desc limit ${rows}`;
  const variants = {
    rotating: { pool: new pg.Pool({ connectionString: databaseUrl, max: poolSize }), schema: (i) => schemas[i % schemas.length] },
    fixed: { pool: new pg.Pool({ connectionString: databaseUrl, max: poolSize }), schema: () => baselineSchema },
  };
  let next = 0;
  const runBatch = async ({ pool, schema }) => {
    const started = performance.now();
    await Promise.all(Array.from({ length: batch }, () => pool.query(sql(schema(next++)))));
    return performance.now() - started;
  };
  try {
    for (let done = 0; done < warmup; done += batch) {
      await runBatch(variants.rotating);
      await runBatch(variants.fixed);
    }
    const results = [];
    for (let round = 0; round < rounds; round++) {
      const time = { rotating: 0, fixed: 0 };
      for (let done = 0, step = round; done < requestsPerRound; done += batch, step++) {
        for (const name of step % 2 === 0 ? ['rotating', 'fixed'] : ['fixed', 'rotating']) {
          time[name] += await runBatch(variants[name]);
        }
      }
      const n = Math.ceil(requestsPerRound / batch) * batch;
      results.push({
        rotatingUs: Number(((time.rotating / n) * 1000).toFixed(1)),
        fixedUs: Number(((time.fixed / n) * 1000).toFixed(1)),
        ratio: Number((time.fixed / time.rotating).toFixed(4)),
      });
    }
    const result = {
      schemas: schemas.length,
      rounds: results,
      rotatingUs: spread(
        results.map((r) => r.rotatingUs),
        1,
      ),
      fixedUs: spread(
        results.map((r) => r.fixedUs),
        1,
      ),
      ratio: spread(results.map((r) => r.ratio)),
    };
    log(
      `  SQL only: ${result.rotatingUs.median} µs/query rotating over ${schemas.length} schemas, ${result.fixedUs.median} µs/query on one schema, ratio ${result.ratio.median}`,
    );
    return result;
  } finally {
    await Promise.all(Object.values(variants).map((variant) => variant.pool.end()));
  }
}
