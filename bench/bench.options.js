import { ISSUE_11 } from './rowlevel/rowlevel.options.js';

/**
 * Sizes of the full run and of `--quick` (CI: keeps the harness working in well under 3 minutes;
 * its figures are not the published ones). Tenant counts grow in three steps, `small`, `medium`
 * and `large`; every measurement runs at the step named next to it.
 */
export const SIZES = {
  full: {
    poolSize: 10,
    rowsPerTenant: 20,
    tenants: { small: 10, medium: 1000, large: 10_000 },
    inject: { warmup: 12_000, rounds: 5, requestsPerRound: 4000, batch: 8 },
    stubbed: { warmup: 5000 },
    sql: { warmup: 40_000, rounds: 5, requestsPerRound: 8000, batch: 8 },
    http: { connections: 32, warmupSeconds: 10, seconds: 10, rounds: 3 },
    pgbouncer: {
      inject: { warmup: 5000, rounds: 3, requestsPerRound: 4000, batch: 8 },
      http: { connections: 32, warmupSeconds: 5, seconds: 5, rounds: 3 },
    },
    profile: { requests: 20_000, always: true },
    resolution: {
      cacheMax: 1000,
      fullCacheMax: 20_000,
      rounds: 3,
      requestsPerRound: 6000,
      concurrency: 8,
      floodRequests: 10_000,
    },
    provisioning: { samples: 30, largeSamples: 200 },
    migrations: { concurrencies: [1, 4], rounds: 2, idleRuns: 3 },
    memory: { smallCacheMax: 1000 },
    sqlcheck: { cachedCalls: 200_000, uncachedStatements: 2000 },
    logs: { lines: 20_000, rounds: 7 },
    check: { runs: 5 },
    clone: { rowCounts: [10, 100, 1000], samples: 20 },
    ...ISSUE_11.full,
    scale: {
      domainsPerTenant: 10,
      bootWithPrimaryDomains: true,
      refreshes: 5,
      cachePass: 10_000,
      cliRuns: 1,
      fullDump: true,
      check: true,
      migrations: { concurrencies: [1, 4, 8], idleRuns: 2 },
    },
  },
  quick: {
    poolSize: 10,
    rowsPerTenant: 20,
    tenants: { small: 10, medium: 1000, large: 2000 },
    inject: { warmup: 3000, rounds: 3, requestsPerRound: 1000, batch: 8 },
    stubbed: { warmup: 1000 },
    sql: { warmup: 10_000, rounds: 3, requestsPerRound: 2000, batch: 8 },
    http: { connections: 16, warmupSeconds: 1, seconds: 2, rounds: 2 },
    pgbouncer: { inject: { warmup: 1000, rounds: 3, requestsPerRound: 1000, batch: 8 }, http: undefined },
    profile: { requests: 3000, always: false },
    resolution: { cacheMax: 200, fullCacheMax: 4000, rounds: 3, requestsPerRound: 2000, concurrency: 8, floodRequests: 2000 },
    provisioning: { samples: 8, largeSamples: 30 },
    migrations: { concurrencies: [1, 4], rounds: 1, idleRuns: 1, schemas: 200 },
    memory: { smallCacheMax: 200 },
    sqlcheck: { cachedCalls: 20_000, uncachedStatements: 200 },
    logs: { lines: 2000, rounds: 3 },
    check: { runs: 1 },
    clone: { rowCounts: [10, 100, 1000], samples: 3 },
    ...ISSUE_11.quick,
    scale: {
      domainsPerTenant: 10,
      bootWithPrimaryDomains: false,
      refreshes: 2,
      cachePass: 200,
      cliRuns: 1,
      fullDump: false,
      check: false,
      migrations: { concurrencies: [1, 4, 8], idleRuns: 1, schemas: 200 },
    },
  },
};

/** The sections of the report, in the order they run; `--only` and `--skip` take these names. */
export const SECTIONS = [
  'sqlcheck',
  'logs',
  'overhead',
  'http',
  'pgbouncer',
  'resolution',
  'provisioning',
  'clone',
  'migrations',
  'check',
  'memory',
  'rowlevel',
  'backendmemory',
  'scale',
];
