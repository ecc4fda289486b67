import { MikroORM } from '@mikro-orm/core';
import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { spread } from '../support/statistics.js';

/**
 * Request overhead in one process: the tenant app, the baseline, a second baseline instance (the
 * A/A control: its ratio to the baseline shows how much of a difference is noise) and, optionally,
 * the tenant app again with one host only (its ratio to the rotating run is what rotating over
 * many schemas costs) are driven through Fastify's `inject()` (the whole Nest → Fastify →
 * MikroORM → PostgreSQL path, no sockets) in small concurrent batches, their order rotating batch
 * by batch so that the machine's drift hits all alike. All get the same requests, the Host header
 * rotating over `hosts` (the baselines ignore it). Returns per-round time per request and the
 * throughput ratios to the baseline.
 */
export async function measureInjectOverhead({
  tenancyApp,
  baselineApp,
  controlApp,
  oneHost = false,
  hosts,
  url,
  warmup,
  rounds,
  requestsPerRound,
  batch,
  log,
}) {
  const variants = {
    tenancy: { app: tenancyApp, hosts },
    baseline: { app: baselineApp, hosts },
    ...(controlApp ? { control: { app: controlApp, hosts } } : {}),
    ...(oneHost ? { oneHost: { app: tenancyApp, hosts: [hosts[0]] } } : {}),
  };
  const names = Object.keys(variants);
  for (const variant of Object.values(variants)) {
    variant.fastify = variant.app.getHttpAdapter().getInstance();
  }
  let next = 0;
  const runBatch = async (name) => {
    const { fastify, hosts: hostsOfVariant } = variants[name];
    const requests = [];
    const started = performance.now();
    for (let i = 0; i < batch; i++) {
      requests.push(fastify.inject({ method: 'GET', url, headers: { host: hostsOfVariant[next++ % hostsOfVariant.length] } }));
    }
    const responses = await Promise.all(requests);
    const elapsed = performance.now() - started;
    // Let the event loop turn (untimed): with a stubbed database a batch does no I/O, and the
    // setImmediate callbacks each request leaves (holding its request context) would pile up.
    await turn();
    const failed = responses.find((response) => response.statusCode !== 200);
    if (failed) {
      throw new Error(`${name} answered ${failed.statusCode}: ${failed.body.slice(0, 200)}`);
    }
    return elapsed;
  };

  const samples = await Promise.all(
    names.map((name) => variants[name].fastify.inject({ method: 'GET', url, headers: { host: hosts[0] } })),
  );
  const rows = JSON.parse(samples[0].body).length;
  if (samples.some((sample) => sample.statusCode !== 200 || sample.body !== samples[0].body)) {
    throw new Error('The apps do not serve the same rows: the comparison would be unfair.');
  }

  log(`  warm-up: ${warmup} requests each`);
  for (let done = 0; done < warmup; done += batch) {
    for (const name of names) {
      await runBatch(name);
    }
  }

  const results = [];
  for (let round = 0; round < rounds; round++) {
    const time = Object.fromEntries(names.map((name) => [name, 0]));
    for (let done = 0, step = round; done < requestsPerRound; done += batch, step++) {
      const rotated = [...names.slice(step % names.length), ...names.slice(0, step % names.length)];
      for (const name of Math.floor(step / names.length) % 2 === 0 ? rotated : rotated.reverse()) {
        time[name] += await runBatch(name);
      }
    }
    const n = Math.ceil(requestsPerRound / batch) * batch;
    const us = (name) => Number(((time[name] / n) * 1000).toFixed(1));
    const result = {
      tenancyUs: us('tenancy'),
      baselineUs: us('baseline'),
      ratio: Number((time.baseline / time.tenancy).toFixed(4)),
      ...(controlApp ? { controlUs: us('control'), controlRatio: Number((time.baseline / time.control).toFixed(4)) } : {}),
      ...(oneHost
        ? {
            oneHostUs: us('oneHost'),
            oneHostRatio: Number((time.baseline / time.oneHost).toFixed(4)),
            rotationRatio: Number((time.oneHost / time.tenancy).toFixed(4)),
          }
        : {}),
    };
    results.push(result);
    log(
      `  round ${round + 1}/${rounds}: tenant app ${result.tenancyUs} µs/req, baseline ${result.baselineUs} µs/req, ratio ${result.ratio}` +
        (controlApp ? `; A/A control ${result.controlRatio}` : '') +
        (oneHost ? `; tenant app on one host ${result.oneHostUs} µs/req, ratio ${result.oneHostRatio}` : ''),
    );
  }
  return {
    rowsPerResponse: rows,
    hosts: hosts.length,
    batch,
    warmup,
    requestsPerRound,
    rounds: results,
    ratio: spread(results.map((r) => r.ratio)),
    controlRatio: controlApp ? spread(results.map((r) => r.controlRatio)) : undefined,
    oneHostRatio: oneHost ? spread(results.map((r) => r.oneHostRatio)) : undefined,
    rotationRatio: oneHost ? spread(results.map((r) => r.rotationRatio)) : undefined,
    oneHostUs: oneHost
      ? spread(
          results.map((r) => r.oneHostUs),
          1,
        )
      : undefined,
    tenancyUs: spread(
      results.map((r) => r.tenancyUs),
      1,
    ),
    baselineUs: spread(
      results.map((r) => r.baselineUs),
      1,
    ),
  };
}

/**
 * Replaces an app's database round trip for the benchmarked table by a canned answer (the rows of
 * its first real query), keeping everything before it (SQL building, the `onQuery` hook, parameter
 * formatting) and after it (hydration, serialization): what is left is Node CPU. Other queries
 * (the registry's) still reach the database. Returns a function that undoes it.
 */
export function stubDatabase(app, table = '"project"') {
  const connection = app.get(MikroORM).em.getDriver().getConnection();
  const execute = connection.execute;
  let canned;
  connection.execute = async function cannedExecute(query, params, method, ctx, loggerContext) {
    if (typeof query !== 'string' || !query.includes(table)) {
      return execute.call(this, query, params, method, ctx, loggerContext);
    }
    if (canned === undefined) {
      canned = await execute.call(this, query, params, method, ctx, loggerContext);
      return canned;
    }
    this.prepareQuery(query, params);
    return Array.isArray(canned) ? canned.map((row) => ({ ...row })) : canned;
  };
  return () => {
    delete connection.execute;
  };
}
