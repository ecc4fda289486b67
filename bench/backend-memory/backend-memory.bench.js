import { readFileSync } from 'node:fs';
import { MikroORM } from '@mikro-orm/core';
import { setImmediate as turn } from 'node:timers/promises';
import { compareInject } from '../rowlevel/inject-compare.js';
import { requestMaker } from '../rowlevel/operations.js';
import { createComparisonApp, growRowLevel, rowLevelIds } from '../rowlevel/rowlevel.app.js';

/** The memory of the backend serving `pool` (a pool of one connection): contexts and RSS. */
async function probe(pool) {
  const { rows } = await pool.query(
    `select pg_backend_pid() as pid,
            sum(total_bytes)::bigint as total,
            sum(total_bytes) filter (where name = 'CacheMemoryContext')::bigint as cache,
            sum(total_bytes) filter (where name = 'CacheMemoryContext' or parent = 'CacheMemoryContext')::bigint as cache_tree,
            count(*) filter (where parent = 'CacheMemoryContext')::int as cache_children
       from pg_backend_memory_contexts`,
  );
  const [row] = rows;
  const mb = (bytes) => Number((Number(bytes) / 1024 ** 2).toFixed(1));
  return {
    pid: row.pid,
    contextsMb: mb(row.total),
    cacheMemoryContextMb: mb(row.cache),
    cacheTreeMb: mb(row.cache_tree),
    cacheChildContexts: row.cache_children,
    ...processMemory(row.pid),
  };
}

/** VmRSS, RssAnon (private) and RssShmem (shared buffers touched) of a local backend, when readable. */
function processMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    if (!/^Name:\s*postgres/m.test(status)) {
      return { rss: 'not a local postgres process' };
    }
    const kb = (key) => Number(new RegExp(`^${key}:\\s*(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    const mb = (value) => Number((value / 1024).toFixed(1));
    return { vmRssMb: mb(kb('VmRSS')), rssAnonMb: mb(kb('RssAnon')), rssShmemMb: mb(kb('RssShmem')) };
  } catch (error) {
    return { rss: `unreadable: ${error.code ?? error.message}` };
  }
}

const nativePool = (app) => app.get(MikroORM).em.getDriver().getConnection().getNativeClient();

/**
 * One app with a pool of ONE connection serves `GET /projects/<k>/tasks` (reads both tenant tables
 * and their indexes) for tenants 0..N-1 in order; after each of `steps` tenants, the backend's memory
 * is read on that same connection. Pool options (`driverOptions`, e.g. `{ maxUses }`) as given.
 */
async function servedBy({ app, request, steps, probeEvery, batch = 8 }) {
  const pool = await nativePool(app);
  const fastify = app.getHttpAdapter().getInstance();
  const start = await probe(pool);
  const pids = new Set([start.pid]);
  const points = [{ tenants: 0, ...start }];
  let peak = start;
  let served = 0;
  for (const step of steps) {
    while (served < step) {
      if (probeEvery && served > 0 && served % probeEvery === 0) {
        const sample = await probe(pool);
        pids.add(sample.pid);
        peak = sample.contextsMb > peak.contextsMb ? sample : peak;
      }
      const pending = [];
      for (let i = 0; i < batch && served < step && !(probeEvery && i > 0 && served % probeEvery === 0); i++, served++) {
        const { method, url, host } = request(served);
        pending.push(fastify.inject({ method, url, headers: { host } }));
      }
      const responses = await Promise.all(pending);
      await turn();
      const failed = responses.find((response) => response.statusCode !== 200);
      if (failed) {
        throw new Error(`answered ${failed.statusCode}: ${failed.body.slice(0, 200)}`);
      }
    }
    const point = await probe(pool);
    pids.add(point.pid);
    peak = point.contextsMb > peak.contextsMb ? point : peak;
    points.push({ tenants: step, ...point });
  }
  return { points, backends: pids.size, ...(probeEvery ? { peak, probeEvery } : {}) };
}

/**
 * Issue 11, point 2: PostgreSQL backend memory after one pool connection has served 100, 1,000,
 * 10,000 tenants, for the tenant app (unbounded, then with `pg` Pool's `maxUses` through MikroORM's
 * `driverOptions`) and the row-level app (reference); then the bound's throughput cost: the tenant
 * app with and without the bound, in process, alternating (the unbounded app's connections warmed
 * over every tenant first, as a long-running app's would be).
 */
export async function measureBackendMemory({ db, dist, fixtures, steps, rows, maxUses, poolSize, cost, log }) {
  const tenants = fixtures.schemas().map((schema, index) => ({ schema, host: fixtures.host(index) }));
  await growRowLevel(db, rows);
  const ids = await rowLevelIds(db, rows);
  const tasksOf = (kind) => (i) => {
    const tenant = tenants[i % tenants.length];
    const id = kind === 'rowlevel' ? ids.get(tenant.schema)[0] : 1;
    return { method: 'GET', url: `/projects/${id}/tasks?limit=${rows}`, host: tenant.host };
  };
  const exampleApp = (options) =>
    dist.createExampleApp({
      databaseUrl: db.url,
      seed: false,
      logger: ['error', 'warn'],
      tenancy: { directDatabaseUrl: db.url },
      ...options,
    });
  const result = { steps, maxUses, lines: {} };
  const lines = {
    tenancy: () => exampleApp({ poolSize: 1 }),
    tenancyBounded: () => exampleApp({ poolSize: 1, driverOptions: { maxUses } }),
    rowlevel: () => createComparisonApp({ kind: 'rowlevel', dist, databaseUrl: db.url, poolSize: 1 }),
  };
  for (const [name, create] of Object.entries(lines)) {
    const app = await create();
    try {
      // the bounded line is also read every maxUses / 8 requests, for its peak
      const probeEvery = name === 'tenancyBounded' ? Math.max(8, Math.floor(maxUses / 8)) : undefined;
      const line = await servedBy({ app, request: tasksOf(name === 'rowlevel' ? 'rowlevel' : 'schema'), steps, probeEvery });
      result.lines[name] = line;
      log(
        `  ${name}: ` +
          line.points
            .map(
              (p) => `${p.tenants} tenants ${p.contextsMb} MB contexts (cache ${p.cacheTreeMb} MB), RSS ${p.vmRssMb ?? p.rss} MB`,
            )
            .join('; ') +
          ` (${line.backends} backend${line.backends === 1 ? '' : 's'} seen` +
          (line.peak ? `; peak ${line.peak.contextsMb} MB contexts, RSS anon ${line.peak.rssAnonMb} MB)` : ')'),
      );
    } finally {
      await app.close();
    }
  }
  if (cost) {
    result.cost = await measureBoundCost({ exampleApp, tenants, rows, maxUses, poolSize, cost, log });
  }
  return result;
}

/** Touches every tenant's tables on every connection of the app's pool (what a long run does). */
async function warmEveryConnection(app, schemas, poolSize) {
  const pool = await nativePool(app);
  const clients = await Promise.all(Array.from({ length: poolSize }, () => pool.connect()));
  try {
    // one multi-statement query runs as one transaction, holding a lock on every table and index
    // it read until it ends: 40 schemas per query keep 10 connections far below the server's lock
    // table (max_locks_per_transaction × max_connections; 500 ran out of shared memory)
    const chunks = [];
    for (let i = 0; i < schemas.length; i += 40) {
      chunks.push(
        schemas
          .slice(i, i + 40)
          .map((s) => `select 1 from "${s}"."project" where "id" = 1; select 1 from "${s}"."task" where "project_id" = 1`)
          .join(';\n'),
      );
    }
    await Promise.all(
      clients.map(async (client) => {
        for (const sql of chunks) {
          await client.query(sql);
        }
      }),
    );
  } finally {
    clients.forEach((client) => client.release());
  }
}

/**
 * The bound's throughput cost: list reads rotating over every tenant, the tenant app unbounded (its
 * connections warmed over every tenant first) vs the same app with `maxUses`; an A/A control is the
 * unbounded app taking a second turn.
 */
async function measureBoundCost({ exampleApp, tenants, rows, maxUses, poolSize, cost, log }) {
  const unbounded = await exampleApp({ poolSize });
  const bounded = await exampleApp({ poolSize, driverOptions: { maxUses } });
  try {
    log(`  warming the unbounded app's ${poolSize} connections over ${tenants.length} tenants`);
    await warmEveryConnection(
      unbounded,
      tenants.map((t) => t.schema),
      poolSize,
    );
    const request = requestMaker({ operation: 'list', kind: 'schema', tenants, rows });
    log(`  bound's cost: list reads over ${tenants.length} tenants, unbounded vs maxUses ${maxUses}`);
    const measured = await compareInject({
      variants: {
        unbounded: { app: unbounded, request },
        bounded: { app: bounded, request },
        control: { app: unbounded, request },
      },
      reference: 'unbounded',
      ...cost,
      log,
    });
    return measured;
  } finally {
    await Promise.all([unbounded.close(), bounded.close()]);
  }
}
