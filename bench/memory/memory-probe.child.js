import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { loadDist } from '../support/dist.js';

/**
 * Child process of the memory benchmark (run with --expose-gc): boots the example app, requests
 * every registered host round robin (`requests` in all, at least one per host; the route the
 * overhead benchmark uses), and reports RSS and heap after a full GC, before and after that pass
 * and after a second one, over IPC.
 */
const { databaseUrl, poolSize, cacheMax, concurrency, url, requests } = JSON.parse(process.argv[2]);
const settle = () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
  }
  const { rss, heapTotal, heapUsed, external } = process.memoryUsage();
  return { rssMb: mb(rss), heapTotalMb: mb(heapTotal), heapUsedMb: mb(heapUsed), externalMb: mb(external) };
};
const mb = (bytes) => Number((bytes / 1024 / 1024).toFixed(1));

const dist = await loadDist();
const app = await dist.createExampleApp({
  databaseUrl,
  poolSize,
  seed: false,
  logger: ['error', 'warn'],
  tenancy: { directDatabaseUrl: databaseUrl, ...(cacheMax ? { cache: { max: cacheMax } } : {}) },
});
const client = new pg.Client({ connectionString: databaseUrl });
await client.connect();
const hosts = (await client.query('select host from "public"."domain" order by host')).rows.map((row) => row.host);
await client.end();

const fastify = app.getHttpAdapter().getInstance();
const total = Math.max(hosts.length, requests);
const pass = async () => {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < total) {
      const response = await fastify.inject({ method: 'GET', url, headers: { host: hosts[next++ % hosts.length] } });
      failed += response.statusCode === 200 ? 0 : 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed > 0) {
    throw new Error(`${failed} of ${total} requests did not answer 200`);
  }
};

const booted = settle();
const started = performance.now();
await pass();
const seconds = (performance.now() - started) / 1000;
const loaded = settle();
await pass();
const twice = settle();
process.send({
  tenants: hosts.length,
  requests: total,
  cacheMax: cacheMax ?? null,
  booted,
  loaded,
  twice,
  passSeconds: Number(seconds.toFixed(1)),
});
await app.close();
