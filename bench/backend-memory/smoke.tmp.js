import 'reflect-metadata';
import { BenchDatabase } from '../support/bench-database.js';
import { loadDist, tenantMigrationsFolder } from '../support/dist.js';
import { TenantFixtures, loadTenantMigrations } from '../support/tenant-fixtures.js';
import { measureBackendMemory } from './backend-memory.bench.js';

const log = (m) => console.log(new Date().toISOString().slice(11, 19), m);
const dist = await loadDist();
const db = await BenchDatabase.create();
process.once('SIGINT', () => db.drop().finally(() => process.exit(130)));
let app;
const N = Number(process.env.N ?? 1000);
try {
  app = await dist.createExampleApp({ databaseUrl: db.url, poolSize: 10, seed: false, logger: ['error', 'warn'], tenancy: { directDatabaseUrl: db.url } });
  const fixtures = new TenantFixtures(db, await loadTenantMigrations(tenantMigrationsFolder()), { rows: 20 });
  await fixtures.growTo(N);
  log('grown');
  const r = await measureBackendMemory({
    db, dist, fixtures, steps: [100, N], rows: 20, maxUses: Number(process.env.MAXUSES ?? 500), poolSize: 10,
    cost: process.env.COST ? { warmup: 500, rounds: 2, requestsPerRound: 2000, batch: 8 } : undefined,
    log,
  });
  console.log(JSON.stringify(r.lines.tenancy.points));
} finally {
  await app?.close();
  await db.drop();
}
setTimeout(() => { console.log('handles', process._getActiveHandles().map(h => `${h.constructor.name} ${h.remoteAddress ?? ''}:${h.remotePort ?? ''} ${h._idleTimeout ?? ''}`)); }, 3000).unref();
