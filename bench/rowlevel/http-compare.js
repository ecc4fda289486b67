import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { summarize } from './inject-compare.js';

/**
 * Starts the child serving the four apps over loopback; returns `{ ports, load, stop }` where
 * `load(port, request, connections, seconds)` runs autocannon with `request(i)` giving each
 * request's method, path, Host and body.
 */
export async function startComparisonServers({ databaseUrl, poolSize }) {
  const child = fork(
    fileURLToPath(new URL('./rowlevel-servers.child.js', import.meta.url)),
    [JSON.stringify({ databaseUrl, poolSize })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = once(child, 'exit');
      if (child.connected) {
        child.send('stop');
      }
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) {
        child.kill('SIGKILL');
      }
    }
  };
  try {
    const [ports] = await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`row-level server child exited with ${code}`))),
    ]);
    return { ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function load(port, request, connections, duration) {
  let next = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [
      {
        setupRequest: (req) => {
          const { method, url, host, body } = request(next++);
          return {
            ...req,
            method,
            path: url,
            headers: { ...req.headers, host, ...(body ? { 'content-type': 'application/json' } : {}) },
            ...(body ? { body } : {}),
          };
        },
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * Over HTTP: each variant (`{ port, request }`) loaded by autocannon in turn, the order rotating
 * round by round; ratios variant / `reference` of req/s per round.
 */
export async function compareHttp({ variants, reference, connections, warmupSeconds, seconds, rounds, log, label = '' }) {
  const names = Object.keys(variants);
  if (warmupSeconds > 0) {
    for (const name of names) {
      await load(variants[name].port, variants[name].request, connections, warmupSeconds);
    }
  }
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const rotated = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
    const row = { rps: {}, p50: {}, p99: {}, ratio: {} };
    for (const name of round % 2 === 0 ? rotated : rotated.reverse()) {
      const r = await load(variants[name].port, variants[name].request, connections, seconds);
      row.rps[name] = r.rps;
      row.p50[name] = r.p50;
      row.p99[name] = r.p99;
    }
    for (const name of names.filter((n) => n !== reference)) {
      row.ratio[name] = Number((row.rps[name] / row.rps[reference]).toFixed(3));
    }
    results.push(row);
    log?.(
      `  ${label}round ${round + 1}/${rounds}: ` +
        names.map((name) => `${name} ${row.rps[name]} req/s (p99 ${row.p99[name]} ms)`).join(', ') +
        '; vs ' +
        reference +
        ': ' +
        Object.entries(row.ratio)
          .map(([name, ratio]) => `${name} ${ratio}`)
          .join(', '),
    );
  }
  return summarize(results, names, reference, 'rps');
}
