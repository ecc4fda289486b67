/**
 * Sizes of the row-level comparison (`rowlevel`) and the backend-memory section (`backendmemory`)
 * of issue 11, merged into `bench.options.js`. `rowlevel.counts` are measured at the run's medium
 * step (100 is a subset of its hosts) and `rowlevel.largeCounts` at the large step.
 */
export const ISSUE_11 = {
  full: {
    rowlevel: {
      counts: [100, 1000],
      largeCounts: [10_000],
      inject: { warmup: 4000, warmupNext: 400, rounds: 3, requestsPerRound: 1200, batch: 8 },
      http: { connections: 32, warmupSeconds: 3, seconds: 3, rounds: 2 },
      sqlProbe: { schemas: 400 },
    },
    backendmemory: {
      steps: [100, 1000, 10_000],
      maxUses: 1000,
      cost: { warmup: 800, rounds: 3, requestsPerRound: 2400, batch: 8 },
    },
  },
  quick: {
    rowlevel: {
      counts: [100],
      // CI's quick run keeps the harness working: the large step only runs the SQL probe
      largeCounts: [],
      inject: { warmup: 600, warmupNext: 100, rounds: 2, requestsPerRound: 240, batch: 8 },
      // no HTTP rounds in CI's quick run: their fixed length dominated it
      http: undefined,
      sqlProbe: { schemas: 100 },
    },
    backendmemory: {
      steps: [100],
      maxUses: 50,
      cost: undefined,
    },
  },
};
