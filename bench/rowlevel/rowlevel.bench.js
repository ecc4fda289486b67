import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { QueryCounter } from '../support/query-counter.js';
import { spread } from '../support/statistics.js';
import { compareHttp, startComparisonServers } from './http-compare.js';
import { compareInject } from './inject-compare.js';
import { OPERATIONS, requestMaker } from './operations.js';
import { ROWLEVEL_SCHEMA, createComparisonApp, growRowLevel, rowLevelIds } from './rowlevel.app.js';

/**
 * Issue 11, point 1: the tenant app (the example app, schema per tenant through the library)
 * against a row-level app (shared tables, `tenant_id`, a MikroORM filter) on the same rows of the
 * same tenants, and against hand-rolled schema rotation without the library (the example's own
 * controller and service, plain `RequestContext.create(em, next, { schema })`): the library's own
 * share. For each tenant count in `counts` (the first N fixture tenants' hosts rotating) and each
 * operation (list of `rows`, one row by id, create), in process (inject, alternating batches, a
 * second row-level app as the A/A control) and, when `http` is given, over HTTP (autocannon).
 * Ratios are throughput of each app / the row-level app's, per round.
 */
export async function measureRowLevel({ db, dist, tenancyApp, fixtures, counts, rows, poolSize, inject, http, sqlProbe, log }) {
  const seeded = await growRowLevel(db, rows);
  log(`  row-level tables: ${seeded} tenants seeded now (${rows} projects each), analyzed`);
  const ids = await rowLevelIds(db, rows);
  const common = { dist, databaseUrl: db.url, poolSize };
  const apps = {
    rowlevel: await createComparisonApp({ ...common, kind: 'rowlevel' }),
    control: await createComparisonApp({ ...common, kind: 'rowlevel' }),
    handrolled: await createComparisonApp({ ...common, kind: 'handrolled' }),
  };
  const result = {};
  try {
    let first = true;
    for (const count of counts) {
      const tenants = fixtures.schemas(count).map((schema, index) => ({ schema, host: fixtures.host(index) }));
      const atCount = { tenants: count, inject: {} };
      // every host once through the tenant app first, as a running app has its active hosts in
      // the host cache (the row-level and hand-rolled apps load every host into a map at boot):
      // a warm-up shorter than the host count would otherwise measure first lookups
      atCount.cacheWarmSeconds = await visitEveryHost(tenancyApp, tenants);
      for (const operation of OPERATIONS) {
        const make = (kind) => requestMaker({ operation, kind, tenants, rows, ids });
        const variants = {
          tenancy: { app: tenancyApp, request: make('schema') },
          rowlevel: { app: apps.rowlevel, request: make('rowlevel') },
          control: { app: apps.control, request: make('rowlevel') },
          handrolled: { app: apps.handrolled, request: make('schema') },
        };
        log(`  in process, ${count} tenants, ${operation}`);
        // statements per request of the tenant app and the hand-rolled one: a host-cache miss adds a registry query
        const counters = { tenancy: new QueryCounter(tenancyApp), handrolled: new QueryCounter(apps.handrolled) };
        let measured;
        try {
          measured = await compareInject({
            variants,
            reference: 'rowlevel',
            ...inject,
            warmup: first ? inject.warmup : inject.warmupNext,
            log,
          });
        } finally {
          Object.values(counters).forEach((counter) => counter.restore());
        }
        const perRequest = (name) => Number((counters[name].count / measured.served[name]).toFixed(2));
        measured.queriesPerRequest = { tenancy: perRequest('tenancy'), handrolled: perRequest('handrolled') };
        log(
          `  statements per request: tenant app ${measured.queriesPerRequest.tenancy}, hand-rolled ${measured.queriesPerRequest.handrolled}`,
        );
        atCount.inject[operation] = withLibraryShare(measured, 'us');
      }
      first = false;
      result[count] = atCount;
    }
  } finally {
    await Promise.all(Object.values(apps).map((app) => app.close()));
  }
  if (sqlProbe) {
    const tenantIds = new Map((await db.rows('select "schema", "id" from "public"."tenant"')).map((row) => [row.schema, row.id]));
    const probed = await probeSql({ db, schemas: fixtures.schemas(), tenantIds, rows, probe: sqlProbe });
    (result[fixtures.count] ??= { tenants: fixtures.count }).sql = probed;
    const { us, explain } = probed;
    log(
      `  SQL only, one connection, ${fixtures.count} schemas: first touch ${us.coldFirstTouch.median} µs, again ${us.warmSameSchemaAgain.median} µs, ` +
        `warm rotating ${us.warmRotating.median} µs, one schema ${us.oneSchemaRepeated.median} µs, row-level ${us.rowLevel.median} µs; ` +
        `planning cold ${explain.cold.planningMs.median} ms (${explain.cold.planningBuffers.median} buffers), warm ${explain.warm.planningMs.median} ms, row-level ${explain.rowlevel.planningMs.median} ms`,
    );
  }
  if (http) {
    const servers = await startComparisonServers({ databaseUrl: db.url, poolSize });
    try {
      let warm = true;
      for (const count of counts) {
        const tenants = fixtures.schemas(count).map((schema, index) => ({ schema, host: fixtures.host(index) }));
        result[count].http = {};
        for (const operation of OPERATIONS) {
          const make = (kind) => requestMaker({ operation, kind, tenants, rows, ids });
          const { ports } = servers;
          log(`  over HTTP, ${count} tenants, ${operation}`);
          const measured = await compareHttp({
            variants: {
              tenancy: { port: ports.tenancy, request: make('schema') },
              rowlevel: { port: ports.rowlevel, request: make('rowlevel') },
              control: { port: ports.control, request: make('rowlevel') },
              handrolled: { port: ports.handrolled, request: make('schema') },
            },
            reference: 'rowlevel',
            ...http,
            warmupSeconds: warm ? http.warmupSeconds : 0,
            log,
          });
          warm = false;
          result[count].http[operation] = withLibraryShare(measured, 'rps');
        }
      }
    } finally {
      await servers.stop();
    }
  }
  return result;
}

/** Adds tenant app / hand-rolled (the library's own share) per round, from µs per request or req/s. */
function withLibraryShare(measured, field) {
  const shares = measured.rounds.map((row) =>
    field === 'us' ? row.us.handrolled / row.us.tenancy : row.rps.tenancy / row.rps.handrolled,
  );
  return { ...measured, libraryShare: spread(shares) };
}

/**
 * Where the time goes, SQL only, on ONE fresh connection: the list query of `probe.schemas` tenants
 * (spread over all of them), each first on a backend that never touched that schema (cold: relcache
 * and catalog caches loaded), then again (warm), against the same query on one schema repeated and
 * the row-level query (`tenant_id = $1`) for the same tenants, interleaved; then
 * `EXPLAIN (ANALYZE, BUFFERS)` of the cold, warm and row-level forms: planning and execution time
 * and the buffers each touches (planning's are catalog pages).
 */
export async function probeSql({ db, schemas, tenantIds, rows, probe }) {
  const step = Math.max(1, Math.floor(schemas.length / (probe.schemas * 2)));
  const picked = schemas.filter((_, index) => index % step === 0).slice(0, probe.schemas * 2);
  const timed = picked.slice(0, probe.schemas);
  const explained = picked.slice(probe.schemas, probe.schemas + 20);
  const schemaSql = (schema) =>
    `select "p0".* from "${schema}"."project" as "p0" order by "p0"."created_at" desc, "p0"."id" desc limit ${rows}`;
  const rowSql = `select "r0".* from "${ROWLEVEL_SCHEMA}"."project" as "r0" where "r0"."tenant_id" = $1 order by "r0"."created_at" desc, "r0"."id" desc limit ${rows}`;
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const time = async (sql, params) => {
      const started = performance.now();
      await client.query(sql, params);
      return (performance.now() - started) * 1000;
    };
    await time(schemaSql(schemas[0]));
    await time(rowSql, [tenantIds.get(schemas[0])]);
    const us = { cold: [], warm: [], fixed: [], rowlevel: [] };
    for (const schema of timed) {
      us.cold.push(await time(schemaSql(schema)));
      us.warm.push(await time(schemaSql(schema)));
      us.fixed.push(await time(schemaSql(schemas[0])));
      us.rowlevel.push(await time(rowSql, [tenantIds.get(schema)]));
    }
    const rotatingWarm = [];
    for (const schema of timed) {
      rotatingWarm.push(await time(schemaSql(schema)));
    }
    const explain = async (sql, params) => {
      const {
        rows: [row],
      } = await client.query(`explain (analyze, buffers, format json) ${sql}`, params);
      const [plan] = row['QUERY PLAN'];
      const buffers = (node) => (node?.['Shared Hit Blocks'] ?? 0) + (node?.['Shared Read Blocks'] ?? 0);
      return {
        planningMs: plan['Planning Time'],
        executionMs: plan['Execution Time'],
        planningBuffers: buffers(plan.Planning),
        executionBuffers: buffers(plan.Plan),
      };
    };
    const plans = { cold: [], warm: [], rowlevel: [] };
    for (const schema of explained) {
      plans.cold.push(await explain(schemaSql(schema)));
      plans.warm.push(await explain(schemaSql(schema)));
      plans.rowlevel.push(await explain(rowSql, [tenantIds.get(schema)]));
    }
    const planSummary = (list) => ({
      planningMs: spread(list.map((p) => p.planningMs)),
      executionMs: spread(list.map((p) => p.executionMs)),
      planningBuffers: spread(
        list.map((p) => p.planningBuffers),
        0,
      ),
      executionBuffers: spread(
        list.map((p) => p.executionBuffers),
        0,
      ),
    });
    return {
      schemas: schemas.length,
      probed: timed.length,
      us: {
        coldFirstTouch: spread(us.cold, 0),
        warmSameSchemaAgain: spread(us.warm, 0),
        warmRotating: spread(rotatingWarm, 0),
        oneSchemaRepeated: spread(us.fixed, 0),
        rowLevel: spread(us.rowlevel, 0),
      },
      explain: { cold: planSummary(plans.cold), warm: planSummary(plans.warm), rowlevel: planSummary(plans.rowlevel) },
    };
  } finally {
    await client.end();
  }
}

/** One GET /whoami per host, in batches of 8; returns the seconds it took. */
async function visitEveryHost(app, tenants) {
  const started = performance.now();
  const fastify = app.getHttpAdapter().getInstance();
  for (let i = 0; i < tenants.length; i += 8) {
    await Promise.all(
      tenants.slice(i, i + 8).map(({ host }) => fastify.inject({ method: 'GET', url: '/whoami', headers: { host } })),
    );
  }
  return Number(((performance.now() - started) / 1000).toFixed(1));
}
