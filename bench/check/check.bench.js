import { performance } from 'node:perf_hooks';
import { spread } from '../support/statistics.js';

/**
 * `TenancyChecker.check()` over every tenant of the database (the library call behind `tenancy
 * check`), `runs` times after one untimed warm-up (which creates the migration ORM). Each run
 * builds its reference schema, reads every tenant's migration state and catalog, and compares.
 * Throws when the check does not come out clean (the fixtures are Migrator-identical), so a wrong
 * check never yields a figure.
 */
export async function measureCheck({ app, dist, ignoreSchemas, runs, log }) {
  const checker = app.get(dist.tenancy.TenancyChecker);
  const check = async () => {
    const started = performance.now();
    const report = await checker.check({ ignoreSchemas });
    const seconds = (performance.now() - started) / 1000;
    if (!report.ok) {
      const failing = report.tenants.find((tenant) => tenant.status !== 'ok');
      throw new Error(`check is not clean: ${[...report.problems, ...(failing?.problems ?? [])].join(' ').slice(0, 500)}`);
    }
    return { seconds, report };
  };
  await check();
  const times = [];
  let tenants = 0;
  for (let i = 0; i < runs; i++) {
    const { seconds, report } = await check();
    times.push(seconds);
    tenants = report.summary.tenants;
  }
  const result = { tenants, seconds: spread(times, 2), runs: times.map((s) => Number(s.toFixed(2))) };
  log(`  check over ${tenants} tenants: median ${result.seconds.median} s (${result.runs.join(', ')})`);
  return result;
}
