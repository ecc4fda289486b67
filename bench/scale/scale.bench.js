import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { measureMigrations } from '../migrations/migrations.bench.js';
import { median, spread } from '../support/statistics.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The package's bin on the example app's config: what `npm run cli` runs (see test/support/cli.ts). */
const CLI_BIN = join(ROOT, 'libs/tenancy/dist/cli/tenancy.bin.js');
const CLI_CONFIG = join(ROOT, 'dist/apps/tenancy-cli/apps/tenancy-cli/src/tenancy.config.js');
/** Bench migrations of this section are numbered from here (the migrations section uses 1, 2, …). */
const FIRST_MIGRATION = 100;

const seconds = (ms) => Number((ms / 1000).toFixed(2));
const round = (value, digits = 1) => Number(value.toFixed(digits));

/**
 * Issue 11, point 3: the tenants present (10,000 in the full run) end to end, everything timed as a
 * team would meet it. In order: the catalog's size; the app's boot and the registry's memory in a
 * fresh process (known-hosts filter load, no-op migrations at boot, filter and cache sizes); the
 * same with `domainsPerTenant` domains per tenant (extra alias rows, removed at the end); the
 * `tenancy` CLI as a process (`tenant:list`, `migrate:status`, against `migrate:status --shared`,
 * which boots the same and reads one schema), and the library calls behind them in this process;
 * `pg_dump` of one tenant (what `tenant:export` runs) and of the whole schema; `tenancy check`
 * (full mode); last, one new tenant migration over the tenants at each concurrency (rounds of one)
 * and a run with nothing to apply. Never fails on a figure; fails when a command fails.
 */
export async function measureScale({ app, db, dist, fixtures, baseMigrations, sizes, ignoreSchemas, poolSize, url, log }) {
  const tenancy = app.get(dist.tenancy.TenancyService);
  const timings = {};
  const step = async (name, fn) => {
    const started = performance.now();
    try {
      return await fn();
    } finally {
      timings[name] = seconds(performance.now() - started);
    }
  };
  const result = { tenants: fixtures.count };

  result.catalog = await step('catalog', () => catalogSize(db));
  log(
    `  catalog: ${result.catalog.relations} relations, ${result.catalog.attributes} columns, catalog tables ${result.catalog.catalogMb} MB, database ${result.catalog.databaseMb} MB`,
  );

  const probe = { databaseUrl: db.url, poolSize, refreshes: sizes.refreshes, cachePass: 0, url };
  result.boot = [];
  if (sizes.bootWithPrimaryDomains) {
    result.boot.push(await step('bootPrimary', () => bootProbe(probe, log)));
  }
  probe.cachePass = sizes.cachePass;

  const extra = sizes.domainsPerTenant - 1;
  result.domains = await step('addDomains', () => addAliasDomains(db, extra));
  await tenancy.reloadRegistry();
  log(`  ${result.domains.total} domains (${extra} aliases per tenant added in ${result.domains.seconds} s)`);
  try {
    result.boot.push(await step('bootAllDomains', () => bootProbe(probe, log)));

    result.cli = await step('cli', async () => {
      const cli = {};
      for (const [key, args] of [
        ['bootOnly', ['migrate:status', '--shared']],
        ['tenantList', ['tenant:list']],
        ['migrateStatus', ['migrate:status']],
      ]) {
        cli[key] = await timeCli(args, db.url, sizes.cliRuns);
        log(
          `  tenancy ${args.join(' ')}: ${cli[key].seconds.median} s (${cli[key].runs.join(', ')}), ${cli[key].lines} lines, ${cli[key].kilobytes} KB`,
        );
      }
      return cli;
    });
    result.inProcess = await step('inProcess', async () => {
      // what tenant:list does besides reading every migrations table (the boot probe times that)
      const list = await timeCall(sizes.cliRuns, () => tenancy.listTenants());
      log(`  in process: listTenants() ${list.median} ms`);
      return { listTenantsMs: list };
    });
  } finally {
    await removeAliasDomains(db);
    await tenancy.reloadRegistry();
  }

  result.pgDump = await step('pgDump', async () => {
    const dump = {};
    const schema = fixtures.schema(Math.floor(fixtures.count / 2));
    dump.oneTenant = await timeProcess(
      'pg_dump',
      ['--schema-only', '-n', schema, '-f', '/dev/null', '-d', db.url],
      sizes.cliRuns,
    );
    log(`  pg_dump --schema-only -n ${schema} (one tenant, as tenant:export): ${dump.oneTenant.seconds.median} s`);
    if (sizes.fullDump) {
      // one transaction locking every table: past max_locks_per_transaction × (max_connections +
      // max_prepared_transactions) tables it fails, which is a figure here, not a failed section
      const [limits] = await db.rows(
        `select current_setting('max_locks_per_transaction')::int as per_transaction,
                current_setting('max_connections')::int + current_setting('max_prepared_transactions')::int as slots,
                (select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
                  where c.relkind in ('r', 'p', 'f') and n.nspname not in ('pg_catalog', 'information_schema')) as tables`,
      );
      const started = performance.now();
      try {
        dump.everything = await timeProcess('pg_dump', ['--schema-only', '-f', '/dev/null', '-d', db.url], 1);
        log(`  pg_dump --schema-only (every schema): ${dump.everything.seconds.median} s`);
      } catch (error) {
        const reason = /out of shared memory/.test(String(error))
          ? 'out of shared memory (max_locks_per_transaction)'
          : String(error);
        dump.everything = { failed: reason, afterSeconds: seconds(performance.now() - started) };
        log(`  pg_dump --schema-only (every schema) failed after ${dump.everything.afterSeconds} s: ${reason.slice(0, 200)}`);
      }
      dump.lockTable = {
        maxLocksPerTransaction: limits.per_transaction,
        lockSlots: limits.per_transaction * limits.slots,
        tablesToLock: limits.tables,
      };
    }
    return dump;
  });

  if (sizes.check) {
    result.check = await step('check', async () => {
      const checker = app.get(dist.tenancy.TenancyChecker);
      const started = performance.now();
      const report = await checker.check({ ignoreSchemas });
      const took = seconds(performance.now() - started);
      log(`  tenancy check over ${report.summary.tenants} tenants: ${took} s (${report.ok ? 'clean' : 'not clean'})`);
      // not clean when the migrations section left its bench migrations in the first schemas: the work is the same
      return {
        seconds: took,
        tenants: report.summary.tenants,
        ok: report.ok,
        notOk: report.tenants.filter((t) => t.status !== 'ok').length,
      };
    });
  }

  result.migrations = await step('migrations', () => {
    const schemas = fixtures.schemas(Math.min(fixtures.count, sizes.migrations.schemas ?? fixtures.count));
    log(`  one new tenant migration over ${schemas.length} schemas at concurrency ${sizes.migrations.concurrencies.join(', ')}`);
    return measureMigrations({
      dist,
      databaseUrl: db.url,
      baseMigrations,
      schemas,
      concurrencies: sizes.migrations.concurrencies,
      rounds: 1,
      idleRuns: sizes.migrations.idleRuns,
      firstIndex: FIRST_MIGRATION,
      log,
    });
  });

  result.timings = timings;
  log(
    `  scale section steps (s): ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  return result;
}

/** Size of the catalog the tenants make: relations, columns, the catalog tables on disk, the database. */
async function catalogSize(db) {
  const [row] = await db.rows(
    `select (select count(*)::int from pg_class) as relations,
            (select count(*)::int from pg_attribute) as attributes,
            (select count(*)::int from pg_namespace) as namespaces,
            (select sum(pg_total_relation_size(c.oid))::bigint from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname = 'pg_catalog' and c.relkind = 'r') as catalog_bytes,
            pg_database_size(current_database()) as database_bytes`,
  );
  const mb = (bytes) => round(Number(bytes) / 1024 / 1024);
  return {
    relations: row.relations,
    attributes: row.attributes,
    namespaces: row.namespaces,
    catalogMb: mb(row.catalog_bytes),
    databaseMb: mb(row.database_bytes),
  };
}

/** `perTenant` extra (non-primary) domains for every tenant: `a<k>-<schema>.alias.localhost`. */
async function addAliasDomains(db, perTenant) {
  const started = performance.now();
  if (perTenant > 0) {
    await db.pool.query(
      `insert into "public"."domain" ("host", "tenant_id", "is_primary")
       select 'a' || k || '-' || t."schema" || '.alias.localhost', t."id", false
         from "public"."tenant" t cross join generate_series(1, $1) k`,
      [perTenant],
    );
    await db.pool.query('analyze "public"."domain"');
  }
  const [{ total }] = await db.rows('select count(*)::int as total from "public"."domain"');
  return { perTenant: perTenant + 1, total, seconds: seconds(performance.now() - started) };
}

async function removeAliasDomains(db) {
  await db.pool.query(`delete from "public"."domain" where host like '%.alias.localhost'`);
  await db.pool.query('analyze "public"."domain"');
}

/** Boots the example app in a fresh process (the boot probe) and returns what it measured. */
async function bootProbe(options, log) {
  const started = performance.now();
  const child = fork(fileURLToPath(new URL('./boot-probe.child.js', import.meta.url)), [JSON.stringify(options)], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const [result] = await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`boot probe exited with ${code}`))),
  ]);
  await exited;
  if (result.failedRequests > 0) {
    throw new Error(`boot probe: ${result.failedRequests} of ${result.heap.cachedHosts} requests did not answer 200`);
  }
  result.processSeconds = seconds(performance.now() - started);
  log(
    `  boot with ${result.tenants} tenants, ${result.domains} domains: createExampleApp ${result.bootMs} ms (imports ${result.importMs} ms); ` +
      `filter load ${result.filterLoadMs.median} ms (CPU ${result.filterCpuMs.median} ms, build alone ${result.filterBuildMs.median} ms, event loop stalled up to ${result.filterBlockedMs.max} ms), ` +
      `no-op migration states ${result.tenantStatesMs.median} ms; filter ${(result.filterBytes / 1024).toFixed(0)} KB, ` +
      `heap ${result.heap.booted.heapUsedMb} MB booted` +
      (result.heap.cachedHosts > 0 ? `, +${result.heap.cacheMb} MB after ${result.heap.cachedHosts} hosts cached` : ''),
  );
  return result;
}

/** Wall time of a command run `runs` times (output counted, not kept); throws on a non-zero exit. */
async function timeProcess(command, args, runs, env = {}) {
  const times = [];
  let lines = 0;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    lines = 0;
    bytes = 0;
    child.stdout.on('data', (chunk) => {
      bytes += chunk.length;
      for (const byte of chunk) {
        lines += byte === 10 ? 1 : 0;
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [code] = await once(child, 'close');
    times.push(performance.now() - started);
    if (code !== 0) {
      throw new Error(`${command} ${args.slice(0, 4).join(' ')} exited with ${code}: ${stderr.slice(0, 300)}`);
    }
  }
  const values = times.map(seconds);
  return { seconds: spread(values, 2), runs: values, lines, kilobytes: Math.round(bytes / 1024) };
}

/** The `tenancy` CLI as a process, as `npm run cli` runs it, on the bench database. */
function timeCli(args, databaseUrl, runs) {
  const env = { DATABASE_URL: databaseUrl };
  return timeProcess(process.execPath, [CLI_BIN, '--config', CLI_CONFIG, ...args], runs, env);
}

/** Milliseconds of an async call, `runs` times. */
async function timeCall(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return { median: round(median(times)), runs: times.map((t) => round(t)) };
}
