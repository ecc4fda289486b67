import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { cpus, freemem, platform, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createBaselineApp } from './baseline/baseline.app.js';
import { SECTIONS, SIZES } from './bench.options.js';
import { measureCheck } from './check/check.bench.js';
import { measureMemory } from './memory/memory.bench.js';
import { measureMigrations } from './migrations/migrations.bench.js';
import { compareProfiles, profileApps } from './overhead/cpu-profile.js';
import { measureHttpOverhead } from './overhead/http-load.bench.js';
import { measureInjectOverhead, stubDatabase } from './overhead/inject-overhead.bench.js';
import { measureSqlRotation } from './overhead/sql-rotation.bench.js';
import { measureSqlCheck } from './isolation/sql-check.bench.js';
import { measureLogLines } from './logging/log-lines.bench.js';
import { measureClone } from './provisioning/clone.bench.js';
import { measureProvisioning } from './provisioning/provisioning.bench.js';
import { measureResolution } from './resolution/resolution.bench.js';
import { measureBackendMemory } from './backend-memory/backend-memory.bench.js';
import { measureRowLevel } from './rowlevel/rowlevel.bench.js';
import { measureScale } from './scale/scale.bench.js';
import { BenchDatabase } from './support/bench-database.js';
import { ensureBuilt, loadDist, tenantMigrationsFolder } from './support/dist.js';
import { pgBouncerVersion, startPgBouncer } from './support/pgbouncer.js';
import { writeReport } from './support/report.writer.js';
import { TenantFixtures, createBaselineSchema, loadTenantMigrations } from './support/tenant-fixtures.js';

/**
 * `npm run bench [-- --quick] [--only a,b] [--skip a,b] [--profile] [--keep] [--out dir]`
 *
 * Builds the apps when `dist/` is missing or stale, creates the run's databases (on DATABASE_URL's
 * server, or the local PostgreSQL), grows the tenant count in three steps with fast fixtures, runs
 * the measurements of issue 4 at the step each needs, drops the databases, and writes
 * `<out>/latest.json` and `<out>/latest.md` (plus time-stamped copies). Exits 1 when a section
 * failed; figures never fail a run.
 */
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    skip: { type: 'string' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results' },
  },
});
const mode = args.quick ? 'quick' : 'full';
const sizes = SIZES[mode];
const list = (value) => (value ? value.split(',').map((s) => s.trim()) : []);
const unknown = [...list(args.only), ...list(args.skip)].filter((name) => !SECTIONS.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown section(s) ${unknown.join(', ')}; sections are ${SECTIONS.join(', ')}.`);
  process.exit(2);
}
const enabled = (name) => (args.only ? list(args.only).includes(name) : true) && !list(args.skip).includes(name);

/** The commit measured, and whether the working tree had changes to the measured code. */
function gitState() {
  const git = (...gitArgs) => execFileSync('git', gitArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      dirty: git('status', '--porcelain', '--', 'libs', 'apps/example').length > 0,
    };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}

const startedAt = new Date();
const clock = performance.now();
const log = (message) => {
  const seconds = Math.round((performance.now() - clock) / 1000);
  console.log(`[${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}] ${message}`);
};

ensureBuilt(log);
const dist = await loadDist();
const URL_PATH = `/projects?limit=${sizes.rowsPerTenant}`;
const BASELINE_SCHEMA = 'bench_baseline';
const REFERENCE_SCHEMA = 'bench_reference';

const report = {
  mode,
  startedAt: startedAt.toISOString(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Number((totalmem() / 1024 ** 3).toFixed(1)),
    freeMemoryGb: Number((freemem() / 1024 ** 3).toFixed(1)),
    os: `${platform()} ${release()}`,
    node: process.version,
    pgbouncer: pgBouncerVersion()?.version ?? null,
  },
  source: gitState(),
  config: { poolSize: sizes.poolSize, rowsPerTenant: sizes.rowsPerTenant, route: URL_PATH, tenants: sizes.tenants },
  fixtures: { steps: [] },
  sections: {},
  errors: [],
};

/** Runs one measurement; a failure is recorded in the report and the run goes on. */
const section = async (name, key, fn) => {
  if (!enabled(name)) {
    return undefined;
  }
  try {
    const result = await fn();
    if (result !== undefined) {
      report.sections[key] = result;
    }
    return result;
  } catch (error) {
    log(`  ${key} failed: ${error.stack ?? error}`);
    report.errors.push({ section: key, error: String(error.message ?? error) });
    report.sections[key] = { error: String(error.message ?? error) };
    return undefined;
  }
};

const db = await BenchDatabase.create();
// Provisioning alternates with a second database that keeps only a few tenants.
const referenceDb = enabled('provisioning') ? await BenchDatabase.create(undefined, 'ref') : undefined;
const databases = [db, referenceDb].filter(Boolean);
process.once('SIGINT', () => {
  log(`interrupted: dropping ${databases.map((d) => d.name).join(', ')}`);
  Promise.allSettled(databases.map((d) => d.drop())).finally(() => process.exit(130));
});
report.machine.postgres = await db.serverVersion();
log(
  `${mode} run on database ${db.name} (PostgreSQL ${report.machine.postgres}, ${report.machine.cpus} cores, node ${process.version})`,
);
const apps = [];
const track = (app) => (apps.push(app), app);
try {
  // As apps/example/src/main.ts does: LISTEN for registry changes on a direct session.
  const exampleOptions = {
    databaseUrl: db.url,
    poolSize: sizes.poolSize,
    seed: false,
    logger: ['error', 'warn'],
    // the host cache sized above the largest tenant count, as the README tells a team to do: at
    // exactly its default (10,000) hosts rotating round robin, one extra entry (a `schema:` lookup,
    // the reference tenant) makes an LRU miss on every request
    tenancy: { directDatabaseUrl: db.url, cache: { max: 2 * sizes.tenants.large } },
  };
  const app = track(await dist.createExampleApp(exampleOptions));
  const tenancy = app.get(dist.tenancy.TenancyService);
  const migrations = await loadTenantMigrations(tenantMigrationsFolder());
  const fixtures = new TenantFixtures(db, migrations, { rows: sizes.rowsPerTenant });
  const grow = async (total) => {
    const seconds = await fixtures.growTo(total, log);
    await tenancy.reloadRegistry();
    report.fixtures.steps.push({ tenants: total, seconds: Number(seconds.toFixed(1)) });
    log(`${total} tenants present (fixtures took ${seconds.toFixed(1)} s)`);
  };

  // Fixture tenants must be what the Migrator builds: compare one with a tenant made by createTenant.
  await tenancy.createTenant({ schema: REFERENCE_SCHEMA, domains: ['bench-reference.localhost'] });
  await grow(sizes.tenants.small);
  report.fixtures.verifiedAgainstMigrator = await fixtures.verify(REFERENCE_SCHEMA);
  await tenancy.deleteTenant(REFERENCE_SCHEMA, { dropSchema: true });
  log(`fixture schemas match a Migrator-built schema (${report.fixtures.verifiedAgainstMigrator} catalog lines compared)`);

  await section('sqlcheck', 'sqlCheck', async () => {
    await tenancy.createTenant({ schema: 'acme', domains: ['acme.bench.localhost'] });
    try {
      return await measureSqlCheck({ app, tenancy, ...sizes.sqlcheck, log });
    } finally {
      await tenancy.deleteTenant('acme', { dropSchema: true });
    }
  });

  await section('logs', 'logLines', async () => {
    await tenancy.createTenant({ schema: 'logs_tenant', domains: ['logs.bench.localhost'] });
    try {
      return await measureLogLines({ tenancy, schema: 'logs_tenant', ...sizes.logs, log });
    } finally {
      await tenancy.deleteTenant('logs_tenant', { dropSchema: true });
    }
  });

  // Step 1: a few tenants.
  const memory = [];
  const memoryOptions = { databaseUrl: db.url, poolSize: sizes.poolSize, url: URL_PATH, requests: sizes.tenants.large };
  await section('memory', 'memory', async () => {
    log(`memory with ${sizes.tenants.small} tenants`);
    memory.push(await measureMemory({ ...memoryOptions, log }));
    return memory;
  });
  const provisioning = [];
  let referenceApp;
  if (referenceDb) {
    const referenceOptions = { ...exampleOptions, databaseUrl: referenceDb.url, tenancy: { directDatabaseUrl: referenceDb.url } };
    referenceApp = track(await dist.createExampleApp(referenceOptions));
    await new TenantFixtures(referenceDb, migrations, { rows: sizes.rowsPerTenant }).growTo(sizes.tenants.small);
  }
  const provision = (samples = sizes.provisioning.samples) =>
    section('provisioning', 'provisioning', async () => {
      log(`provisioning with ${fixtures.count} tenant schemas present, alternating with a database of ${sizes.tenants.small}`);
      provisioning.push(
        await measureProvisioning({
          app,
          referenceApp,
          dist,
          present: fixtures.count,
          referencePresent: sizes.tenants.small,
          samples,
          log,
        }),
      );
      return provisioning;
    });
  await provision();
  await section('clone', 'clone', async () => {
    log(`clone vs create + migrations, ${fixtures.count} tenant schemas present`);
    return measureClone({ app, dist, ...sizes.clone, log });
  });

  // Step 2: the overhead comparison's tenants.
  await grow(sizes.tenants.medium);
  await createBaselineSchema(db, BASELINE_SCHEMA, migrations, sizes.rowsPerTenant);
  const hosts = fixtures.hosts();
  await section('check', 'check', async () => {
    log(`tenancy check over ${fixtures.count} tenants`);
    return measureCheck({ app, dist, ignoreSchemas: [BASELINE_SCHEMA], runs: sizes.check.runs, log });
  });
  const needBaseline = ['overhead', 'pgbouncer'].some(enabled);
  const baselineOptions = { dist, databaseUrl: db.url, poolSize: sizes.poolSize, schema: BASELINE_SCHEMA };
  const sqlOptions = {
    poolSize: sizes.poolSize,
    schemas: fixtures.schemas(),
    baselineSchema: BASELINE_SCHEMA,
    rows: sizes.rowsPerTenant,
    ...sizes.sql,
  };
  const baseline = needBaseline ? track(await createBaselineApp(baselineOptions)) : undefined;
  await section('overhead', 'overhead', async () => {
    const overhead = {};
    const control = track(await createBaselineApp(baselineOptions));
    const apps = { tenancyApp: app, baselineApp: baseline, controlApp: control, oneHost: true };
    log(
      `request overhead in process (inject), ${hosts.length} tenant hosts rotating, batches of ${sizes.inject.batch}, with an A/A control`,
    );
    overhead.inject = await measureInjectOverhead({ ...apps, hosts, url: URL_PATH, ...sizes.inject, log });
    log('the same SQL without Node frameworks: rotating schemas vs one schema');
    overhead.sql = await measureSqlRotation({ databaseUrl: db.url, ...sqlOptions, log });
    log('request overhead in process with the database stubbed (Node CPU only)');
    const unstub = [app, baseline, control].map((a) => stubDatabase(a));
    try {
      overhead.stubbed = await measureInjectOverhead({ ...apps, hosts, url: URL_PATH, ...sizes.inject, ...sizes.stubbed, log });
    } finally {
      unstub.forEach((undo) => undo());
    }
    if (args.profile || sizes.profile.always || overhead.inject.ratio.median < 0.95) {
      log(`CPU profiles of both apps (${sizes.profile.requests} requests each)`);
      mkdirSync(args.out, { recursive: true });
      const profiles = await profileApps({
        apps: { tenancy: app, baseline },
        hosts,
        url: URL_PATH,
        requests: sizes.profile.requests,
        batch: sizes.inject.batch,
        folder: args.out,
      });
      overhead.profile = {
        requests: sizes.profile.requests,
        files: [profiles.tenancy.file, profiles.baseline.file],
        tenancyCpuUs: profiles.tenancy.cpuUsPerRequest,
        baselineCpuUs: profiles.baseline.cpuUsPerRequest,
        difference: compareProfiles(profiles.tenancy, profiles.baseline).slice(0, 12),
        libraryFunctions: Object.fromEntries(Object.entries(profiles.tenancy.libraryFunctions).slice(0, 10)),
      };
    }
    return overhead;
  });
  await section('http', 'http', async () => {
    log(
      `request overhead over HTTP (autocannon, ${sizes.http.connections} connections, ${sizes.http.rounds} rounds of ${sizes.http.seconds} s)`,
    );
    return measureHttpOverhead({
      databaseUrl: db.url,
      directDatabaseUrl: db.url,
      poolSize: sizes.poolSize,
      baselineSchema: BASELINE_SCHEMA,
      hosts,
      url: URL_PATH,
      ...sizes.http,
      log,
    });
  });
  // Issue 11: against row-level tenancy, at the medium step (and again at the large one).
  const rowLevel = {};
  const rowLevelOptions = { db, dist, tenancyApp: app, fixtures, rows: sizes.rowsPerTenant, poolSize: sizes.poolSize, log };
  const { counts, largeCounts, ...rowLevelSizes } = sizes.rowlevel;
  // before the row-level section, whose writes change what the tenants' lists answer (the
  // PgBouncer comparison checks that every app serves the same rows)
  await section('pgbouncer', 'pgbouncer', async () => {
    const bouncer = await startPgBouncer({ databaseUrl: db.url, poolSize: sizes.poolSize });
    if (!bouncer) {
      log('PgBouncer is not installed (apt-get install pgbouncer): skipped');
      return { skipped: 'PgBouncer is not installed' };
    }
    const result = { version: bouncer.version, poolMode: 'transaction', defaultPoolSize: sizes.poolSize };
    const viaBouncer = { ...exampleOptions, databaseUrl: bouncer.url };
    const local = [];
    try {
      log(`through PgBouncer (${bouncer.version}, transaction mode): request overhead in process`);
      const bouncedApp = await dist.createExampleApp(viaBouncer);
      local.push(bouncedApp);
      const bouncedBaselineOptions = { ...baselineOptions, databaseUrl: bouncer.url };
      const bouncedBaseline = await createBaselineApp(bouncedBaselineOptions);
      local.push(bouncedBaseline);
      const bouncedControl = await createBaselineApp(bouncedBaselineOptions);
      local.push(bouncedControl);
      result.inject = await measureInjectOverhead({
        tenancyApp: bouncedApp,
        baselineApp: bouncedBaseline,
        controlApp: bouncedControl,
        oneHost: true,
        hosts,
        url: URL_PATH,
        ...sizes.pgbouncer.inject,
        log,
      });
      log('through PgBouncer: the same SQL without Node frameworks');
      result.sql = await measureSqlRotation({ databaseUrl: bouncer.url, ...sqlOptions, log });
      if (sizes.pgbouncer.http) {
        log('through PgBouncer: request overhead over HTTP');
        result.http = await measureHttpOverhead({
          databaseUrl: bouncer.url,
          directDatabaseUrl: db.url,
          poolSize: sizes.poolSize,
          baselineSchema: BASELINE_SCHEMA,
          hosts,
          url: URL_PATH,
          ...sizes.pgbouncer.http,
          log,
        });
      }
    } finally {
      await Promise.all(local.map((a) => a.close()));
      await bouncer.stop();
    }
    return result;
  });
  await section('rowlevel', 'rowLevel', async () => {
    log(`against row-level tenancy at ${counts.join(', ')} tenants (in process and over HTTP)`);
    return Object.assign(rowLevel, await measureRowLevel({ ...rowLevelOptions, ...rowLevelSizes, counts }));
  });
  await provision();
  await section('migrations', 'migrations', async () => {
    const schemas = fixtures.schemas(sizes.migrations.schemas ?? sizes.tenants.medium);
    log(`tenant migrations over ${schemas.length} schemas`);
    return measureMigrations({
      dist,
      databaseUrl: db.url,
      baseMigrations: migrations,
      schemas,
      concurrencies: sizes.migrations.concurrencies,
      rounds: sizes.migrations.rounds,
      idleRuns: sizes.migrations.idleRuns,
      log,
    });
  });

  // Step 3: many tenants.
  if (['resolution', 'provisioning', 'memory', 'rowlevel', 'backendmemory', 'scale'].some(enabled)) {
    await grow(sizes.tenants.large);
  }
  await section('resolution', 'resolution', async () => {
    const { cacheMax, fullCacheMax, ...load } = sizes.resolution;
    log(`resolution: ${fixtures.count} hosts round robin, host cache ${cacheMax} vs ${fullCacheMax}`);
    const appWithCache = (max) =>
      dist.createExampleApp({ ...exampleOptions, tenancy: { ...exampleOptions.tenancy, cache: { max } } });
    const smallCacheApp = track(await appWithCache(cacheMax));
    const fullCacheApp = track(await appWithCache(fullCacheMax));
    const result = await measureResolution({ smallCacheApp, fullCacheApp, hosts: fixtures.hosts(), url: URL_PATH, ...load, log });
    return { cacheMax, fullCacheMax, ...result };
  });
  // more samples at the largest step, for its p99 (issue 11)
  await provision(sizes.provisioning.largeSamples);
  await section('memory', 'memory', async () => {
    log(`memory with ${fixtures.count} tenants (default cache, then cache ${sizes.memory.smallCacheMax})`);
    memory.push(await measureMemory({ ...memoryOptions, log }));
    memory.push(await measureMemory({ ...memoryOptions, cacheMax: sizes.memory.smallCacheMax, log }));
    return memory;
  });
  await section('rowlevel', 'rowLevel', async () => {
    log(
      largeCounts.length > 0
        ? `against row-level tenancy at ${largeCounts.join(', ')} tenants`
        : `row-level: the SQL probe only, ${fixtures.count} schemas`,
    );
    return Object.assign(
      rowLevel,
      await measureRowLevel({ ...rowLevelOptions, ...rowLevelSizes, counts: largeCounts, sqlProbe: rowLevelSizes.sqlProbe }),
    );
  });
  await section('backendmemory', 'backendMemory', async () => {
    log(`PostgreSQL backend memory after one connection served ${sizes.backendmemory.steps.join(', ')} tenants`);
    return measureBackendMemory({
      db,
      dist,
      fixtures,
      rows: sizes.rowsPerTenant,
      poolSize: sizes.poolSize,
      ...sizes.backendmemory,
      log,
    });
  });
  // last: it adds domains (removed after) and tenant migrations to every schema (issue 11, point 3)
  await section('scale', 'scale', async () => {
    log(`scale: ${fixtures.count} tenants end to end (boot, registry memory, CLI, pg_dump, check, migrations)`);
    return measureScale({
      app,
      db,
      dist,
      fixtures,
      baseMigrations: migrations,
      sizes: sizes.scale,
      ignoreSchemas: [BASELINE_SCHEMA],
      poolSize: sizes.poolSize,
      url: URL_PATH,
      log,
    });
  });
} catch (error) {
  log(`run failed: ${error.stack ?? error}`);
  report.errors.push({ section: 'run', error: String(error.message ?? error) });
} finally {
  await Promise.allSettled(apps.map((app) => app.close()));
  for (const database of databases) {
    if (args.keep) {
      log(`database kept: ${database.url}`);
      await database.pool.end();
    } else {
      await database.drop();
      log(`database ${database.name} dropped`);
    }
  }
}

report.finishedAt = new Date().toISOString();
report.durationSeconds = Math.round((performance.now() - clock) / 1000);
const files = writeReport(report, args.out);
log(`report: ${files.join(', ')} (${report.durationSeconds} s)`);
if (report.errors.length > 0) {
  log(`${report.errors.length} section(s) failed`);
  process.exitCode = 1;
}
