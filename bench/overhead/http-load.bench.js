import { fork } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { spread } from '../support/statistics.js';

/**
 * Request overhead over HTTP: the tenant app, the baseline, an A/A control (a second baseline) and
 * the tenant app again on one host only, served by a child process on loopback, loaded by
 * autocannon from this process one at a time, the order rotating round by round. Rounds give req/s, p50 and p99; ratios are taken within
 * each round.
 * HTTP on a shared 2-core machine drifts by tens of per cent: use this for tails and gross
 * regressions, the in-process ratio for small differences.
 */
export async function measureHttpOverhead({
  databaseUrl,
  directDatabaseUrl,
  poolSize,
  baselineSchema,
  hosts,
  url,
  connections,
  warmupSeconds,
  seconds,
  rounds,
  log,
}) {
  const child = fork(
    fileURLToPath(new URL('./http-servers.child.js', import.meta.url)),
    [JSON.stringify({ databaseUrl, directDatabaseUrl, poolSize, baselineSchema })],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  try {
    const [ports] = await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => Promise.reject(new Error(`HTTP server child exited with ${code}`))),
    ]);
    let next = 0;
    // The tenant app a second time, on one host only: what rotating over many schemas costs.
    const targets = {
      tenancy: { port: ports.tenancy, hosts },
      baseline: { port: ports.baseline, hosts },
      control: { port: ports.control, hosts },
      oneHost: { port: ports.tenancy, hosts: [hosts[0]] },
    };
    const load = async (name, duration) => {
      const { port, hosts: hostsOfTarget } = targets[name];
      const result = await autocannon({
        url: `http://127.0.0.1:${port}`,
        connections,
        duration,
        requests: [
          {
            method: 'GET',
            path: url,
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, host: hostsOfTarget[next++ % hostsOfTarget.length] },
            }),
          },
        ],
      });
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(`${name}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
      }
      return {
        rps: Math.round(result.requests.average),
        p50: result.latency.p50,
        p99: result.latency.p99,
        requests: result.requests.total,
      };
    };
    const names = Object.keys(targets);
    log(`  warm-up: ${warmupSeconds} s each`);
    for (const name of names.filter((n) => n !== 'oneHost')) {
      await load(name, warmupSeconds);
    }
    const results = [];
    for (let round = 0; round < rounds; round++) {
      const rotated = [...names.slice(round % names.length), ...names.slice(0, round % names.length)];
      const row = {};
      for (const name of Math.floor(round / names.length) % 2 === 0 ? rotated : rotated.reverse()) {
        row[name] = await load(name, seconds);
      }
      row.ratio = Number((row.tenancy.rps / row.baseline.rps).toFixed(3));
      row.controlRatio = Number((row.control.rps / row.baseline.rps).toFixed(3));
      row.oneHostRatio = Number((row.oneHost.rps / row.baseline.rps).toFixed(3));
      row.rotationRatio = Number((row.tenancy.rps / row.oneHost.rps).toFixed(3));
      results.push(row);
      log(
        `  round ${round + 1}/${rounds}: tenant app ${row.tenancy.rps} req/s (p50 ${row.tenancy.p50} ms, p99 ${row.tenancy.p99} ms), ` +
          `baseline ${row.baseline.rps} req/s (p50 ${row.baseline.p50} ms, p99 ${row.baseline.p99} ms), ratio ${row.ratio}; ` +
          `A/A control ${row.controlRatio}; tenant app on one host ${row.oneHost.rps} req/s, ratio ${row.oneHostRatio}`,
      );
    }
    const summary = (name) => ({
      rps: spread(
        results.map((r) => r[name].rps),
        0,
      ),
      p50: spread(
        results.map((r) => r[name].p50),
        1,
      ),
      p99: spread(
        results.map((r) => r[name].p99),
        1,
      ),
    });
    return {
      connections,
      seconds,
      hosts: hosts.length,
      rounds: results,
      ratio: spread(results.map((r) => r.ratio)),
      controlRatio: spread(results.map((r) => r.controlRatio)),
      oneHostRatio: spread(results.map((r) => r.oneHostRatio)),
      rotationRatio: spread(results.map((r) => r.rotationRatio)),
      tenancy: summary('tenancy'),
      oneHost: summary('oneHost'),
      baseline: summary('baseline'),
      control: summary('control'),
    };
  } finally {
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
  }
}
