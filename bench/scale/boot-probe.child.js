import 'reflect-metadata';
import { performance, monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';
import { loadDist } from '../support/dist.js';
import { median } from '../support/statistics.js';

/**
 * Child process of the scale benchmark (run with --expose-gc): boots the example app the way
 * `createExampleApp` does (Nest init, which loads the known-hosts filter, then the no-op
 * migrations of every tenant), then reloads the filter `refreshes` times (the library does so every
 * `knownHosts.refreshInterval`, 10 s by default) watching the event loop, and weighs the registry:
 * the filter's bit array and the host cache after one request to each of `cachePass` hosts (none
 * when 0). The tenants' migration states are read once more, alone.
 * Reports over IPC; never times an assertion.
 */
const { databaseUrl, poolSize, refreshes, cachePass, url } = JSON.parse(process.argv[2]);
const mb = (bytes) => Number((bytes / 1024 / 1024).toFixed(2));
const settle = () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
  }
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  return { rssMb: mb(rss), heapUsedMb: mb(heapUsed), arrayBuffersMb: mb(arrayBuffers) };
};
const ms = (value) => Number(value.toFixed(1));

const importStarted = performance.now();
const dist = await loadDist();
const importMs = performance.now() - importStarted;

const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const [{ domains, tenants }] = (
  await client.query(
    `select (select count(*)::int from "public"."domain") as domains, (select count(*)::int from "public"."tenant" where status <> 'deleted') as tenants`,
  )
).rows;
const primaryHosts =
  cachePass > 0
    ? (await client.query(`select host from "public"."domain" where is_primary order by host limit $1`, [cachePass])).rows.map(
        (row) => row.host,
      )
    : [];
await client.end();

const bootStarted = performance.now();
const app = await dist.createExampleApp({
  databaseUrl,
  poolSize,
  seed: false,
  logger: ['error', 'warn'],
  tenancy: { directDatabaseUrl: databaseUrl },
});
const bootMs = performance.now() - bootStarted;
const tenancy = app.get(dist.tenancy.TenancyService);
const registry = tenancy.registry;
const migrator = app.get(dist.tenancy.SchemaMigrator);

// the two parts of the boot that grow with the registry, measured again on the booted app
// the refresh every knownHosts.refreshInterval: wall time, this process's CPU time, the longest
// event-loop stall (wall clock: on a loaded machine it includes time the OS ran something else),
// and the synchronous filter build alone on the same entries
const filterLoads = [];
const filterCpu = [];
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
const blocked = [];
for (let i = 0; i < refreshes; i++) {
  loopDelay.reset();
  loopDelay.enable();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await registry.refreshKnownHosts();
  filterLoads.push(performance.now() - started);
  const used = process.cpuUsage(cpu);
  filterCpu.push((used.user + used.system) / 1000);
  loopDelay.disable();
  blocked.push(loopDelay.max / 1e6);
}
const entries = [];
{
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const rows = await client.query(
    `select host from "public"."domain" union all select 'schema:' || schema from "public"."tenant"`,
  );
  entries.push(...rows.rows.map((row) => row.host));
  await client.end();
}
const Filter = registry.filter.constructor;
const builds = [];
for (let i = 0; i < refreshes; i++) {
  const started = performance.now();
  Filter.of(entries, entries.length);
  builds.push(performance.now() - started);
}
const schemas = await registry.tenantSchemas();
const stateReads = [];
{
  const started = performance.now();
  await migrator.states('tenant', schemas);
  stateReads.push(performance.now() - started);
}

// the registry's memory: the filter's bits (an ArrayBuffer, outside the JS heap), then the cache
const filterBytes = registry.filter?.bits?.byteLength ?? 0;
const booted = settle();
const fastify = app.getHttpAdapter().getInstance();
let failed = 0;
let next = 0;
const worker = async () => {
  while (next < primaryHosts.length) {
    const response = await fastify.inject({ method: 'GET', url, headers: { host: primaryHosts[next++] } });
    failed += response.statusCode === 200 ? 0 : 1;
  }
};
await Promise.all(Array.from({ length: 8 }, worker));
const cached = settle();
process.send({
  tenants,
  domains,
  importMs: ms(importMs),
  bootMs: ms(bootMs),
  filterLoadMs: { median: ms(median(filterLoads)), runs: filterLoads.map(ms) },
  filterBlockedMs: { median: ms(median(blocked)), max: ms(Math.max(...blocked)) },
  filterCpuMs: { median: ms(median(filterCpu)), runs: filterCpu.map(ms) },
  filterBuildMs: { median: ms(median(builds)), entries: entries.length },
  tenantStatesMs: { median: ms(median(stateReads)), runs: stateReads.map(ms) },
  filterBytes,
  heap: { booted, cached, cachedHosts: primaryHosts.length, cacheMb: Number((cached.heapUsedMb - booted.heapUsedMb).toFixed(2)) },
  failedRequests: failed,
});
await app.close();
