// `npm run mutate -- [folder ...] [stryker options]`: mutation testing of libs/tenancy/src with
// StrykerJS (stryker.config.mjs). Folder names narrow the run, e.g. `npm run mutate -- isolation`;
// other arguments go to `stryker run` (e.g. `--concurrency 2`). For the folders listed in FOCUSED_TESTS
// only the specs about that folder run (a lower bound of the score, in minutes instead of an hour);
// `--all-tests` runs the whole suite against every mutant, MUTATE_TESTS=<globs> the tests it names. A
// file instead of a folder (`provisioning/tenant-archive.ts`) mutates that file only. Like `npm test`, the tests run
// against DATABASE_URL, or against an embedded PostgreSQL 18 started here from the built example
// app (run `npm run build` first) and stopped afterwards.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The specs that test each folder, for a focused run: the folder's unit specs and the end-to-end
 * tests of its behaviour. Everything else still runs with `--all-tests`.
 */
const FOCUSED_TESTS = {
  resolution: [
    'libs/tenancy/src/resolution/**/*.spec.ts',
    'test/resolution.e2e-spec.ts',
    'test/resolver-order.e2e-spec.ts',
    'test/path-resolver.e2e-spec.ts',
    'test/subdomain-resolver.e2e-spec.ts',
    'test/tenant-guard-answers.e2e-spec.ts',
    // the WebSocket handshake goes through the same finder
    'test/websockets.e2e-spec.ts',
  ],
  isolation: [
    'libs/tenancy/src/isolation/**/*.spec.ts',
    'test/isolation*.e2e-spec.ts',
    'test/hand-written-sql.e2e-spec.ts',
    'test/from-list-isolation.e2e-spec.ts',
    'test/sql-check-*.e2e-spec.ts',
    // the tenant tables TenantIsolation hands the SQL check (entities, pivot tables)
    'test/holes.e2e-spec.ts',
    // not test/hostile-input.e2e-spec.ts: it holds no SQL check case, and its CLI cases load the
    // compiled config (dist/), which does not resolve in Stryker's sandbox and stopped the dry run
  ],
  provisioning: [
    'libs/tenancy/src/provisioning/**/*.spec.ts',
    'test/provisioning*.e2e-spec.ts',
    'test/tenant-domains*.e2e-spec.ts',
    'test/deleted-tenant.e2e-spec.ts',
  ],
  migrations: [
    'libs/tenancy/src/migrations/**/*.spec.ts',
    'test/migrat*.e2e-spec.ts',
    'test/tenant-migration-runs.e2e-spec.ts',
    // states() past one query's 500 schemas, migrateAll() on an unmigrated database or a failing shared set
    'test/schema-migrator-api.e2e-spec.ts',
    // the entity diff (migration:create, check) through TenancyChecker
    'test/entity-diff.e2e-spec.ts',
    // creates tenants with the migrations and compares them with MikroORM's own Migrator
    'test/provisioning.e2e-spec.ts',
  ],
};

const allTests = process.argv.includes('--all-tests');
const args = process.argv.slice(2).filter((arg) => arg !== '--' && arg !== '--all-tests');
const firstOption = args.findIndex((arg) => arg.startsWith('-'));
const folders = firstOption === -1 ? args : args.slice(0, firstOption);
const strykerArgs = firstOption === -1 ? [] : args.slice(firstOption);

const env = { ...process.env };
if (folders.length > 0) {
  env.MUTATE_FOLDERS = folders.join(',');
}
const topFolder = (folder) => folder.split('/')[0];
if (env.MUTATE_TESTS) {
  process.stdout.write(`Tests from MUTATE_TESTS: ${env.MUTATE_TESTS}\n`);
} else if (!allTests && folders.length > 0 && folders.every((folder) => topFolder(folder) in FOCUSED_TESTS)) {
  env.MUTATE_TESTS = [...new Set(folders.flatMap((folder) => FOCUSED_TESTS[topFolder(folder)]))].join(',');
  process.stdout.write(`Focused run (--all-tests for the whole suite), tests: ${env.MUTATE_TESTS}\n`);
}
let stop = async () => undefined;
if (!env.DATABASE_URL) {
  const embedded = '../dist/apps/example/apps/example/src/database/embedded-database.js';
  if (!existsSync(new URL(embedded, import.meta.url))) {
    process.stderr.write(
      'npm run mutate needs a PostgreSQL database: set DATABASE_URL (a database the tests may create schemas in), ' +
        'or run `npm run build` first to use an embedded PostgreSQL 18.\n',
    );
    process.exit(1);
  }
  const { startEmbeddedDatabase } = await import(embedded);
  const dataDir = await mkdtemp(join(tmpdir(), 'tenancy-mutate-pg-'));
  const database = await startEmbeddedDatabase({
    dataDir,
    port: 55000 + (process.pid % 5000),
    database: 'tenancy_mutate',
    ephemeral: true,
  });
  env.DATABASE_URL = database.url;
  stop = async () => {
    await database.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  process.stdout.write(`Mutation testing uses an embedded PostgreSQL 18 (${database.url})\n`);
}

const started = Date.now();
const stryker = spawn(process.execPath, ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run', ...strykerArgs], {
  env,
  stdio: 'inherit',
});
const code = await new Promise((resolve) => stryker.on('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await stop();
process.stdout.write(
  `Mutation testing of ${folders.length > 0 ? folders.join(', ') : 'libs/tenancy/src'} took ${Math.round((Date.now() - started) / 1000)} s\n`,
);
process.exitCode = code;
