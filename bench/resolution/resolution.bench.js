import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { QueryCounter } from '../support/query-counter.js';
import { spread } from '../support/statistics.js';

/**
 * Host resolution at scale, in process: `hosts` distinct tenant hosts requested round robin
 * against an app whose host cache is smaller than that (every lookup misses, so every request
 * reads the registry), alternating round by round with an app whose cache holds every host (after
 * a first pass, no lookup reads the database). Then a flood of never-registered hosts against the
 * small-cache app: the known-hosts filter should answer them with no query.
 */
export async function measureResolution({
  smallCacheApp,
  fullCacheApp,
  hosts,
  requestsPerRound,
  rounds,
  concurrency,
  floodRequests,
  url,
  log,
}) {
  const drive = async (app, count, hostAt, expected) => {
    const fastify = app.getHttpAdapter().getInstance();
    const counter = new QueryCounter(app);
    let next = 0;
    let unexpected = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < count) {
        const host = hostAt(next++);
        const response = await fastify.inject({ method: 'GET', url, headers: { host } });
        if (response.statusCode !== expected) {
          unexpected++;
        }
        if (next % 16 === 0) {
          // a 404 from the known-hosts filter does no I/O: let the event loop turn now and then
          await turn();
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;
    counter.restore();
    if (unexpected > 0) {
      throw new Error(`${unexpected} of ${count} answers were not ${expected}`);
    }
    return { rps: Math.round(count / seconds), queriesPerRequest: Number((counter.count / count).toFixed(3)) };
  };

  let cursor = 0;
  const roundRobin = (i) => hosts[(cursor + i) % hosts.length];
  log(`  first pass over ${hosts.length} hosts (fills the full cache, warms both apps)`);
  await drive(fullCacheApp, hosts.length, roundRobin, 200);
  await drive(smallCacheApp, Math.min(hosts.length, 2000), roundRobin, 200);

  const results = [];
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['small', 'full'] : ['full', 'small'];
    const row = {};
    for (const name of order) {
      row[name] = await drive(name === 'small' ? smallCacheApp : fullCacheApp, requestsPerRound, roundRobin, 200);
      cursor += requestsPerRound;
    }
    row.ratio = Number((row.small.rps / row.full.rps).toFixed(3));
    results.push(row);
    log(
      `  round ${round + 1}/${rounds}: small cache ${row.small.rps} req/s, ${row.small.queriesPerRequest} queries/req; ` +
        `full cache ${row.full.rps} req/s, ${row.full.queriesPerRequest} queries/req; ratio ${row.ratio}`,
    );
  }

  const flood = (i) => `u${i.toString(36)}-${process.pid}.flood.localhost`;
  await drive(smallCacheApp, Math.min(1000, floodRequests), (i) => flood(i + 10_000_000), 404);
  const unknown = await drive(smallCacheApp, floodRequests, flood, 404);
  log(`  unknown-host flood: ${floodRequests} distinct hosts, ${unknown.rps} req/s, ${unknown.queriesPerRequest} queries/req`);

  return {
    hosts: hosts.length,
    concurrency,
    requestsPerRound,
    rounds: results,
    smallCache: {
      rps: spread(
        results.map((r) => r.small.rps),
        0,
      ),
      queriesPerRequest: spread(results.map((r) => r.small.queriesPerRequest)),
    },
    fullCache: {
      rps: spread(
        results.map((r) => r.full.rps),
        0,
      ),
      queriesPerRequest: spread(results.map((r) => r.full.queriesPerRequest)),
    },
    ratio: spread(results.map((r) => r.ratio)),
    unknownFlood: { requests: floodRequests, ...unknown },
  };
}
