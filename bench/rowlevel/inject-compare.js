import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
import { spread } from '../support/statistics.js';

/**
 * Several apps driven in one process through Fastify's `inject()` (no sockets), in small
 * concurrent batches whose order rotates batch by batch (and reverses every other cycle), as
 * `overhead/inject-overhead.bench.js` does. `variants` maps a name to `{ app, request(i) }`;
 * returns µs per request per round and, for every other variant, the throughput ratio
 * variant / `reference` per round. Any non-2xx answer throws.
 */
export async function compareInject({ variants, reference, warmup, rounds, requestsPerRound, batch, log, label = '' }) {
  const names = Object.keys(variants);
  const state = Object.fromEntries(
    names.map((name) => [
      name,
      { fastify: variants[name].app.getHttpAdapter().getInstance(), request: variants[name].request, next: 0 },
    ]),
  );
  const runBatch = async (name) => {
    const variant = state[name];
    const pending = [];
    const started = performance.now();
    for (let i = 0; i < batch; i++) {
      const { method, url, host, body } = variant.request(variant.next++);
      pending.push(
        variant.fastify.inject({
          method,
          url,
          headers: body ? { host, 'content-type': 'application/json' } : { host },
          ...(body ? { payload: body } : {}),
        }),
      );
    }
    const responses = await Promise.all(pending);
    const elapsed = performance.now() - started;
    await turn();
    const failed = responses.find((response) => response.statusCode < 200 || response.statusCode > 299);
    if (failed) {
      throw new Error(`${name} answered ${failed.statusCode}: ${failed.body.slice(0, 200)}`);
    }
    return elapsed;
  };
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
    const row = { us: {}, ratio: {} };
    for (const name of names) {
      row.us[name] = Number(((time[name] / n) * 1000).toFixed(1));
      if (name !== reference) {
        row.ratio[name] = Number((time[reference] / time[name]).toFixed(4));
      }
    }
    results.push(row);
    log?.(
      `  ${label}round ${round + 1}/${rounds}: ` +
        names.map((name) => `${name} ${row.us[name]} µs`).join(', ') +
        '; vs ' +
        reference +
        ': ' +
        Object.entries(row.ratio)
          .map(([name, ratio]) => `${name} ${ratio}`)
          .join(', '),
    );
  }
  return { ...summarize(results, names, reference), served: Object.fromEntries(names.map((name) => [name, state[name].next])) };
}

/** Medians with min–max over rounds of `{ us, ratio }` rows (also used for HTTP rows of `{ rps, ratio }`). */
export function summarize(results, names, reference, field = 'us') {
  return {
    rounds: results,
    [field]: Object.fromEntries(
      names.map((name) => [
        name,
        spread(
          results.map((r) => r[field][name]),
          1,
        ),
      ]),
    ),
    ratio: Object.fromEntries(
      names.filter((name) => name !== reference).map((name) => [name, spread(results.map((r) => r.ratio[name]))]),
    ),
  };
}
