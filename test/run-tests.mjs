// `npm test`: runs Vitest against DATABASE_URL, or against an embedded PostgreSQL 18 started here
// (from the built example app) and stopped afterwards. Arguments are passed on to Vitest.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const env = { ...process.env };
let stop = async () => undefined;
if (!env.DATABASE_URL) {
  const { startEmbeddedDatabase } = await import('../dist/apps/example/apps/example/src/database/embedded-database.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'tenancy-test-pg-'));
  const database = await startEmbeddedDatabase({
    dataDir,
    port: 55000 + (process.pid % 5000),
    database: 'tenancy_test',
    ephemeral: true,
  });
  env.DATABASE_URL = database.url;
  stop = async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  process.stdout.write(`Tests use an embedded PostgreSQL 18 (${database.url})\n`);
}

const vitest = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)], {
  env,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => vitest.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await stop();
process.exitCode = code;
